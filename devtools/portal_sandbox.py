"""A sandbox of the National Public Service Portal's dossier synchronisation interface, for `make run` and the
tests. It records what it receives (deduplicated by dossier code + sequence number), shows it over HTTP, and
can be told to fail: `down` (connections dropped without an answer), `500` (server error), `ok`.

  POST /api/dossier-sync           one status record (JSON); 200 {"accepted": true, "duplicate": bool}
  GET  /sandbox/received           {"records": [...in arrival order...], "deliveries": n, "mode": "..."}
  POST /sandbox/mode               {"mode": "ok" | "down" | "500"}
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REQUIRED = (
    "dossier_code",
    "sequence",
    "procedure_code",
    "agency_code",
    "status",
    "applicant_ref",
    "received_at",
    "due_at",
    "finished_at",
    "changed_at",
)


class PortalSandbox:
    def __init__(self, port: int):
        self.port = port
        self.mode = "ok"
        self.records: list[dict] = []
        self.deliveries = 0  # every POST that reached a working portal, duplicates included
        self._seen: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def receive(self, record: dict) -> tuple[int, dict]:
        missing = [f for f in REQUIRED if f not in record]
        if missing or not isinstance(record.get("sequence"), int):
            return 400, {"accepted": False, "error": f"missing or invalid: {missing or ['sequence']}"}
        key = (str(record["dossier_code"]), record["sequence"])
        with self._lock:
            self.deliveries += 1
            duplicate = key in self._seen
            if not duplicate:
                self._seen.add(key)
                self.records.append(record)
        return 200, {"accepted": True, "duplicate": duplicate}

    def start(self) -> None:
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.port = self._server.server_address[1]  # port 0: any free port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class _Handler(BaseHTTPRequestHandler):
    """The portal's HTTP side: the synchronisation API and the test controls."""

    sandbox: PortalSandbox  # set on the subclass `PortalSandbox.start` makes

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/sandbox/received":
            sandbox = self.sandbox
            with sandbox._lock:
                self._json(
                    200,
                    {
                        "records": list(sandbox.records),
                        "deliveries": sandbox.deliveries,
                        "mode": sandbox.mode,
                    },
                )
            return
        self._json(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        if self.path == "/sandbox/mode":
            self._set_mode(body)
        elif self.path == "/api/dossier-sync":
            self._sync(body)
        else:
            self._json(404, {"error": "not found"})

    def _set_mode(self, body: bytes) -> None:
        mode = json.loads(body or b"{}").get("mode")
        if mode not in ("ok", "down", "500"):
            self._json(400, {"error": "mode must be ok, down or 500"})
            return
        self.sandbox.mode = mode
        self._json(200, {"mode": mode})

    def _sync(self, body: bytes) -> None:
        """One status record, answered as the mode says."""
        if self.sandbox.mode == "down":
            self.close_connection = True
            self.connection.close()  # no answer at all, as when the portal is unreachable
            return
        if self.sandbox.mode == "500":
            self._json(500, {"error": "portal unavailable (sandbox)"})
            return
        try:
            record = json.loads(body)
        except json.JSONDecodeError:
            self._json(400, {"error": "malformed JSON"})
            return
        self._json(*self.sandbox.receive(record))

    def log_message(self, *args: object) -> None:
        pass


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.portal_sandbox")
    parser.add_argument("--port", type=int, default=8092)
    sandbox = PortalSandbox(parser.parse_args(argv).port)
    sandbox.start()
    print(f"National portal sandbox on {sandbox.url}")
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Local SMS and Zalo ZNS providers over HTTP, for `make run` and the tests. They keep what they receive and send
delivery receipts back, and can be told to fail.

    POST /sms/send   {"to", "text", "reference", "callback_url"}            (header X-Api-Key)
    POST /zalo/send  {"to", "template_id", "params", "reference", "callback_url"}
      → 202 {"message_id"}; a moment later the receipt goes to callback_url:
        {"message_id", "reference", "channel", "status": "delivered" | "failed", "error"} with header
        X-Sandbox-Signature: hex HMAC-SHA256 of the body with the API key (the notify service checks it)
      → 503 while the channel is "down", 500 for "fail_temporary", 400 for "reject" (permanent)
    POST /sandbox/mode {"channel": "sms" | "zalo", "mode": "ok" | "down" | "fail_temporary" | "reject"
                        | "undeliverable", "times": n}     (n requests, then back to ok; omitted: until changed)
    GET  /sandbox/messages?channel=sms                       what was accepted, with receipt status

    python -m devtools.message_sandbox --port 8095
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import signal
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DEFAULT_KEY = "local-message-sandbox-key-not-for-production"
CHANNELS = ("sms", "zalo")
MODES = ("ok", "down", "fail_temporary", "reject", "undeliverable")


def receipt_signature(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


class MessageSandbox:
    def __init__(self, port: int, api_key: str = DEFAULT_KEY, receipt_delay: float = 0.2):
        self.port = port
        self.api_key = api_key
        self.receipt_delay = receipt_delay
        self.messages: list[dict] = []
        self.requests = {c: 0 for c in CHANNELS}
        self.modes = {c: ["ok", None] for c in CHANNELS}  # mode, remaining count (None: until changed)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def set_mode(self, channel: str, mode: str, times: int | None = None) -> None:
        with self._lock:
            self.modes[channel] = [mode, times]

    def _take_mode(self, channel: str) -> str:
        with self._lock:
            self.requests[channel] += 1
            mode, times = self.modes[channel]
            if times is not None:
                times -= 1
                self.modes[channel] = [mode, times] if times > 0 else ["ok", None]
            return mode

    def send(self, channel: str, body: dict, api_key: str) -> tuple[int, dict]:
        if not hmac.compare_digest(api_key or "", self.api_key):
            return 401, {"error": "invalid api key"}
        required = ("to", "reference", "callback_url") + (("text",) if channel == "sms" else ("template_id",))
        missing = [k for k in required if not body.get(k)]
        if missing:
            return 400, {"error": f"missing {', '.join(missing)}"}
        mode = self._take_mode(channel)
        if mode == "down":
            return 503, {"error": "provider unavailable"}
        if mode == "fail_temporary":
            return 500, {"error": "temporary provider error"}
        if mode == "reject":
            return 400, {"error": "recipient rejected (not a subscriber)"}
        message = {
            "message_id": str(uuid.uuid4()),
            "channel": channel,
            "to": body["to"],
            "text": body.get("text", ""),
            "template_id": body.get("template_id", ""),
            "params": body.get("params", {}),
            "reference": body["reference"],
            "received_at": time.time(),
            "status": "accepted",
        }
        with self._lock:
            self.messages.append(message)
        outcome = "failed" if mode == "undeliverable" else "delivered"
        timer = threading.Timer(self.receipt_delay, self._receipt, (message, body["callback_url"], outcome))
        timer.daemon = True  # a stopped sandbox must not keep its process alive for pending receipts
        timer.start()
        return 202, {"message_id": message["message_id"]}

    def _receipt(self, message: dict, url: str, outcome: str) -> None:
        payload = json.dumps(
            {
                "message_id": message["message_id"],
                "reference": message["reference"],
                "channel": message["channel"],
                "status": outcome,
                "error": "handset unreachable" if outcome == "failed" else "",
            }
        ).encode()
        request = urllib.request.Request(
            url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Sandbox-Signature": receipt_signature(self.api_key, payload),
            },
        )
        for _ in range(5):  # the platform may be restarting: try a few times, like real providers do
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status < 300:
                        message["status"] = outcome
                        return
            except OSError:
                pass
            time.sleep(1)
        message["status"] = f"{outcome} (receipt not taken)"

    def listing(self, channel: str | None) -> list[dict]:
        with self._lock:
            return [dict(m) for m in self.messages if channel in (None, m["channel"])]

    # -- HTTP ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        sandbox = self

        class Handler(BaseHTTPRequestHandler):
            def _json(self, status: int, payload) -> None:
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                try:
                    value = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    return {}
                return value if isinstance(value, dict) else {}

            def do_POST(self):  # noqa: N802
                path = urlparse(self.path).path
                body = self._body()
                if path in ("/sms/send", "/zalo/send"):
                    self._json(*sandbox.send(path.split("/")[1], body, self.headers.get("X-Api-Key", "")))
                elif (
                    path == "/sandbox/mode" and body.get("channel") in CHANNELS and body.get("mode") in MODES
                ):
                    sandbox.set_mode(body["channel"], body["mode"], body.get("times"))
                    self._json(200, {"channel": body["channel"], "mode": body["mode"]})
                else:
                    self._json(404, {"error": "not found"})

            def do_GET(self):  # noqa: N802
                parsed = urlparse(self.path)
                if parsed.path == "/sandbox/messages":
                    channel = (parse_qs(parsed.query).get("channel") or [None])[0]
                    self._json(200, sandbox.listing(channel))
                else:
                    self._json(404, {"error": "not found"})

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.message_sandbox")
    parser.add_argument("--port", type=int, default=8095)
    args = parser.parse_args(argv)
    sandbox = MessageSandbox(args.port)
    sandbox.start()
    print(f"SMS/Zalo sandbox on http://127.0.0.1:{args.port} (messages: /sandbox/messages)", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

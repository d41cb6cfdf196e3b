"""A real SMTP server that keeps every message it receives, for `make run` and the tests.

Each message is a file `<dir>/<UTC time>-<uuid>.eml` (written under a temporary name, then renamed, so a
reader never sees half a message). A small JSON API lists them: `GET /messages[?to=addr]`, `DELETE /messages`.

    python -m devtools.smtp_sink --port 1025 --http-port 8025 --dir var/mail
"""

from __future__ import annotations

import argparse
import email
import json
import signal
import sys
import threading
import uuid
from datetime import datetime, timezone
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller


def read_messages(directory: Path) -> list[dict]:
    """Every kept message, oldest first, with subject and text decoded."""
    directory = Path(directory)
    if not directory.exists():
        return []
    messages = []
    for path in sorted(directory.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = msg.get_body(preferencelist=("plain", "html"))
        messages.append(
            {
                "id": path.stem,
                "from": str(msg.get("From", "")),
                "to": str(msg.get("To", "")),
                "subject": str(msg.get("Subject", "")),
                "date": str(msg.get("Date", "")),
                "message_id": str(
                    msg.get("Message-ID", "")
                ).strip(),  # a folded header keeps its leading space
                "headers": {k: str(v) for k, v in msg.items() if k.lower().startswith("x-motcua")},
                "text": body.get_content() if body is not None else "",
            }
        )
    return messages


class _Keeper:
    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}"
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.directory / f"{name}.eml")
        return "250 Message accepted for delivery"


class SmtpSink:
    def __init__(self, directory: Path, port: int = 1025, http_port: int | None = 8025):
        self.directory = Path(directory)
        self.port = port
        self.http_port = http_port
        self._controller = None
        self._http = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller = Controller(_Keeper(self.directory), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        if self.http_port:
            directory = self.directory

            class Handler(BaseHTTPRequestHandler):
                def _send(self, status: int, payload) -> None:
                    data = json.dumps(payload, ensure_ascii=False).encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)

                def do_GET(self):  # noqa: N802
                    url = urlparse(self.path)
                    if url.path != "/messages":
                        return self._send(404, {"error": "not found"})
                    to = parse_qs(url.query).get("to", [None])[0]
                    self._send(200, [m for m in read_messages(directory) if to is None or to in m["to"]])

                def do_DELETE(self):  # noqa: N802
                    for path in directory.glob("*.eml"):
                        path.unlink()
                    self._send(200, {"deleted": True})

                def log_message(self, *args):
                    pass

            self._http = ThreadingHTTPServer(("127.0.0.1", self.http_port), Handler)
            threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.smtp_sink")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    parser.add_argument("--dir", default="var/mail")
    args = parser.parse_args(argv)
    sink = SmtpSink(Path(args.dir), args.port, args.http_port)
    sink.start()
    print(
        f"SMTP on 127.0.0.1:{args.port}, messages in {args.dir}, JSON at http://127.0.0.1:{args.http_port}/messages"
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

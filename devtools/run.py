"""`make run`: the whole platform on this machine, with demo data, until Ctrl-C.

RabbitMQ runs as a private process with its data under `var/rabbitmq`; every service keeps a SQLite file under
`var/data` (or uses `DATABASE_URL`); a local SMTP server keeps every e-mail under `var/mail`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType

from devtools.dev_ca import ensure_dev_ca
from devtools.message_sandbox import MessageSandbox
from devtools.platform import Platform
from devtools.portal_sandbox import PortalSandbox
from devtools.rabbit import RabbitMQ
from devtools.smtp_sink import SmtpSink
from devtools.vnpay_sandbox import Sandbox
from services.chassis.config import METRICS_PORTS, REPO_ROOT

VAR = REPO_ROOT / "var"
AMQP_PORT = int(os.environ.get("MOTCUA_AMQP_PORT", "5672"))
SMTP_PORT = int(os.environ.get("MOTCUA_SMTP_PORT", "1025"))
MAIL_HTTP_PORT = int(os.environ.get("MOTCUA_MAIL_HTTP_PORT", "8025"))
HTTP_PORT = int(os.environ.get("HTTP_PORT", "8000"))
SANDBOX_PORT = int(os.environ.get("MOTCUA_PAYMENT_SANDBOX_PORT", "8090"))
MESSAGES_PORT = int(os.environ.get("MOTCUA_MESSAGE_SANDBOX_PORT", "8095"))
PORTAL_PORT = int(os.environ.get("MOTCUA_PORTAL_SANDBOX_PORT", "8092"))


@dataclass
class Helpers:
    """What runs beside the services: the broker, the mail sink and the sandboxes of the outside systems."""

    broker: RabbitMQ
    sink: SmtpSink
    sandbox: Sandbox
    messages: MessageSandbox
    portal: PortalSandbox

    @classmethod
    def local(cls) -> Helpers:
        return cls(
            broker=RabbitMQ(VAR / "rabbitmq", port=AMQP_PORT),
            sink=SmtpSink(VAR / "mail", SMTP_PORT, MAIL_HTTP_PORT),
            sandbox=Sandbox(SANDBOX_PORT, f"http://127.0.0.1:{HTTP_PORT}/api/v1/payments/vnpay/ipn"),
            messages=MessageSandbox(MESSAGES_PORT),
            portal=PortalSandbox(PORTAL_PORT),
        )

    def start(self) -> None:
        print("MotCua: starting RabbitMQ ...", flush=True)
        self.broker.start()
        self.sink.start()
        self.sandbox.start()
        self.messages.start()
        self.portal.start()

    def stop(self) -> None:
        self.sink.stop()
        self.sandbox.stop()
        self.messages.stop()
        self.portal.stop()
        self.broker.stop()


def service_env(helpers: Helpers) -> dict[str, str]:
    """The environment every service starts with: local mode, and where the broker, mail and sandboxes are."""
    env = {
        "MOTCUA_ENV": "local",
        "AMQP_URI": helpers.broker.amqp_uri,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(SMTP_PORT),
        "PUBLIC_URL": f"http://localhost:{HTTP_PORT}",
        "PYTHONWARNINGS": "ignore",
        "VNPAY_SANDBOX_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
        "MESSAGE_PROVIDER_URL": f"http://127.0.0.1:{MESSAGES_PORT}",
        "NOTIFY_PHONE_CHANNELS": "zalo,sms",
    }
    env.update(ensure_dev_ca(VAR / "dev-ca"))  # NOT FOR PRODUCTION signing certificates for results
    env["PORTAL_SYNC_URL"] = helpers.portal.url
    return env


def main() -> int:
    started = time.monotonic()
    helpers = Helpers.local()
    platform = Platform(env=service_env(helpers), log_dir=VAR / "logs", http_port=HTTP_PORT)
    stopping = _stop_requested()
    try:
        helpers.start()
        _prepare(platform)
        print("MotCua: starting services ...", flush=True)
        platform.start_all()
        print(banner(time.monotonic() - started), flush=True)
        _keep_running(platform, stopping)
    finally:
        print("\nMotCua: stopping services ...", flush=True)
        platform.stop_all()
        helpers.stop()
        print("MotCua: stopped.", flush=True)
    return 0


def _stop_requested() -> threading.Event:
    """Set on Ctrl-C or SIGTERM: the platform then stops (the services first, then what runs beside them)."""
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stopping


def _prepare(platform: Platform) -> None:
    """Databases migrated, demo data loaded, queues declared: all before the first service starts."""
    print("MotCua: migrating databases and loading demo data ...", flush=True)
    platform.migrate()
    subprocess.run(
        [sys.executable, "-m", "devtools.demo"],
        env=platform.service_env("registry"),
        cwd=REPO_ROOT,
        check=True,
    )
    platform.declare_topology()


def _keep_running(platform: Platform, stopping: threading.Event) -> None:
    """Until a stop is requested, restart any service whose process ended."""
    while not stopping.is_set():
        for name in [name for name, alive in platform.alive().items() if not alive]:
            print(
                f"MotCua: {name} stopped unexpectedly; restarting it (log: var/logs/{name}.log)", flush=True
            )
            platform.start(name, wait=False)
        time.sleep(1)


def banner(seconds: float) -> str:
    metrics = "\n".join(
        f"    {name:<9} http://127.0.0.1:{port}/metrics" for name, port in METRICS_PORTS.items()
    )
    return f"""
MotCua đang chạy / is running (started in {seconds:.0f}s)
  Gateway (API)      http://localhost:{HTTP_PORT}/api/v1/procedures
  Health             http://localhost:{HTTP_PORT}/healthz   http://localhost:{HTTP_PORT}/readyz
  Dev token          curl -s -X POST localhost:{HTTP_PORT}/dev/token -H 'Content-Type: application/json' -d '{{"sub":"037090000001"}}'
  Mail received      http://127.0.0.1:{MAIL_HTTP_PORT}/messages   (files in var/mail/)
  Payment sandbox    http://127.0.0.1:{SANDBOX_PORT}/sandbox/transactions  (VNPay 2.1.0 protocol, not a real gateway)
  SMS/Zalo sandbox   http://127.0.0.1:{MESSAGES_PORT}/sandbox/messages  (fail on purpose: POST /sandbox/mode)
  National portal    http://127.0.0.1:{PORTAL_PORT}/sandbox/received  (dossier sync sandbox, not the real portal)
  Result check       http://localhost:{HTTP_PORT}/verify/<code>   (results signed by a NOT FOR PRODUCTION dev CA)
  RabbitMQ           amqp://127.0.0.1:{AMQP_PORT}  (data in var/rabbitmq/)
  Metrics
{metrics}
  Logs               var/logs/<service>.log
Ctrl-C dừng tất cả / stops everything.
"""


if __name__ == "__main__":
    sys.exit(main())

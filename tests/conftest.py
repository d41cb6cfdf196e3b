"""Shared test fixtures: a real RabbitMQ and a real PostgreSQL for the whole session (own ports, own data
directories under var/test, torn down after), a real SMTP server, and the services as real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zlib
from pathlib import Path

import pytest
import requests

from devtools.dev_ca import ensure_dev_ca
from devtools.logscan import scan_logs_for_personal_data
from devtools.message_sandbox import MessageSandbox
from devtools.platform import ORDER, Platform
from devtools.portal_sandbox import PortalSandbox
from devtools.ports import free_port
from devtools.postgres import Postgres
from devtools.rabbit import RabbitMQ
from devtools.smtp_sink import SmtpSink, read_messages
from devtools.vnpay_sandbox import Sandbox
from services.chassis.config import REPO_ROOT

TEST_VAR = REPO_ROOT / "var" / "test"


def _checkout_port(base: int, span: int = 400) -> int:
    """A port of this checkout's own: two checkouts testing on one machine (a CI clone beside a developer's tree,
    two worktrees) never share a broker or a database, and never stop each other's (the broker's node name follows
    its port, and a session stops a node of that name left running)."""
    return base + zlib.crc32(str(REPO_ROOT).encode()) % span


# The session's broker and database: away from `make run`'s (5672, 5432), one pair per checkout, overridable
# (RabbitMQ also takes AMQP port + 20000 for Erlang distribution). Both below Linux's ephemeral range (32768 and
# up), where any outgoing connection may hold the port when the server wants to listen on it.
AMQP_PORT = int(os.environ.get("MOTCUA_TEST_AMQP_PORT", str(_checkout_port(5682))))
PG_PORT = int(os.environ.get("MOTCUA_TEST_PG_PORT", str(_checkout_port(15432))))
# Every per-module port (gateway HTTP, each replica's metrics, SMTP, sandboxes) is a free port picked at start-up
# (devtools.ports.free_port): no fixed offset can collide with `make run` or another session.


@pytest.fixture(scope="session")
def broker():
    base = TEST_VAR / "rabbitmq"
    rabbit = RabbitMQ(base, port=AMQP_PORT)
    if rabbit.is_running():
        rabbit.stop()
    shutil.rmtree(base, ignore_errors=True)
    rabbit.start()
    yield rabbit
    rabbit.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    base = TEST_VAR / "pg"
    pg = Postgres(base, port=PG_PORT)
    pg.stop()  # a cluster left running by an interrupted run
    shutil.rmtree(base, ignore_errors=True)
    pg.start()
    yield pg
    pg.stop()
    shutil.rmtree(base, ignore_errors=True)


def _vhost(broker: RabbitMQ) -> str:
    name = f"test-{uuid.uuid4().hex[:8]}"
    broker.rabbitmqctl("add_vhost", name)
    broker.rabbitmqctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    return name


class Running:
    """A started platform and what tests need to talk to it."""

    def __init__(
        self,
        platform: Platform,
        backend: str,
        amqp_uri: str,
        mail_dir: Path,
        broker: RabbitMQ,
        vhost: str,
        database_url: str,
    ):
        self.platform = platform
        self.backend = backend
        self.amqp_uri = amqp_uri
        self.mail_dir = mail_dir
        self.broker = broker
        self.vhost = vhost
        self.database_url = database_url
        self.base_url = f"http://127.0.0.1:{platform.http_port}"
        self.session = requests.Session()

    def token(self, sub: str = "037090000001", kind: str = "citizen", **claims) -> str:
        response = self.session.post(f"{self.base_url}/dev/token", json={"sub": sub, "kind": kind, **claims})
        response.raise_for_status()
        return response.json()["access_token"]

    def headers(self, sub: str = "037090000001", kind: str = "citizen", **claims) -> dict:
        return {"Authorization": f"Bearer {self.token(sub, kind, **claims)}"}

    def submit(self, procedure: str = "1.000656", id_number: str = "037090000001", **extra):
        return self.session.post(
            f"{self.base_url}/api/v1/dossiers",
            headers=self.headers(id_number),
            json={"procedure_code": procedure, "applicant": {"id_number": id_number}, **extra},
        )

    def receive(self, code: str, unit: str | None = None, sub: str = "receiver-1", **claims) -> dict:
        """Receive a filed dossier as a receiving officer of its unit, through the real API, once workflow has
        opened its case (a filed dossier waits for an officer; the legal clock starts here). `unit` defaults to
        the agency in the dossier's code (the receiving agency, which is the competent one when it was routed)."""
        unit = unit or code.rsplit("-", 2)[0]
        headers = self.headers(sub, "officer", unit=unit, roles=["receiver"], **claims)

        def attempt():
            response = self.session.post(
                f"{self.base_url}/api/v1/dossiers/{code}/actions", headers=headers, json={"action": "receive"}
            )
            if response.status_code == 404:
                return None  # the case is not open yet (DossierSubmitted on its way to workflow)
            assert response.status_code == 200, response.text
            return response.json()

        return wait_for(attempt, 30, message=f"{code} opened and received")

    def mails(self, to: str | None = None) -> list[dict]:
        return [m for m in read_messages(self.mail_dir) if to is None or to in m["to"]]

    def db_url(self, service: str) -> str:
        return self.database_url.replace("{service}", service)

    def queue_depths(self) -> dict[str, int]:
        out = self.broker.rabbitmqctl(
            "list_queues", "-p", self.vhost, "name", "messages", "--no-table-headers", "--quiet"
        )
        depths = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                depths[parts[0]] = int(parts[1])
        return depths


class ReceiptDesk:
    """A receiving officer working a unit's receipt queue through the real API, in a thread: every dossier waiting
    for receipt (`GET /api/v1/queue?status=submitted`) is received (`POST .../actions {"action": "receive"}`).
    Errors (a broker or service restarting under a fault test) are retried at the next pass."""

    def __init__(self, running: Running, unit: str = "000.00.07.H41", sub: str = "desk-1"):
        self.running, self.unit = running, unit
        self.headers = running.headers(sub, "officer", unit=unit, roles=["receiver"], ttl_seconds=86400)
        self.received: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, daemon=True)

    def __enter__(self) -> "ReceiptDesk":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    def _work(self) -> None:
        session = requests.Session()
        base = self.running.base_url
        while not self._stop.is_set():
            try:
                page = session.get(
                    f"{base}/api/v1/queue",
                    params={"status": "submitted", "limit": "200"},
                    headers=self.headers,
                    timeout=30,
                )
                items = page.json()["items"] if page.status_code == 200 else []
                for item in items:
                    done = session.post(
                        f"{base}/api/v1/dossiers/{item['dossier_code']}/actions",
                        timeout=30,
                        headers=self.headers,
                        json={"action": "receive"},
                    )
                    if done.status_code == 200:
                        self.received.add(item["dossier_code"])
            except (requests.RequestException, ValueError, KeyError):
                items = []
            if not items:
                self._stop.wait(0.3)


def wait_for(predicate, timeout: float = 30, interval: float = 0.2, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def running(request, broker, tmp_path_factory):
    backend = request.param
    run_id = uuid.uuid4().hex[:8]
    base = tmp_path_factory.mktemp(f"platform-{backend}")
    vhost = _vhost(broker)
    amqp_uri = f"amqp://guest:guest@127.0.0.1:{broker.port}/{vhost}"
    if backend == "postgresql":
        pg = request.getfixturevalue("postgres")
        database_url = pg.url(f"t{run_id}_{{service}}")
    else:
        database_url = f"sqlite:///{base}/data/{{service}}.db"
    http_port, smtp_port, smtp_http, sandbox_port, messages_port, portal_port = (
        free_port() for _ in range(6)
    )
    sink = SmtpSink(base / "mail", smtp_port, smtp_http)
    sink.start()
    sandbox = Sandbox(sandbox_port, f"http://127.0.0.1:{http_port}/api/v1/payments/vnpay/ipn")
    sandbox.start()
    messages = MessageSandbox(messages_port)
    messages.start()
    portal = PortalSandbox(portal_port)  # national portal's dossier sync interface
    portal.start()
    env = {
        "MOTCUA_ENV": "local",
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": database_url,
        "SMTP_PORT": str(smtp_port),
        "DEV_IDP_KEY": str(base / "dev-idp" / "key.pem"),
        "PYTHONWARNINGS": "ignore",
        "MAX_DELIVERY_ATTEMPTS": "3",
        "PUBLIC_URL": f"http://127.0.0.1:{http_port}",
        "FILE_STORE_DIR": str(base / "files"),
        "UPLOAD_MAX_BYTES": str(256 * 1024),
        "VNPAY_SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
        "PAYMENT_RECONCILE_AFTER_SECONDS": "3",
        "PAYMENT_RECONCILE_INTERVAL_SECONDS": "1",
        # Test webhook receivers listen on loopback; the retry schedule runs 50 times faster.
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WEBHOOK_RETRY_SCALE": "0.02",
        # SMS and Zalo through the sandbox provider; quiet hours off (tests run at any hour), faster retries.
        "MESSAGE_PROVIDER_URL": f"http://127.0.0.1:{messages_port}",
        "NOTIFY_PHONE_CHANNELS": "zalo,sms",
        "NOTIFY_QUIET_HOURS": "0",
        "NOTIFY_RETRY_SCALE": "0.05",
        # Tests file hundreds of dossiers for one citizen from one address: the per-client limits are lifted
        # (their logic is tested in tests/unit/gateway/test_web_session.py).
        "RATE_LIMIT_SUBMIT": "1000000/60",
        "RATE_LIMIT_SIGNIN": "1000000/60",
        "RATE_LIMIT_LOOKUP": "1000000/60",
    }
    env.update(ensure_dev_ca(base / "dev-ca"))  # signed results (services/workflow/adapters/signing.py)
    env.update({"PORTAL_SYNC_URL": portal.url, "PORTAL_SYNC_RETRY_MAX_SECONDS": "1"})
    # A module's own settings, e.g. the staff directory's mode (tests/integration/test_staff_directory.py).
    env.update(getattr(request.module, "PLATFORM_ENV", {}))
    platform = Platform(
        env=env,
        log_dir=base / "logs",
        http_port=http_port,
        metrics_ports={name: free_port() for name in ORDER},
    )
    platform.migrate()
    subprocess.run(
        [sys.executable, "-m", "devtools.demo"],
        env=platform.service_env("registry"),
        cwd=REPO_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    platform.declare_topology()
    platform.start_all()
    running = Running(platform, backend, amqp_uri, base / "mail", broker, vhost, database_url)
    running.file_store = base / "files"
    running.sandbox = sandbox
    running.messages = messages
    running.portal = portal
    wait_for(
        lambda: running.session.get(f"{running.base_url}/readyz").status_code == 200,
        60,
        message="gateway ready",
    )
    yield running
    platform.stop_all()
    leaks = scan_logs_for_personal_data(base / "logs")
    sink.stop()
    sandbox.stop()
    messages.stop()
    portal.stop()
    try:
        broker.rabbitmqctl("delete_vhost", vhost)
    except Exception:  # noqa: BLE001 - the broker may be down after a test that stops it
        pass
    assert not leaks, f"personal data or secrets in service logs: {leaks[:5]}"

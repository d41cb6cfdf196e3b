"""Faults on purpose, real processes: the broker restarts, services die with SIGKILL, PostgreSQL restarts,
services run as two replicas. Every dossier the gateway accepted reaches workflow exactly once, is received by the
unit's receiving officer (a desk working the receipt queue through the API while the load and the fault run), and
its citizen gets the receipt e-mail. Each test prints what it sent, what was accepted, arrived, doubled, lost."""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import ReceiptDesk, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults]


def _cases(running) -> dict[str, int]:
    engine = create_engine(running.db_url("workflow"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT dossier_code, count(*) FROM case_actions WHERE action = 'receive' "
                    "GROUP BY dossier_code"
                )
            ).all()
    finally:
        engine.dispose()
    return {code: n for code, n in rows}


class Load:
    """Submissions from several client threads until stopped or `total` is reached; counts what happened."""

    def __init__(self, running, total: int, clients: int = 6):
        self.running, self.total, self.clients = running, total, clients
        self.accepted: list[str] = []
        self.refused: dict[int, int] = {}
        self.lock = threading.Lock()
        self.counter = iter(range(total))
        self.token = running.token("037090000001")
        self.desk = ReceiptDesk(running)

    def _client(self):
        session = requests.Session()
        headers = {"Authorization": f"Bearer {self.token}"}
        for i in iter(lambda: next(self.counter, None), None):
            try:
                response = session.post(
                    f"{self.running.base_url}/api/v1/dossiers",
                    headers=headers,
                    timeout=30,
                    json={
                        "procedure_code": "1.000656",
                        "applicant": {"id_number": "037090000001"},
                        "form": {"i": i},
                    },
                )
                status = response.status_code
                body = response.json() if status == 201 else {}
            except requests.RequestException:
                status, body = 0, {}
            with self.lock:
                if status == 201:
                    self.accepted.append(body["code"])
                else:
                    self.refused[status] = self.refused.get(status, 0) + 1

    def run(self, during=None):
        self.desk.__enter__()  # works the receipt queue until settle_and_report
        with concurrent.futures.ThreadPoolExecutor(self.clients + 1) as pool:
            clients = [pool.submit(self._client) for _ in range(self.clients)]
            if during is not None:
                pool.submit(during).result()
            for c in clients:
                c.result()
        return self

    def settle_and_report(self, label: str, timeout: float = 180) -> dict:
        accepted = set(self.accepted)
        try:
            wait_for(
                lambda: accepted <= set(_cases(self.running)),
                timeout,
                interval=1,
                message=f"{label}: every accepted dossier in workflow and received",
            )
        finally:
            self.desk.__exit__(None, None, None)
            cases = _cases(self.running)
            arrived = accepted & set(cases)
            doubled = sum(cases[c] - 1 for c in arrived)
            report = {
                "sent": self.total,
                "accepted": len(accepted),
                "refused": self.refused,
                "arrived": len(arrived),
                "duplicates": doubled,
                "lost": len(accepted - arrived),
            }
            print(f"\n[{label}/{self.running.backend}] {report}")
        assert report["lost"] == 0 and report["duplicates"] == 0
        assert len(self.accepted) == len(accepted)  # no code handed out twice
        return report


def _per_dossier(running, service: str, table: str) -> dict[str, int]:
    engine = create_engine(running.db_url(service))
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT dossier_code, count(*) FROM {table} GROUP BY dossier_code")
            ).all()
    finally:
        engine.dispose()
    return {code: n for code, n in rows}


def _mails_for(running, codes) -> dict[str, int]:
    counts = dict.fromkeys(codes, 0)
    for mail in running.mails("an.nguyen@example.vn"):
        for code in codes:
            if code in mail["subject"]:
                counts[code] += 1
    return counts


def _inbox(running, codes) -> dict[str, set[str]]:
    """What the citizen's mail client shows for each dossier: the distinct Message-IDs of its e-mails. Sending is
    at-least-once (a notify killed between the relay's 250 and its "sent" row sends again), and a mail client
    shows copies with one Message-ID as one message; so the count that matters is Message-IDs, not copies."""
    shown: dict[str, set[str]] = {code: set() for code in codes}
    owner: dict[str, str] = {}
    copies = 0
    for mail in running.mails("an.nguyen@example.vn"):
        code = mail["headers"].get("X-MotCua-Dossier-Code")
        if code not in shown:
            continue
        copies += 1
        assert mail["message_id"], mail
        # A Message-ID is one notification's: never reused for another dossier or another notification.
        assert owner.setdefault(mail["message_id"], code) == code, (mail["message_id"], code)
        shown[code].add(mail["message_id"])
    print(
        f"[mail client] {len(codes)} dossiers, {copies} e-mails received, "
        f"{sum(len(ids) for ids in shown.values())} distinct Message-IDs"
    )
    return shown


def _every_receipt_shown_once(running, codes) -> None:
    """Each accepted dossier's receipt reaches its citizen, and the mail client shows it EXACTLY once."""
    shown = wait_for(
        lambda: (m := _inbox(running, codes)) and all(m.values()) and m,
        120,
        interval=1,
        message="every receipt e-mail",
    )
    twice = {code: ids for code, ids in shown.items() if len(ids) != 1}
    assert not twice, f"receipts shown more than once (different Message-IDs): {twice}"


def test_broker_restart_during_load_loses_nothing(running):
    def restart_broker():
        time.sleep(2)
        running.broker.stop()
        time.sleep(2)
        running.broker.start()

    load = Load(running, total=int(os.environ.get("FAULT_BROKER_DOSSIERS", "500"))).run(during=restart_broker)
    report = load.settle_and_report("broker restart")
    assert report["accepted"] > 0
    # While the broker is away the gateway answers a clean "try again later", never a 500.
    assert set(report["refused"]) <= {503}, report["refused"]
    _every_receipt_shown_once(running, load.accepted)


@pytest.mark.parametrize("victim", ["registry", "intake", "workflow", "notify", "payment", "gateway"])
def test_kill_9_a_service_during_load_loses_nothing(running, victim):
    def kill_and_restart():
        time.sleep(1.5)
        running.platform.kill(victim)
        time.sleep(1)
        running.platform.start(victim)

    load = Load(running, total=120).run(during=kill_and_restart)
    load.settle_and_report(f"kill -9 {victim}")
    _every_receipt_shown_once(running, load.accepted)


def test_postgresql_restart_fails_cleanly_and_recovers(running, request):
    if running.backend != "postgresql":
        pytest.skip("PostgreSQL restart applies to the PostgreSQL backend")
    pg = request.getfixturevalue("postgres")
    statuses: list[int] = []

    def restart_database():
        time.sleep(1.5)
        pg.stop()
        time.sleep(3)
        for _ in range(3):
            try:
                r = requests.post(
                    f"{running.base_url}/api/v1/dossiers",
                    headers=running.headers("037090000001"),
                    json={"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}},
                    timeout=30,
                )
                statuses.append(r.status_code)
                assert r.headers["Content-Type"] in ("application/problem+json", "application/json")
            except requests.RequestException:
                statuses.append(0)
        pg.start()

    load = Load(running, total=150).run(during=restart_database)
    print(f"\n[postgres down] answers while down: {statuses}")
    assert all(s in (201, 503) for s in statuses), statuses  # a clean "try again", never a 500
    load.settle_and_report("postgresql restart")


def test_two_replicas_of_every_service_process_everything_once(running):
    if running.backend != "postgresql":
        pytest.skip("replicas share a database: PostgreSQL (SQLite is single-process by design)")
    backends = ["registry", "intake", "workflow", "notify", "payment"]
    for name in backends:
        running.platform.start(f"{name}#1", wait=False)
    for name in backends:
        running.platform.wait_ready(f"{name}#1")
    try:
        load = Load(running, total=200, clients=8).run()
        load.settle_and_report("two replicas")
        mails = wait_for(
            lambda: (m := _mails_for(running, load.accepted)) and all(m.values()) and m,
            120,
            interval=1,
            message="receipt e-mails",
        )
        doubled = {c: n for c, n in mails.items() if n > 1}
        print(
            f"[two replicas] e-mails: {len(mails)} dossiers, {sum(mails.values())} e-mails, doubled {len(doubled)}"
        )
        assert not doubled
        # Every dossier's fee assessed once (payment's consumers and timers ran in both replicas too).
        payments = wait_for(
            lambda: (
                (p := _per_dossier(running, "payment", "payments")) and set(load.accepted) <= set(p) and p
            ),
            60,
            interval=1,
            message="a payment per dossier",
        )
        twice = {c: n for c, n in payments.items() if c in set(load.accepted) and n > 1}
        print(
            f"[two replicas] payments: {len(set(load.accepted) & set(payments))} dossiers assessed, "
            f"doubled {len(twice)}"
        )
        assert not twice
    finally:
        for name in backends:
            running.platform.stop(f"{name}#1")

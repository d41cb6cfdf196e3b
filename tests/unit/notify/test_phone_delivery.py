"""Phone channels from the notify entrypoints (worker_factory), against the sandbox provider over real HTTP:
accepted → receipt → delivered; a failing provider is paused after five failures in a row; a citizen's phone
is not flooded; receipts are checked for the provider's signature and taken once."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from devtools.message_sandbox import DEFAULT_KEY, MessageSandbox
from services.chassis.errors import Forbidden
from services.notify.adapters import storage
from services.notify.adapters.mailer import Mailer
from services.notify.service import NotifyService
from services.notify.use_cases import Ports, sending
from tests.support import FakeDatabase, free_port


@pytest.fixture
def sandbox(monkeypatch):
    box = MessageSandbox(free_port(), receipt_delay=3600)  # receipts are sent by hand in these tests
    box.start()
    monkeypatch.setenv("MESSAGE_PROVIDER_URL", f"http://127.0.0.1:{box.port}")
    monkeypatch.setenv("NOTIFY_PHONE_CHANNELS", "zalo,sms")
    yield box
    box.stop()


@pytest.fixture
def notify():
    return worker_factory(
        NotifyService,
        db=FakeDatabase(storage.metadata),
        settings=SimpleNamespace(public_url="http://127.0.0.1:9", mail_from="x@y"),
    )


def _note(notify, channel="sms", to="0912345601", status="created", sent_at=None) -> str:
    now = datetime.now(timezone.utc)
    note_id = str(uuid.uuid4())
    with notify.db.unit() as uow:
        uow.session.execute(
            storage.notifications.insert().values(
                id=note_id,
                dossier_code="D-1",
                channel=channel,
                recipient=to,
                template="dossier_received.sms@1",
                language="vi",
                subject="",
                body="MotCua: Ho so D-1 da duoc tiep nhan",
                status=status,
                attempts=0,
                last_error="",
                cause_event_id=str(uuid.uuid4()),
                created_at=now,
                updated_at=now,
                sent_at=sent_at,
            )
        )
    return note_id


def _row(notify, note_id) -> dict:
    return next(r for r in notify.db.rows("notifications") if r["id"] == note_id)


def _signed(body: dict) -> tuple[str, str]:
    raw = json.dumps(body)
    return raw, hmac.new(DEFAULT_KEY.encode(), raw.encode(), hashlib.sha256).hexdigest()


def test_accepted_then_delivered_by_a_signed_receipt_taken_once(notify, sandbox):
    note_id = _note(notify)
    sending.deliver(Ports.of(notify), note_id)
    row = _row(notify, note_id)
    assert row["status"] == "sent" and row["provider_message_id"]
    assert [m["to"] for m in sandbox.listing("sms")] == ["0912345601"]
    with pytest.raises(Forbidden):
        notify.provider_receipt(*_signed({"reference": note_id, "status": "failed"})[:1], "0" * 64)
    raw, signature = _signed(
        {"reference": note_id, "status": "delivered", "message_id": row["provider_message_id"]}
    )
    assert notify.provider_receipt(raw, signature)["status"] == "delivered"
    raw, signature = _signed({"reference": note_id, "status": "failed"})
    assert (
        notify.provider_receipt(raw, signature)["status"] == "delivered"
    )  # a late contrary receipt changes nothing


def test_a_provider_failing_five_times_in_a_row_is_paused(notify, sandbox):
    sandbox.set_mode("sms", "down")
    notes = [_note(notify) for _ in range(6)]
    for note_id in notes[:5]:
        sending.deliver(Ports.of(notify), note_id)
        assert _row(notify, note_id)["status"] == "temporary-failure"
    assert sandbox.requests["sms"] == 5
    health = notify.db.rows("provider_health")[0]
    assert health["consecutive_failures"] == 5 and health["open_until"] is not None
    sending.deliver(Ports.of(notify), notes[5])
    paused = _row(notify, notes[5])
    assert sandbox.requests["sms"] == 5  # not even tried
    assert paused["status"] == "temporary-failure" and paused["last_error"] == "provider paused"
    assert paused["attempts"] == 0 and paused["not_before"] is not None


def test_a_permanent_zalo_refusal_falls_back_to_sms(notify, sandbox):
    sandbox.set_mode("zalo", "reject")
    note_id = _note(notify, channel="zalo")
    sending.deliver(Ports.of(notify), note_id)
    assert _row(notify, note_id)["status"] == "permanent-failure"
    fallback = [r for r in notify.db.rows("notifications") if r["channel"] == "sms"]
    assert (
        len(fallback) == 1 and fallback[0]["status"] == "created" and fallback[0]["recipient"] == "0912345601"
    )


def test_a_citizens_phone_is_not_flooded(notify, sandbox, monkeypatch):
    monkeypatch.setenv("NOTIFY_PHONE_PER_HOUR", "3")
    recent = datetime.now(timezone.utc) - timedelta(minutes=20)
    for _ in range(3):
        _note(notify, status="delivered", sent_at=recent)
    _note(notify, to="0987654321", status="delivered", sent_at=recent)  # someone else's messages do not count
    note_id = _note(notify)
    sending.deliver(Ports.of(notify), note_id)
    row = _row(notify, note_id)
    assert (
        row["status"] == "temporary-failure"
        and row["last_error"] == "rate limited"
        and sandbox.requests["sms"] == 0
    )
    other = _note(notify, to="0987654321")
    sending.deliver(Ports.of(notify), other)
    assert _row(notify, other)["status"] == "sent"


def test_deferred_messages_do_not_crowd_out_the_others(sandbox):
    """150 phone messages deferred by the rate limit are older than an e-mail waiting to go: the e-mail is still
    tried at the next tick (the retry scan skips deferred rows in the query, not after its limit)."""
    notify = worker_factory(
        NotifyService,
        db=FakeDatabase(storage.metadata),
        mailer=Mailer("127.0.0.1", free_port()),
        settings=SimpleNamespace(public_url="http://127.0.0.1:9", mail_from="x@y"),
    )
    later = datetime.now(timezone.utc) + timedelta(minutes=10)
    deferred = [_note(notify, status="temporary-failure") for _ in range(150)]
    with notify.db.unit() as uow:
        uow.session.execute(
            storage.notifications.update()
            .where(storage.notifications.c.id.in_(deferred))
            .values(not_before=later, updated_at=datetime.now(timezone.utc) - timedelta(hours=1))
        )
    email = _note(notify, channel="email", to="an.nguyen@example.vn")
    notify.retry_pending()
    row = _row(notify, email)
    assert (
        row["attempts"] == 1 and row["status"] == "temporary-failure"
    )  # tried (no SMTP server on that port)
    assert sandbox.requests["sms"] == 0  # and none of the deferred ones

"""Notify's citizen handlers deduplicate: a redelivered DossierSubmitted, ApplicantContactRecorded or
DossierStatusChanged records nothing twice and sends nothing twice (worker_factory, SQLite, a real SMTP server)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from motcua.intake.v1.events_pb2 import ApplicantContactRecorded, DossierSubmitted
from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from nameko.testing.services import worker_factory

from devtools.smtp_sink import read_messages
from services.chassis.events import build_event, parse_event
from services.notify.adapters import storage
from services.notify.adapters.mailer import Mailer
from services.notify.adapters.templates import Templates
from services.notify.service import NotifyService
from tests.support import FakeDatabase

CODE = "000.00.07.H41-261130-0001"


@pytest.fixture
def notify(sink, monkeypatch):
    monkeypatch.delenv("MESSAGE_PROVIDER_URL", raising=False)  # e-mail only
    return worker_factory(
        NotifyService,
        db=FakeDatabase(storage.metadata),
        templates=Templates(),
        mailer=Mailer("127.0.0.1", sink.port),
        settings=SimpleNamespace(
            public_url="http://127.0.0.1:8000", mail_from="Một cửa điện tử <motcua@localhost>"
        ),
    )


def _submitted():
    return parse_event(
        build_event(
            DossierSubmitted,
            {
                "dossier_code": CODE,
                "procedure_code": "1.000656",
                "procedure_version": 1,
                "receiving_agency_code": "000.00.07.H41",
                "applicant_unit_code": "26734",
                "applicant_ref": "ref-1",
                "channel": "online",
                "submitted_at": "2026-11-30T03:00:00Z",
            },
            source="intake",
            subject=CODE,
        )
    )


def _contact():
    return parse_event(
        build_event(
            ApplicantContactRecorded,
            {
                "dossier_code": CODE,
                "contact": {
                    "full_name": "Nguyễn Văn An",
                    "email": "an.nguyen@example.vn",
                    "phone": "",
                    "language": "vi",
                },
            },
            source="intake",
            subject=CODE,
        )
    )


def _received():
    return parse_event(
        build_event(
            DossierStatusChanged,
            {
                "dossier_code": CODE,
                "procedure_code": "1.000656",
                "agency_code": "000.00.07.H41",
                "from_status": "submitted",
                "to_status": "received",
                "action": "receive",
                "level": "province",
                "actor": "system",
                "reason": "",
                "due_at": "2026-12-10T10:00:00Z",
            },
            source="workflow",
            subject=CODE,
        )
    )


def test_a_redelivered_event_is_recorded_once_and_mailed_once(notify, sink):
    submitted, contact, received = _submitted(), _contact(), _received()
    for _ in range(2):
        notify.on_dossier_submitted(submitted)
        notify.on_applicant_contact_recorded(contact)
        notify.on_dossier_status_changed(received)
    assert len(notify.db.rows("recipients")) == 1
    assert sorted(r["event_id"] for r in notify.db.rows("event_log")) == sorted([submitted.id, received.id])
    notes = notify.db.rows("notifications")
    assert [(n["channel"], n["status"], n["attempts"]) for n in notes] == [("email", "sent", 1)]
    mails = read_messages(sink.directory)
    assert len(mails) == 1 and mails[0]["headers"]["X-MotCua-Dossier-Code"] == CODE
    assert mails[0]["to"] == "an.nguyen@example.vn"


def test_a_status_event_that_overtakes_the_submission_still_reaches_the_applicant(notify, sink):
    notify.intake.get_contact.call_async.side_effect = lambda *a: SimpleNamespace(
        result=lambda: {
            "full_name": "Nguyễn Văn An",
            "email": "an.nguyen@example.vn",
            "phone": "",
            "language": "vi",
        }
    )
    notify.on_dossier_status_changed(_received())
    notify.on_applicant_contact_recorded(_contact())  # arrives second: the applicant is still mailed once
    assert [m["to"] for m in read_messages(sink.directory)] == ["an.nguyen@example.vn"]


def test_a_resend_after_a_crash_carries_the_same_message_id(notify, sink):
    """notify killed after the relay took the mail but before "sent" was recorded: the row stays "sending", the
    timer sends it again after 30 s, and the copy is the same message to a mail client (same Message-ID)."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import update

    notify.on_applicant_contact_recorded(_contact())
    notify.on_dossier_status_changed(_received())
    (note,) = notify.db.rows("notifications")
    with notify.db.unit() as uow:  # as the crash left it: claimed, never marked sent
        uow.session.execute(
            update(storage.notifications).values(
                status="sending", sent_at=None, updated_at=datetime.now(timezone.utc) - timedelta(seconds=31)
            )
        )
    notify.retry_pending()
    mails = read_messages(sink.directory)
    assert len(mails) == 2  # at least once: the relay got it twice ...
    assert (
        mails[0]["message_id"] == mails[1]["message_id"] == f"<notification.{note['id']}@localhost>"
    )  # ... as one
    assert [n["attempts"] for n in notify.db.rows("notifications")] == [2]


def test_the_configured_domain_names_message_ids(notify, sink):
    notify.settings.message_id_domain = "mail.dichvucong.quangngai.gov.vn"
    notify.on_applicant_contact_recorded(_contact())
    notify.on_dossier_status_changed(_received())
    (note,) = notify.db.rows("notifications")
    (mail,) = read_messages(sink.directory)
    assert mail["message_id"] == f"<notification.{note['id']}@mail.dichvucong.quangngai.gov.vn>"

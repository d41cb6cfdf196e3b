"""Reminders to officers (worker_factory, SQLite, a real SMTP server): CaseDueSoon and CaseOverdue reach the
assignee and the unit's leaders once (a redelivered event, or another event of the same kind for the dossier, sends
nothing again), in their language, with a stable Message-ID; nothing is sent (and the log says why) while the staff
directory is missing or names nobody; the applicant's timeline never lists them."""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import Mock

import pytest
from motcua.workflow.v1.events_pb2 import CaseDueSoon, CaseOverdue
from nameko.exceptions import MethodNotFound
from nameko.testing.services import worker_factory

from devtools.smtp_sink import read_messages
from services.chassis.events import build_event, parse_event
from services.notify.adapters import storage
from services.notify.adapters.mailer import Mailer
from services.notify.adapters.templates import Templates
from services.notify.domain import reminders
from services.notify.service import NotifyService
from tests.support import FakeDatabase
from tests.unit.intake.test_service import _Reply

CODE = "000.00.07.H41-261130-0001"
HANDLER = {
    "subject": "handler-1",
    "full_name": "Đỗ Văn Bắc",
    "email": "bac@tuphap.example.vn",
    "roles": ["handler"],
}
LEADER = {
    "subject": "leader-1",
    "full_name": "Vũ Thị Hà",
    "email": "ha@tuphap.example.vn",
    "roles": ["leader"],
}


@pytest.fixture
def notify(sink, monkeypatch):
    monkeypatch.delenv("MESSAGE_PROVIDER_URL", raising=False)
    worker = worker_factory(
        NotifyService,
        db=FakeDatabase(storage.metadata),
        templates=Templates(),
        mailer=Mailer("127.0.0.1", sink.port),
        settings=SimpleNamespace(
            public_url="http://127.0.0.1:8000", mail_from="Một cửa điện tử <motcua@localhost>"
        ),
        log=Mock(),
    )
    worker.workflow.staff_contacts.call_async.side_effect = lambda code: _Reply(
        {"assignee": HANDLER, "leaders": [LEADER, {**HANDLER, "roles": ["leader"]}]}
    )
    return worker


def _event(kind, **extra):
    fields = {
        "dossier_code": CODE,
        "agency_code": "000.00.07.H41",
        "level": "province",
        "due_at": "2026-12-02T10:00:00Z",
    }
    return parse_event(build_event(kind, {**fields, **extra}, source="workflow", subject=CODE))


def test_the_assignee_and_the_leaders_are_reminded_once_per_kind(notify, sink):
    soon = _event(CaseDueSoon, working_days_left=1)
    notify.feed_case_due_soon(soon)
    notify.feed_case_due_soon(soon)  # redelivered
    notify.feed_case_due_soon(
        _event(CaseDueSoon, working_days_left=0)
    )  # another event, same dossier and kind
    mails = read_messages(sink.directory)
    assert sorted(m["to"] for m in mails) == [
        HANDLER["email"],
        LEADER["email"],
    ]  # the handler who leads: once
    assert all(m["subject"].startswith(f"Sắp đến hạn: hồ sơ {CODE}") for m in mails)
    body = next(m for m in mails if m["to"] == HANDLER["email"])["text"]
    assert "Đỗ Văn Bắc" in body and "người được phân công" in body and "17:00 02/12/2026" in body
    notify.feed_case_overdue(_event(CaseOverdue))
    overdue = [m for m in read_messages(sink.directory) if m["subject"].startswith("Quá hạn")]
    assert len(overdue) == 2 and len(read_messages(sink.directory)) == 4
    rows = notify.db.rows("notifications")
    assert {r["status"] for r in rows} == {"sent"} and len({r["id"] for r in rows}) == 4
    # The Message-ID is the notification's, as every other notification's (a resend is the same message).
    assert {m["message_id"] for m in read_messages(sink.directory)} == {
        f"<notification.{r['id']}@localhost>" for r in rows
    }
    # The event log holds each event once for the agency feeds; the applicant's timeline shows no reminder.
    assert len(notify.db.rows("event_log")) == 3
    assert notify.list_notifications(CODE) == []


def test_an_officer_reads_it_in_english_when_that_is_their_language(notify, sink):
    notify.workflow.staff_contacts.call_async.side_effect = lambda code: _Reply(
        {"assignee": {**HANDLER, "language": "en"}, "leaders": []}
    )
    notify.feed_case_overdue(_event(CaseOverdue))
    (mail,) = read_messages(sink.directory)
    assert mail["subject"] == f"Overdue: dossier {CODE} (due 17:00 02/12/2026)"


@pytest.mark.parametrize(
    "answer,reason",
    [
        (MethodNotFound("staff_contacts"), "staff_directory_missing"),
        ({"assignee": None, "leaders": []}, "no_officer_with_email"),
        (
            {"assignee": {**HANDLER, "email": ""}, "leaders": [{**LEADER, "email": None}]},
            "no_officer_with_email",
        ),
    ],
)
def test_nobody_to_tell_sends_nothing_and_says_so(notify, sink, answer, reason):
    notify.workflow.staff_contacts.call_async.side_effect = lambda code: _Reply(answer)
    notify.feed_case_due_soon(_event(CaseDueSoon, working_days_left=1))
    assert read_messages(sink.directory) == [] and notify.db.rows("notifications") == []
    assert len(notify.db.rows("event_log")) == 1  # still recorded for the agency feeds
    notify.log.warning.assert_called_with(
        "reminder_not_sent", kind="CaseDueSoon", dossier_code=CODE, reason=reason
    )


def test_recipients_and_keys():
    people = reminders.recipients(
        {"assignee": HANDLER, "leaders": [LEADER, {**LEADER, "email": "HA@tuphap.example.vn"}]}
    )
    assert [(o.subject, o.role) for o in people] == [("handler-1", "assignee"), ("leader-1", "leader")]
    assert reminders.recipients(None) == []
    key = reminders.reminder_key(CODE, "staff_case_due_soon", "Ha@X.vn")
    assert key == reminders.reminder_key(CODE, "staff_case_due_soon", "ha@x.vn") and len(key) == 36
    assert key != reminders.reminder_key(CODE, "staff_case_overdue", "ha@x.vn")
    assert reminders.is_staff("staff_case_overdue@1") and not reminders.is_staff("dossier_received@1")

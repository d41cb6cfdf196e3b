"""Reminders to officers: CaseDueSoon and CaseOverdue (public events, nothing personal in them) become e-mails to
the case's assignee and the leaders of its agency, whose addresses workflow's staff directory gives
(`staff_contacts(dossier_code)`). Once per dossier, kind of reminder and officer: the event log deduplicates a
redelivered event, the reminder's key (domain/reminders.py) a second event of the same kind. Sent like the
citizens' notifications (claimed, retried, the same Message-ID on every attempt).

While the staff directory is missing (an older workflow) or names nobody with an address, nothing is sent and the
log says so; the event is still recorded for the agency feeds."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from nameko.exceptions import MethodNotFound, RemoteError
from sqlalchemy import select

from services.chassis.clock import legal_text, utcnow
from services.chassis.rpc import call
from services.notify.adapters import citizen_store
from services.notify.adapters.storage import notifications
from services.notify.domain import reminders
from services.notify.metrics import NOTIFICATIONS
from services.notify.use_cases import Ports, feeds, sending


def remind(ports: Ports, event) -> None:
    """The handler of CaseDueSoon and CaseOverdue: record the event for the feeds and remind the officers."""
    for note in _create(ports, event, utcnow()):
        NOTIFICATIONS.labels(note["channel"], "created").inc()
        sending.send(ports, note)


def _contacts(ports: Ports, dossier_code: str) -> dict | None:
    """workflow.staff_contacts, or None while workflow has no staff directory (MethodNotFound)."""
    try:
        return call(ports.workflow.staff_contacts, dossier_code)
    except MethodNotFound:
        return None
    except RemoteError as exc:
        if exc.exc_type == "MethodNotFound":
            return None
        raise


def _create(ports: Ports, event, now: datetime) -> list[dict]:
    kind = event.type.rsplit(".", 1)[-1]
    template, data = reminders.TEMPLATES[kind], event.data
    created: list[dict] = []
    with ports.db.unit() as uow:
        if not feeds.record_in(uow.session, event):
            return []  # a redelivery
        contacts = _contacts(ports, data.dossier_code)
        officers = reminders.recipients(contacts)
        if not officers:
            reason = "staff_directory_missing" if contacts is None else "no_officer_with_email"
            ports.log.warning("reminder_not_sent", kind=kind, dossier_code=data.dossier_code, reason=reason)
            return []
        keys = {o.email: reminders.reminder_key(data.dossier_code, template, o.email) for o in officers}
        done = set(
            uow.session.execute(
                select(notifications.c.cause_event_id).where(
                    notifications.c.cause_event_id.in_(list(keys.values()))
                )
            ).scalars()
        )
        for officer in officers:
            if keys[officer.email] in done:
                continue  # this officer had this dossier's reminder of this kind already
            note = _note(ports, template, data, officer, keys[officer.email], now)
            citizen_store.add_notification(uow.session, note)
            created.append(note)
    ports.log.info("reminders_created", kind=kind, dossier_code=data.dossier_code, officers=len(created))
    return created


def _note(ports: Ports, template: str, data, officer: reminders.Officer, key: str, now: datetime) -> dict:
    due = data.due_at.ToDatetime(tzinfo=timezone.utc) if data.HasField("due_at") else None
    rendered = ports.templates.render(
        template,
        officer.language,
        {
            "full_name": officer.full_name,
            "role": officer.role,
            "dossier_code": data.dossier_code,
            "agency_code": data.agency_code,
            "due_local": legal_text(due) if due else "",
            "working_days_left": getattr(data, "working_days_left", 0),
            "public_url": ports.settings.public_url.rstrip("/"),
        },
    )
    return dict(
        id=str(uuid.uuid4()),
        dossier_code=data.dossier_code,
        channel="email",
        recipient=officer.email,
        template=rendered.template,
        language=rendered.language,
        subject=rendered.subject,
        body=rendered.body,
        status="sending",  # claimed for sending by this transaction (as a citizen's notification due now)
        attempts=1,
        last_error="",
        cause_event_id=key,
        created_at=now,
        updated_at=now,
        not_before=None,
    )

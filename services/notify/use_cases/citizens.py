"""A dossier's news for its applicant: how to reach them (from intake's private event, or intake itself), and
each status change that has a template becomes one notification per channel they can be reached on."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from services.chassis.clock import legal_text, utcnow
from services.chassis.errors import NotFound
from services.chassis.rpc import call
from services.notify.adapters import citizen_store, settings
from services.notify.domain import reminders, sms
from services.notify.domain.templates import template_for
from services.notify.metrics import NOTIFICATIONS
from services.notify.use_cases import Ports, feeds, sending


def keep_contact(db, data) -> None:
    """`data` is an ApplicantContactRecorded (intake.private: it never reaches the agency feeds). The first copy
    per dossier wins: a redelivery inserts nothing."""
    contact = data.contact
    with db.unit() as uow:
        citizen_store.keep_recipient(
            uow.session,
            {
                "dossier_code": data.dossier_code,
                "full_name": contact.full_name,
                "email": contact.email,
                "phone": contact.phone,
                "language": contact.language or "vi",
            },
        )


def timeline(db, dossier_code: str) -> list[dict]:
    """A dossier's notifications for its timeline: channel, template, status, times; never the text or the
    address."""
    with db.unit() as uow:
        rows = citizen_store.for_dossier(uow.session, dossier_code)
    if rows is None:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
    rows = [
        r for r in rows if not reminders.is_staff(r["template"])
    ]  # officers' reminders are not the applicant's
    return [
        {
            "id": r["id"],
            "channel": r["channel"],
            "template": r["template"],
            "status": r["status"],
            "created_at": r["created_at"].isoformat(),
            "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None,
        }
        for r in rows
    ]


def tell_status_change(ports: Ports, event) -> None:
    """Record a DossierStatusChanged for the agency feeds and, when the change has a template, notify the
    applicant; the notifications due now are sent at once, the others by the retry timer."""
    name = template_for(event.data.action, event.data.from_status, event.data.to_status)
    if name is None:
        feeds.record(ports.db, event)
        return
    for note, due_now in _create(ports, event, name, utcnow()):
        NOTIFICATIONS.labels(note["channel"], "created").inc()
        if due_now:
            sending.send(ports, note)


def _create(ports: Ports, event, name: str, now: datetime) -> list[tuple[dict, bool]]:
    """One transaction: claim the event, record it for the feeds, read how to reach the applicant, and store
    each notification already claimed for sending ("sending", first attempt) when it may go out now, so the
    send needs no claim of its own. A crash before the send leaves a "sending" row that retry_pending takes
    over after 30 s."""
    data, created = event.data, []
    with ports.db.unit() as uow:
        if not feeds.record_in(uow.session, event):
            return []  # seen before (the event log deduplicates, see feeds.record_in)
        recipient = citizen_store.find_recipient(uow.session, data.dossier_code)
        if recipient is None:
            # Status events may overtake ApplicantContactRecorded (separate queues): ask intake, the
            # dossier's owner.
            recipient = call(ports.intake.get_contact, data.dossier_code)
        for channel, to, rendered, not_before in _render_for(ports, name, data, recipient, now):
            due_now = not_before is None or not_before <= now
            note = dict(
                id=str(uuid.uuid4()),
                dossier_code=data.dossier_code,
                channel=channel,
                recipient=to,
                template=rendered.template,
                language=rendered.language,
                subject=rendered.subject,
                body=rendered.body,
                status="sending" if due_now else "created",
                attempts=1 if due_now else 0,
                last_error="",
                cause_event_id=event.id,
                created_at=now,
                updated_at=now,
                not_before=not_before,
            )
            citizen_store.add_notification(uow.session, note)
            created.append((note, due_now))
    return created


def _render_for(ports: Ports, name: str, data, recipient: dict, now: datetime) -> list[tuple]:
    """(channel, recipient, rendered, not_before) for each channel the applicant can be reached on."""
    config = settings.current()
    language = recipient.get("language") or "vi"
    context = {
        "full_name": recipient["full_name"],
        "dossier_code": data.dossier_code,
        "procedure_code": data.procedure_code,
        "agency_code": data.agency_code,
        "due_local": legal_text(data.due_at.ToDatetime(tzinfo=timezone.utc))
        if data.HasField("due_at")
        else "",
        "public_url": ports.settings.public_url,
        "reason": data.reason,
    }
    rows = []
    if recipient.get("email"):
        rows.append(("email", recipient["email"], ports.templates.render(name, language, context), None))
    phone_channels = sms.ladder(
        config.phone_channels, bool(recipient.get("phone")) and bool(config.provider_url)
    )
    if phone_channels:
        short = ports.templates.render_short(name, language, context, plain=config.sms_plain)
        rows.append(
            (phone_channels[0], recipient["phone"], short, sms.next_allowed(now, quiet=config.quiet_hours))
        )
    return rows

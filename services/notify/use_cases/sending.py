"""Sending citizen notifications: each one claimed first (replicas never send one twice at once), then sent
over its channel; what is still pending (never sent, failed for now, cut off mid-way) is retried by a timer."""

from __future__ import annotations

import smtplib

from services.chassis.clock import utcnow
from services.notify.adapters import citizen_store, settings
from services.notify.adapters.mailer import build_message, message_id_domain
from services.notify.domain import delivery, identity
from services.notify.use_cases import Ports, outcomes, phone


def retry_pending(ports: Ports) -> None:
    """Send what is due again: created but never sent (process stopped, quiet hours over), temporary failures
    after their backoff, and sends cut off mid-way (30 s without news)."""
    now = utcnow()
    scale = settings.current().retry_scale
    with ports.db.unit() as uow:
        rows = citizen_store.retry_candidates(uow.session, delivery.RETRYABLE + ("sending",), now)
    for row in rows:
        if row.not_before is not None and row.not_before > now:
            continue
        if row.updated_at + delivery.retry_wait(row.status, row.attempts, scale) <= now:
            deliver(ports, row.id, stale_sending=row.status == "sending")


def deliver(ports: Ports, notification_id: str, stale_sending: bool = False) -> None:
    """Claim a notification (one more attempt) and send it; nothing if another worker has it."""
    claimable = delivery.RETRYABLE + (("sending",) if stale_sending else ())
    with ports.db.unit() as uow:
        claimed = citizen_store.claim(uow.session, notification_id, claimable, utcnow())
        note = citizen_store.find_notification(uow.session, notification_id)
    if claimed:
        send(ports, dict(note))


def send(ports: Ports, note: dict) -> None:
    """Send a notification this worker has claimed (status "sending"), then record how it went."""
    if note["channel"] in delivery.PHONE:
        phone.deliver(ports, note)
        return
    try:
        _send_email(ports, note)
    except smtplib.SMTPResponseException as exc:
        outcomes.failed(
            ports.db, note, delivery.smtp_failure(exc.smtp_code), f"{exc.smtp_code} {exc.smtp_error!r}"
        )
        return
    except (OSError, smtplib.SMTPException) as exc:
        outcomes.failed(ports.db, note, "temporary-failure", f"{type(exc).__name__}: {exc}")
        return
    outcomes.sent(ports.db, note)


def _send_email(ports: Ports, note: dict) -> None:
    sender, data = build_message(
        ports.settings.mail_from,
        note["recipient"],
        note["subject"],
        note["body"],
        {"X-MotCua-Notification-Id": note["id"], "X-MotCua-Dossier-Code": note["dossier_code"]},
        # The same Message-ID on every attempt (a resend after a crash): mail clients show one message.
        message_id=identity.message_id(note["id"], message_id_domain(ports.settings)),
    )
    ports.mailer.send(sender, note["recipient"], data)

"""What the result of one send records: sent (NotificationSent published), a failure (temporary ones retried,
final ones handed to the next phone channel of the ladder)."""

from __future__ import annotations

import uuid

from motcua.notify.v1.events_pb2 import NotificationSent

from services.chassis.clock import utcnow
from services.notify.adapters import citizen_store, settings
from services.notify.domain import delivery, sms
from services.notify.metrics import NOTIFICATIONS


def sent(db, note: dict, provider_message_id: str | None = None) -> None:
    with db.unit() as uow:
        citizen_store.mark_sent(uow.session, note["id"], utcnow(), provider_message_id)
        uow.publish(
            NotificationSent,
            {
                "notification_id": note["id"],
                "dossier_code": note["dossier_code"],
                "channel": note["channel"],
                "template": note["template"],
                "cause_event_id": note["cause_event_id"],
            },
            subject=note["dossier_code"],
        )
    NOTIFICATIONS.labels(note["channel"], "sent").inc()


def failed(db, note: dict, status: str, error: str) -> None:
    """A temporary failure of the last allowed attempt becomes technical-failure; a final failure of a phone
    channel falls back to the next one."""
    status = delivery.failure_status(status, note["attempts"])
    with db.unit() as uow:
        citizen_store.set_status(uow.session, note["id"], status, error, utcnow())
        if status in delivery.FINAL_FAILURES:
            fall_back(uow, note)
    NOTIFICATIONS.labels(note["channel"], status).inc()


def fall_back(uow, note) -> None:
    """A phone channel failed for good: the next one of the ladder (Zalo → SMS) carries the same message."""
    following = sms.fallback_after(note["channel"], settings.current().phone_channels)
    if following is None:
        return
    now = utcnow()
    citizen_store.add_notification(
        uow.session,
        dict(
            id=str(uuid.uuid4()),
            dossier_code=note["dossier_code"],
            channel=following,
            recipient=note["recipient"],
            template=note["template"],
            language=note["language"],
            subject="",
            body=note["body"],
            status="created",
            attempts=0,
            last_error="",
            cause_event_id=note["cause_event_id"],
            created_at=now,
            updated_at=now,
            not_before=None,
        ),
    )

"""Queries on the citizen side of notify: recipients, notifications (claimed before each send, so replicas never
send one twice at once) and the phone providers' health (shared by replicas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update

from services.chassis.statements import dialect_insert, prebuilt
from services.notify.adapters.storage import notifications, provider_health, recipients


def keep_recipient(session, values: dict[str, Any]) -> None:
    """How to reach a dossier's applicant; the first copy per dossier wins (a redelivery inserts nothing)."""
    dialect = session.get_bind().dialect.name
    keep = prebuilt(
        ("notify.recipients.keep", dialect),
        lambda: dialect_insert(session, recipients).on_conflict_do_nothing(
            index_elements=[recipients.c.dossier_code]
        ),
    )
    session.execute(keep, values)


def find_recipient(session, code: str) -> dict | None:
    row = session.execute(select(recipients).where(recipients.c.dossier_code == code)).mappings().first()
    return dict(row) if row else None


def for_dossier(session, code: str) -> list[dict]:
    rows = session.execute(
        select(notifications).where(notifications.c.dossier_code == code).order_by(notifications.c.created_at)
    ).mappings()
    return [dict(r) for r in rows]


def add_notification(session, note: dict[str, Any]) -> None:
    session.execute(prebuilt(("notify.notifications.insert",), lambda: notifications.insert()), note)


def retry_candidates(session, statuses: tuple[str, ...], now: datetime, limit: int = 100) -> list:
    return session.execute(
        select(
            notifications.c.id,
            notifications.c.status,
            notifications.c.attempts,
            notifications.c.updated_at,
            notifications.c.not_before,
        )
        .where(
            notifications.c.status.in_(statuses),
            # deferred ones (quiet hours, paused provider, rate limit) must not crowd out the rest
            notifications.c.not_before.is_(None) | (notifications.c.not_before <= now),
        )
        .order_by(notifications.c.updated_at)
        .limit(limit)
    ).all()


def claim(session, note_id: str, claimable: tuple[str, ...], now: datetime) -> bool:
    """Take a notification for sending (status "sending", one more attempt); False if another worker has it."""
    return bool(
        session.execute(
            update(notifications)
            .where(notifications.c.id == note_id, notifications.c.status.in_(claimable))
            .values(status="sending", attempts=notifications.c.attempts + 1, updated_at=now)
        ).rowcount
    )


def find_notification(session, note_id: str):
    return session.execute(select(notifications).where(notifications.c.id == note_id)).mappings().first()


def mark_sent(session, note_id: str, now: datetime, provider_message_id: str | None) -> None:
    session.execute(
        prebuilt(
            ("notify.notifications.sent",),
            lambda: update(notifications).where(notifications.c.id == bindparam("note_id")),
        ),
        {
            "note_id": note_id,
            "status": "sent",
            "sent_at": now,
            "updated_at": now,
            "last_error": "",
            "provider_message_id": provider_message_id,
        },
    )


def set_status(session, note_id: str, status: str, error: str, now: datetime) -> None:
    session.execute(
        update(notifications)
        .where(notifications.c.id == note_id)
        .values(status=status, last_error=error[:500], updated_at=now)
    )


def defer(session, note_id: str, until: datetime, reason: str, now: datetime) -> None:
    """Put a claimed notification back until `until` without spending an attempt."""
    session.execute(
        update(notifications)
        .where(notifications.c.id == note_id)
        .values(
            status="temporary-failure",
            attempts=notifications.c.attempts - 1,
            not_before=until,
            last_error=reason,
            updated_at=now,
        )
    )


def recently_sent(session, recipient: str, channels: tuple[str, ...], since: datetime) -> int:
    return session.execute(
        select(func.count())
        .select_from(notifications)
        .where(
            notifications.c.recipient == recipient,
            notifications.c.channel.in_(channels),
            notifications.c.status.in_(("sent", "delivered")),
            notifications.c.sent_at > since,
        )
    ).scalar_one()


def provider_state(session, channel: str):
    return (
        session.execute(select(provider_health).where(provider_health.c.channel == channel))
        .mappings()
        .first()
    )


def add_provider(session, channel: str) -> None:
    session.execute(provider_health.insert().values(channel=channel, consecutive_failures=0, open_until=None))


def set_provider(session, channel: str, **values: Any) -> None:
    session.execute(update(provider_health).where(provider_health.c.channel == channel).values(**values))

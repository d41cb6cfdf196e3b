"""Notify storage: how to reach each dossier's applicant, and every notification with its status."""
from __future__ import annotations

from sqlalchemy import Column, Integer, String, Table, Text, UniqueConstraint, select

from services.chassis.database import UTCDateTime, new_metadata

metadata = new_metadata()

recipients = Table(
    "recipients",
    metadata,
    Column("dossier_code", String(60), primary_key=True),
    Column("full_name", String(200), nullable=False),
    Column("email", String(200), nullable=False, default=""),
    Column("phone", String(20), nullable=False, default=""),
    Column("language", String(5), nullable=False, default="vi"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("dossier_code", String(60), nullable=False, index=True),
    Column("channel", String(10), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("template", String(60), nullable=False),
    Column("language", String(5), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    # created → sending → delivered | temporary-failure (retried) | permanent-failure
    Column("status", String(20), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=False, default=""),
    Column("cause_event_id", String(36), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    UniqueConstraint("cause_event_id", "channel", "template", name="uq_notifications_cause"),
)


def find_recipient(session, code: str) -> dict | None:
    row = session.execute(select(recipients).where(recipients.c.dossier_code == code)).mappings().first()
    return dict(row) if row else None


def for_dossier(session, code: str) -> list[dict]:
    rows = session.execute(
        select(notifications).where(notifications.c.dossier_code == code).order_by(notifications.c.created_at)
    ).mappings()
    return [dict(r) for r in rows]

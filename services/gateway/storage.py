"""Gateway storage: sign-in sessions, shared by every gateway replica, so that a sign-out or an administrator's
revocation holds at once wherever the next request lands. No business data lives here."""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, String, Table

from services.chassis import audit
from services.chassis.sql import UTCDateTime, new_metadata

metadata = new_metadata()
# Revocations of officers' sessions by administrators are audited: services/chassis/audit.py
audit.add_tables(metadata)

# One row per token a gateway has accepted (never the token itself: its SHA-256). Ended rows are kept until the
# token would have expired anyway, so a signed-out token can never come back.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("subject", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("end_reason", String(20), nullable=True),
    Index("ix_web_sessions_subject", "subject"),
    Index("ix_web_sessions_expires_at", "expires_at"),
)

# Every token of the subject issued before `revoked_before` (seconds since the epoch, the tokens' `iat` unit) is
# refused, those never seen by a gateway included.
session_revocations = Table(
    "session_revocations",
    metadata,
    Column("subject", String(100), primary_key=True),
    Column("revoked_before", Float, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=False),
    Column("revoked_by", String(100), nullable=False),
)

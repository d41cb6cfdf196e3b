"""Notify's tables: how to reach each dossier's applicant, every notification with its status, the phone
providers' health; the agency feeds' event log, subscriptions and webhook deliveries. The queries are in
citizen_store.py and feed_store.py."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table, Text, UniqueConstraint

from services.chassis import idempotency
from services.chassis.sql import UTCDateTime, new_metadata

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
    # Phone channels: the provider's id (its delivery receipt names it), and the earliest time to send
    # (quiet hours, a paused provider, the retry backoff).
    Column("provider_message_id", String(64), nullable=True, index=True),
    Column("not_before", UTCDateTime, nullable=True),
    UniqueConstraint("cause_event_id", "channel", "template", name="uq_notifications_cause"),
)

# A provider that keeps failing is avoided for a while (circuit breaker), the same for every replica.
provider_health = Table(
    "provider_health",
    metadata,
    Column("channel", String(10), primary_key=True),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("open_until", UTCDateTime, nullable=True),
)


# -- agency feeds -------------------------------------------------------------------------------------------
# Every public event notify consumed, in arrival order: what subscriptions match and what replays re-send.
event_log = Table(
    "event_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("type", String(120), nullable=False),
    Column("subject", String(60), nullable=False, default=""),
    Column("unit", String(30), nullable=False, default=""),
    Column("procedure_code", String(30), nullable=False, default=""),
    Column("occurred_at", String(40), nullable=False),
    Column("envelope", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False, index=True),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(100), nullable=False, index=True),  # the agency's code
    Column("url", String(500), nullable=False),
    Column("event_types", Text, nullable=False, default="[]"),  # JSON lists; empty = everything
    Column("units", Text, nullable=False, default="[]"),
    Column("procedures", Text, nullable=False, default="[]"),
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),  # still valid until previous_valid_until
    Column("previous_valid_until", UTCDateTime, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Idempotency-Key on subscriptions (answers are kept without the secret): services/chassis/idempotency.py
idempotency_keys = idempotency.add_table(metadata)

# pending → delivering → delivered | retrying (backoff) → ... → dead (schedule exhausted: the dead-letter view)
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subscription_id", String(36), nullable=False, index=True),
    Column("event_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("round", Integer, nullable=False, default=0),  # 0 = first delivery, n = n-th replay
    Column("status", String(12), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False, index=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    UniqueConstraint("subscription_id", "event_id", "round", name="uq_webhook_deliveries_once"),
)

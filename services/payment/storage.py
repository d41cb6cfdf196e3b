"""Payment storage: payment requests, gateway attempts, the IPN log, refunds and e-receipts."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, UniqueConstraint, select

from services.chassis import audit, idempotency
from services.chassis.sql import UTCDateTime, new_metadata

metadata = new_metadata()

payments = Table(
    "payments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("dossier_code", String(60), nullable=False, unique=True),
    Column("amount_vnd", BigInteger, nullable=False),
    Column("assessment", Text, nullable=False),  # the fee lines and reductions, JSON
    Column("payer_name", String(200), nullable=False),
    Column("status", String(20), nullable=False, index=True),  # pending | paid | expired
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime, nullable=True),
    Column("gateway_transaction_no", String(40), nullable=True),
    Column("paid_txn_ref", String(40), nullable=True),
    Column("refunded_vnd", BigInteger, nullable=False, default=0),
)

# One row per trip to the gateway (vnp_TxnRef is unique per attempt).
attempts = Table(
    "payment_attempts",
    metadata,
    Column("txn_ref", String(40), primary_key=True),
    Column("payment_id", String(36), nullable=False, index=True),
    Column("amount_vnd", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # pending | paid | failed
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("gateway_response_code", String(10), nullable=False, default=""),
)

ipn_log = Table(
    "ipn_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("txn_ref", String(60), nullable=False),
    Column("params", Text, nullable=False),
    Column("rsp_code", String(4), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("payment_id", String(36), nullable=False, index=True),
    Column("amount_vnd", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    # requested (gateway being asked) | done | failed (refused: nothing paid out) | unknown (the gateway's answer
    # was lost: the amount stays reserved until a leader settles it against the gateway's statement)
    Column("status", String(20), nullable=False),
    Column("requested_by", String(100), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("gateway_response_code", String(10), nullable=False, default=""),
    Column("settled_by", String(100), nullable=True),
    Column("settled_at", UTCDateTime, nullable=True),
    Column("settlement_note", Text, nullable=True),
    Column("idempotency_key", String(100), nullable=True),  # the requester's, released if the refund fails
)

receipts = Table(
    "receipts",
    metadata,
    Column("number", String(30), primary_key=True),
    Column("payment_id", String(36), nullable=False, unique=True),
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("payer_name", String(200), nullable=False),
    Column("lines", Text, nullable=False),
    Column("amount_vnd", BigInteger, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    UniqueConstraint("year", "seq", name="uq_receipts_year_seq"),
)

# Idempotency-Key on refunds and payment attempts: services/chassis/idempotency.py
idempotency_keys = idempotency.add_table(metadata)
# The tamper-evident audit chain (refunds and their settlement: officer decisions on money)
audit.add_tables(metadata)


def find_payment(session, *, payment_id: str | None = None, dossier_code: str | None = None,
                 for_update: bool = False) -> dict | None:
    query = select(payments)
    query = query.where(payments.c.id == payment_id) if payment_id else query.where(
        payments.c.dossier_code == dossier_code)
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).mappings().first()
    return dict(row) if row else None

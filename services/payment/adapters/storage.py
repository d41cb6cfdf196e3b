"""Payment storage: payment requests, gateway attempts, the IPN log, refunds and e-receipts (tables), and the
queries the use cases run, each named for what it does. Every change of state is a conditional update: two
replicas (or a retry racing its original) change a row once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)

from services.chassis import audit, idempotency
from services.chassis.sql import UTCDateTime, new_metadata
from services.chassis.statements import dialect_insert, prebuilt

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


# -- payments ------------------------------------------------------------------------------------------------
# The fee schedules, one row per version of a procedure's schedule from a day (services/payment/adapters/fee_book.py):
# seeded from the fees file at first use, then an administrator's changes. Append-only.
fee_schedules = Table(
    "fee_schedules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("procedure_code", String(30), nullable=False, index=True),
    Column(
        "procedure_version", Integer, nullable=True
    ),  # as the fees file names it; none for an administrator's
    Column("valid_from", Date, nullable=False),
    Column("schedule", Text, nullable=False),  # {lines, reductions}, JSON
    Column("basis", Text, nullable=False, server_default=""),  # the legal document (number, date)
    Column("origin", String(10), nullable=False),  # file | admin
    Column("created_by", String(100), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


def find_payment(
    session, *, payment_id: str | None = None, dossier_code: str | None = None, for_update: bool = False
) -> dict | None:
    query = select(payments)
    query = (
        query.where(payments.c.id == payment_id)
        if payment_id
        else query.where(payments.c.dossier_code == dossier_code)
    )
    if for_update and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).mappings().first()
    return dict(row) if row else None


def open_payment(session, values: dict[str, Any]) -> str | None:
    """Insert a payment request unless its dossier has one: the new id, None if there was one already."""
    dialect = session.get_bind().dialect.name
    return session.execute(
        prebuilt(
            ("payment.payments.open", dialect),
            lambda: (
                dialect_insert(session, payments)
                .on_conflict_do_nothing(index_elements=[payments.c.dossier_code])
                .returning(payments.c.id)
            ),
        ),
        values,
    ).scalar()


def mark_paid(session, payment_id: str, now: datetime, transaction_no: str, txn_ref: str) -> bool:
    return bool(
        session.execute(
            update(payments)
            .where(payments.c.id == payment_id, payments.c.status == "pending")
            .values(status="paid", paid_at=now, gateway_transaction_no=transaction_no, paid_txn_ref=txn_ref)
        ).rowcount
    )


def expirable_payments(session, now: datetime) -> list:
    return (
        session.execute(select(payments).where(payments.c.status == "pending", payments.c.expires_at <= now))
        .mappings()
        .all()
    )


def expire(session, payment_id: str) -> bool:
    return bool(
        session.execute(
            update(payments)
            .where(payments.c.id == payment_id, payments.c.status == "pending")
            .values(status="expired")
        ).rowcount
    )


# -- attempts and the IPN log ----------------------------------------------------------------------------------
def count_attempts(session, payment_id: str, status: str | None = None) -> int:
    query = select(func.count()).select_from(attempts).where(attempts.c.payment_id == payment_id)
    if status is not None:
        query = query.where(attempts.c.status == status)
    return session.execute(query).scalar_one()


def add_attempt(session, txn_ref: str, payment_id: str, amount_vnd: int, now: datetime) -> None:
    session.execute(
        attempts.insert().values(
            txn_ref=txn_ref,
            payment_id=payment_id,
            amount_vnd=amount_vnd,
            status="pending",
            created_at=now,
            updated_at=now,
            gateway_response_code="",
        )
    )


def find_attempt(session, txn_ref: str):
    return session.execute(select(attempts).where(attempts.c.txn_ref == txn_ref)).mappings().first()


def close_attempt(session, txn_ref: str, status: str, now: datetime, gateway_code: str) -> bool:
    """A pending attempt becomes paid or failed; False if it was not pending (settled meanwhile)."""
    return bool(
        session.execute(
            update(attempts)
            .where(attempts.c.txn_ref == txn_ref, attempts.c.status == "pending")
            .values(status=status, updated_at=now, gateway_response_code=gateway_code)
        ).rowcount
    )


def stale_attempts(session, created_before: datetime) -> list:
    return (
        session.execute(
            select(attempts).where(attempts.c.status == "pending", attempts.c.created_at <= created_before)
        )
        .mappings()
        .all()
    )


def attempts_between(session, start: datetime, end: datetime) -> list:
    return (
        session.execute(select(attempts).where(attempts.c.created_at >= start, attempts.c.created_at < end))
        .mappings()
        .all()
    )


def log_ipn(session, txn_ref: str, params: str, rsp_code: str, now: datetime) -> None:
    session.execute(
        ipn_log.insert().values(txn_ref=txn_ref, params=params, rsp_code=rsp_code, received_at=now)
    )


# -- receipts --------------------------------------------------------------------------------------------------
def next_receipt_seq(session, year: int) -> int:
    return (
        session.execute(
            select(func.coalesce(func.max(receipts.c.seq), 0)).where(receipts.c.year == year)
        ).scalar_one()
        + 1
    )


def add_receipt(session, **values: Any) -> None:
    session.execute(receipts.insert().values(**values))


def receipt_of(session, payment_id: str):
    return session.execute(select(receipts).where(receipts.c.payment_id == payment_id)).mappings().first()


def receipt_number_of(session, payment_id: str) -> str | None:
    return session.execute(
        select(receipts.c.number).where(receipts.c.payment_id == payment_id)
    ).scalar_one_or_none()


# -- refunds ---------------------------------------------------------------------------------------------------
def refunds_of(session, payment_id: str) -> list:
    return session.execute(
        select(refunds.c.id, refunds.c.amount_vnd, refunds.c.status, refunds.c.reason, refunds.c.requested_at)
        .where(refunds.c.payment_id == payment_id)
        .order_by(refunds.c.requested_at)
    ).all()


def reserve_refund(session, payment_id: str, amount_vnd: int) -> bool:
    """Hold `amount_vnd` of a payment for a refund, in one conditional update: never more than what is still
    refundable, even when refunds race."""
    return bool(
        session.execute(
            update(payments)
            .where(payments.c.id == payment_id, payments.c.refunded_vnd + amount_vnd <= payments.c.amount_vnd)
            .values(refunded_vnd=payments.c.refunded_vnd + amount_vnd)
        ).rowcount
    )


def release_refund(session, payment_id: str, amount_vnd: int) -> None:
    session.execute(
        update(payments)
        .where(payments.c.id == payment_id)
        .values(refunded_vnd=payments.c.refunded_vnd - amount_vnd)
    )


def refunded_total(session, payment_id: str) -> int:
    return session.execute(select(payments.c.refunded_vnd).where(payments.c.id == payment_id)).scalar_one()


def add_refund(session, **values: Any) -> None:
    session.execute(refunds.insert().values(status="requested", gateway_response_code="", **values))


def find_refund(session, refund_id: str):
    return session.execute(select(refunds).where(refunds.c.id == refund_id)).mappings().first()


def record_refund_outcome(session, refund_id: str, outcome: str, gateway_code: str) -> bool:
    """Only a refund still `requested`: one reconciliation made `unknown` meanwhile is the leader's to settle."""
    return bool(
        session.execute(
            update(refunds)
            .where(refunds.c.id == refund_id, refunds.c.status == "requested")
            .values(status=outcome, gateway_response_code=gateway_code)
        ).rowcount
    )


def settle_unknown_refund(session, refund_id: str, outcome: str, by: str, now: datetime, note: str) -> bool:
    return bool(
        session.execute(
            update(refunds)
            .where(refunds.c.id == refund_id, refunds.c.status == "unknown")
            .values(status=outcome, settled_by=by, settled_at=now, settlement_note=note)
        ).rowcount
    )


def orphan_refunds(session, requested_before: datetime) -> int:
    """Refunds still `requested` long after the gateway call's timeout become `unknown`; how many."""
    return session.execute(
        update(refunds)
        .where(refunds.c.status == "requested", refunds.c.requested_at <= requested_before)
        .values(status="unknown", gateway_response_code="orphaned")
    ).rowcount


def count_unknown_refunds(session) -> int:
    return session.execute(
        select(func.count()).select_from(refunds).where(refunds.c.status == "unknown")
    ).scalar_one()


def unknown_refunds(session) -> list:
    return (
        session.execute(
            select(
                refunds.c.id,
                refunds.c.amount_vnd,
                refunds.c.requested_at,
                payments.c.dossier_code,
                payments.c.paid_txn_ref,
            )
            .join(payments, payments.c.id == refunds.c.payment_id)
            .where(refunds.c.status == "unknown")
            .order_by(refunds.c.requested_at)
        )
        .mappings()
        .all()
    )

"""Reconciliation: attempts pending too long are re-queried (an IPN may never come), unpaid requests expire,
refunds whose requester died become unknown; and the daily report of our ledger against the gateway's. Safe in
several replicas: settling and expiring are conditional updates."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from motcua.payment.v1.events_pb2 import PaymentExpired

from services.chassis.clock import LEGAL_TZ, iso_utc, legal_day, utcnow
from services.payment.adapters import storage
from services.payment.adapters.gateway import GatewayError
from services.payment.domain import payments, vnpay
from services.payment.metrics import MISMATCHES, PAYMENTS, RECONCILED, REFUNDS, REFUNDS_UNKNOWN
from services.payment.use_cases.callbacks import settle


def reconcile(db, gateway, log, reconcile_after: timedelta) -> dict:
    """Settle stale attempts from QueryDR, expire unpaid requests, mark orphaned refunds unknown."""
    now = utcnow()
    settled = _settle_stale_attempts(db, gateway, log, now - reconcile_after)
    expired = _expire_unpaid(db, now)
    unknown = _orphaned_refunds(db, log, now - reconcile_after)
    return {"settled": settled, "expired": expired, "refunds_unknown": unknown}


def _settle_stale_attempts(db, gateway, log, created_before: datetime) -> int:
    with db.unit() as uow:
        stale = storage.stale_attempts(uow.session, created_before)
    settled = 0
    for attempt in stale:
        try:
            answer = gateway.query(attempt["txn_ref"], attempt["created_at"])
        except GatewayError as exc:
            log.warning("reconciliation_query_failed", txn_ref=attempt["txn_ref"], error=str(exc))
            continue
        if not payments.has_final_answer(answer):
            continue  # the gateway has no final answer yet
        if settle(db, attempt["txn_ref"], answer, "reconciliation") == vnpay.CONFIRMED:
            settled += 1
            outcome = vnpay.ipn_outcome(answer)
            RECONCILED.labels(outcome).inc()
            if outcome == "paid":
                MISMATCHES.labels("ipn_missing").inc()
    return settled


def _expire_unpaid(db, now: datetime) -> int:
    expired = 0
    with db.unit() as uow:
        for payment in storage.expirable_payments(uow.session, now):
            if storage.count_attempts(uow.session, payment["id"], status="pending"):
                continue  # an attempt may still have been paid: reconcile it first
            if storage.expire(uow.session, payment["id"]):
                uow.publish(
                    PaymentExpired,
                    {"payment_id": payment["id"], "dossier_code": payment["dossier_code"]},
                    subject=payment["dossier_code"],
                )
                PAYMENTS.labels("expired").inc()
                expired += 1
    return expired


def _orphaned_refunds(db, log, requested_before: datetime) -> int:
    """How many refunds are unknown, after marking those whose requester died before recording the answer."""
    with db.unit() as uow:
        # A refund still "requested" this long after the gateway call's timeout: the process that asked
        # died before recording the answer, so its outcome is unknown like a lost answer's.
        orphaned = storage.orphan_refunds(uow.session, requested_before)
        unknown = storage.count_unknown_refunds(uow.session)
    REFUNDS_UNKNOWN.set(unknown)
    if orphaned:
        REFUNDS.labels("unknown").inc(orphaned)
        log.warning("refunds_orphaned", count=orphaned)
    return unknown


def report(db, gateway, day: str | None) -> dict:
    """Our ledger against the gateway for the attempts of one day (legal time, default today): every
    difference listed, and the refunds waiting for a leader."""
    target = date.fromisoformat(day) if day else legal_day(utcnow())
    start = datetime.combine(target, datetime.min.time(), tzinfo=LEGAL_TZ)
    with db.unit() as uow:
        attempts = storage.attempts_between(uow.session, start, start + timedelta(days=1))
    mismatches, checked = [], 0
    for attempt in attempts:
        try:
            answer = gateway.query(attempt["txn_ref"], attempt["created_at"])
        except GatewayError as exc:
            mismatches.append(
                {"txn_ref": attempt["txn_ref"], "kind": "gateway_unreachable", "detail": str(exc)}
            )
            continue
        checked += 1
        line = payments.report_line(attempt, answer)
        if line is not None:
            MISMATCHES.labels(line["kind"]).inc()
            mismatches.append(line)
    with db.unit() as uow:
        unknown = storage.unknown_refunds(uow.session)
    return {
        "day": target.isoformat(),
        "attempts": len(attempts),
        "checked": checked,
        "mismatches": mismatches,
        "refunds_unknown": [
            {
                "refund_id": r["id"],
                "dossier_code": r["dossier_code"],
                "txn_ref": r["paid_txn_ref"],
                "amount_vnd": r["amount_vnd"],
                "requested_at": iso_utc(r["requested_at"]),
            }
            for r in unknown
        ],
    }

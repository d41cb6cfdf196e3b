"""Agency feeds: every public event is logged, matched against agencies' subscriptions and delivered as a signed
CloudEvent (Standard Webhooks), at least once, with backoff for days; a delivery carries the event's contract
fields only, never one marked personal (`outbound`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import eventlet
from motcua.intake.v1.events_pb2 import DossierSubmitted
from motcua.payment.v1.events_pb2 import (
    PaymentCompleted,
    PaymentExpired,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
)
from motcua.workflow.v1.events_pb2 import CaseDueSoon, CaseOverdue, DossierStatusChanged, ResultIssued

from services.chassis.clock import utcnow
from services.chassis.events import event_type, public_view
from services.notify.adapters import feed_store, settings, targets, webhook_http
from services.notify.domain import webhooks
from services.notify.metrics import DELIVERIES

FEED_TYPES = tuple(
    event_type(m)
    for m in (
        DossierSubmitted,
        DossierStatusChanged,
        CaseDueSoon,
        CaseOverdue,
        ResultIssued,
        PaymentRequested,
        PaymentCompleted,
        PaymentFailed,
        PaymentExpired,
        PaymentRefunded,
    )
)
CLAIMABLE = ("pending", "retrying")
STALE_DELIVERING = timedelta(seconds=60)
PARALLEL_DELIVERIES = 10


def outbound(envelope: dict) -> dict:
    """The CloudEvent as an agency receives it: the contract's fields, never one marked personal (an agency that
    needs personal data asks the registry, with the citizen's consent)."""
    return {**envelope, "data": public_view(envelope["type"], envelope.get("data", {}))}


# -- recording ------------------------------------------------------------------------------------------------
def record(db, event) -> None:
    with db.unit() as uow:
        record_in(uow.session, event)


def record_in(session, event) -> bool:
    """Add `event` to the event log and queue a delivery for every active subscription it matches, in the
    caller's transaction. False if the event was recorded before (a redelivery): recording it is then nothing.

    The event log's unique event id is also the handlers' deduplication: each public event type is recorded by
    exactly one handler of this service, so an inbox entry beside it would say the same thing again (one
    statement fewer per event). Two replicas racing: the second insert waits for the first transaction, then
    inserts nothing."""
    data = event.raw.get("data", {})
    unit = data.get("agency_code") or data.get("receiving_agency_code") or ""
    now = utcnow()
    seq, active = feed_store.record_event(
        session,
        {
            "event_id": event.id,
            "type": event.type,
            "subject": event.subject,
            "unit": unit,
            "procedure_code": data.get("procedure_code", ""),
            "occurred_at": event.time,
            "envelope": json.dumps(event.raw, ensure_ascii=False),
            "received_at": now,
        },
    )
    if seq is None:
        return False
    entry = {"type": event.type, "unit": unit, "procedure_code": data.get("procedure_code", "")}
    for sub in active:
        if webhooks.matches(filters_of(sub), entry):
            feed_store.add_delivery(session, sub["id"], seq, event.id, 0, now)
    return True


def filters_of(subscription) -> dict:
    return {k: json.loads(subscription[k]) for k in ("event_types", "units", "procedures")}


# -- delivering -----------------------------------------------------------------------------------------------
def deliver_due(db) -> None:
    """Send what is due, a few at a time. Replicas run this together: each delivery is claimed first."""
    now = utcnow()
    with db.unit() as uow:
        due = feed_store.due_deliveries(uow.session, CLAIMABLE, now, now - STALE_DELIVERING)
    if due:
        pool = eventlet.GreenPool(PARALLEL_DELIVERIES)
        for delivery_id in due:
            pool.spawn_n(deliver_one, db, delivery_id)
        pool.waitall()


def deliver_one(db, delivery_id: str) -> None:
    """One attempt of one delivery: claimed, its target checked again (DNS answers change), signed, posted."""
    config = settings.current()
    claimed = _claim(db, delivery_id)
    if claimed is None:
        return
    delivery, sub, envelope = claimed
    if not sub["active"]:
        _settle(db, delivery_id, "cancelled", None, "subscription deleted")
        return
    try:
        addresses = targets.check_target(sub["url"], config.webhook_allowed_hosts)
    except webhooks.TargetRefused as exc:
        _settle(db, delivery_id, "dead", None, f"target refused: {exc}")
        DELIVERIES.labels("refused_target").inc()
        return
    body = json.dumps(outbound(json.loads(envelope)), ensure_ascii=False).encode()
    code, error = webhook_http.post(sub["url"], addresses, body, _headers(delivery, sub, body))
    _after_attempt(db, delivery, code, error, config.webhook_retry_scale)


def _claim(db, delivery_id: str) -> tuple | None:
    """(delivery, subscription, logged envelope) once claimed; None if another worker has it."""
    now = utcnow()
    with db.unit() as uow:
        if not feed_store.claim_delivery(uow.session, delivery_id, CLAIMABLE, now, now - STALE_DELIVERING):
            return None
        delivery = feed_store.find_delivery(uow.session, delivery_id)
        sub = feed_store.find_subscription(uow.session, delivery["subscription_id"])
        return delivery, sub, feed_store.envelope_of(uow.session, delivery["event_seq"])


def _headers(delivery, sub, body: bytes) -> dict:
    now = utcnow()
    msg_id = webhooks.message_id(delivery["event_id"], delivery["round"])
    return {
        "Content-Type": "application/cloudevents+json; charset=utf-8",
        "User-Agent": "MotCua-Webhooks/1",
        **webhooks.headers(webhooks.secrets_in_force(sub, now), msg_id, body, int(now.timestamp())),
    }


def _after_attempt(db, delivery, code: int | None, error: str, scale: float) -> None:
    """Delivered on a 2xx; otherwise retried on the schedule, or dead once it is exhausted."""
    if code is not None and 200 <= code < 300:
        _settle(db, delivery["id"], "delivered", code, "")
        DELIVERIES.labels("delivered").inc()
        return
    delay = webhooks.next_delay(delivery["attempts"] + 1, scale)
    if delay is None:
        _settle(db, delivery["id"], "dead", code, error or "no answer")
        DELIVERIES.labels("dead").inc()
    else:
        _settle(
            db,
            delivery["id"],
            "retrying",
            code,
            error or f"HTTP {code}",
            next_attempt_at=utcnow() + timedelta(seconds=delay),
        )
        DELIVERIES.labels("retrying").inc()


def _settle(
    db, delivery_id: str, status: str, code: int | None, error: str, next_attempt_at: datetime | None = None
) -> None:
    values = {"status": status, "last_status_code": code, "last_error": error, "updated_at": utcnow()}
    if status == "delivered":
        values["delivered_at"] = utcnow()
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    with db.unit() as uow:
        feed_store.settle_delivery(uow.session, delivery_id, **values)

"""At receipt, a dossier's fee is assessed from its form on the schedule in force that day; if something is due, a
payment request opens. The amount is kept with the request: a later change of the schedule does not touch it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta, timezone

from motcua.payment.v1.events_pb2 import PaymentRequested

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.chassis.metrics import EVENTS_DUPLICATE
from services.payment.adapters import storage
from services.payment.adapters.fee_book import FeeBook
from services.payment.domain.fees import assess


def received_on(data) -> date:
    """The legal day of the receipt (the event's time; now for an event that lacks it)."""
    stamp = data.metadata.occurred_at
    if stamp.seconds:
        return legal_day(stamp.ToDatetime(tzinfo=timezone.utc))
    return legal_day(utcnow())


def open_payment_request(
    db, schedules: FeeBook, fetch_dossier: Callable[[str], dict], data, expiry: timedelta
) -> str | None:
    """The new payment's id, None when nothing is due or the dossier has a payment already. `data` is a
    DossierStatusChanged; `fetch_dossier(code)` asks intake for the dossier (its form and applicant)."""
    if data.action != "receive" or data.to_status != "received":
        return None
    with db.unit() as uow:
        version = schedules.in_force(uow.session, data.procedure_code, received_on(data))
    if version is None or not version.schedule.get("lines"):
        return None
    dossier = fetch_dossier(data.dossier_code)
    assessment = assess(version.schedule, dossier.get("form") or {}, set())
    if assessment.total <= 0:
        return None
    in_force = {"id": version.id, "valid_from": version.valid_from.isoformat()}
    assessed = {**assessment.to_dict(), "schedule": in_force}
    now = utcnow()
    # The dossier code is unique among payments: a redelivered event (or a dossier received again) inserts
    # nothing and publishes nothing. That deduplicates on its own, so no inbox claim beside it.
    with db.unit() as uow:
        opened = storage.open_payment(
            uow.session,
            dict(
                id=str(uuid.uuid4()),
                dossier_code=data.dossier_code,
                amount_vnd=assessment.total,
                assessment=json.dumps(assessed, ensure_ascii=False),
                payer_name=dossier["applicant"]["full_name"],
                status="pending",
                created_at=now,
                expires_at=now + expiry,
                refunded_vnd=0,
            ),
        )
        if opened is None:
            EVENTS_DUPLICATE.labels("payment", "on_dossier_status_changed").inc()
            return None
        uow.publish(
            PaymentRequested,
            {
                "payment_id": opened,
                "dossier_code": data.dossier_code,
                "amount_vnd": assessment.total,
                "expires_at": iso_utc(now + expiry),
            },
            subject=data.dossier_code,
        )
    return opened

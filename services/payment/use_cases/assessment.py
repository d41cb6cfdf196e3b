"""At receipt, a dossier's fee is assessed from its form; if something is due, a payment request opens."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta

from motcua.payment.v1.events_pb2 import PaymentRequested

from services.chassis.clock import iso_utc, utcnow
from services.chassis.metrics import EVENTS_DUPLICATE
from services.payment.adapters import storage
from services.payment.domain.fees import Schedules, assess, schedule_for


def open_payment_request(
    db, schedules: Schedules, fetch_dossier: Callable[[str], dict], data, expiry: timedelta
) -> str | None:
    """The new payment's id, None when nothing is due or the dossier has a payment already. `data` is a
    DossierStatusChanged; `fetch_dossier(code)` asks intake for the dossier (its form and applicant)."""
    if data.action != "receive" or data.to_status != "received":
        return None
    schedule = schedule_for(schedules, data.procedure_code)
    if schedule is None:
        return None
    dossier = fetch_dossier(data.dossier_code)
    assessment = assess(schedule, dossier.get("form") or {}, set())
    if assessment.total <= 0:
        return None
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
                assessment=json.dumps(assessment.to_dict(), ensure_ascii=False),
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

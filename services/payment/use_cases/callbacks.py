"""The gateway's verified result applied to an attempt, from the IPN (server-to-server callback) or from
reconciliation: the only ways a payment becomes paid. Atomic, and a replay changes nothing."""

from __future__ import annotations

import json
from datetime import datetime

from motcua.payment.v1.events_pb2 import PaymentCompleted, PaymentFailed

from services.chassis.clock import utcnow
from services.payment.adapters import storage
from services.payment.domain import payments, vnpay
from services.payment.metrics import IPN, MISMATCHES, PAYMENTS, SIGNATURE_FAILURES

RspCode = tuple[str, str]


def handle_ipn(db, gateway, params: dict) -> dict:
    """VNPay's RspCode for an IPN: 97 bad signature, 01 unknown order, 04 wrong amount, 02 already confirmed,
    00 confirmed, 99 anything else (expired payment included). Every callback is logged (without its hash)."""
    params = {str(k): str(v) for k, v in (params or {}).items()}
    txn_ref = params.get("vnp_TxnRef", "")
    if gateway.verify(params):
        code = settle(db, txn_ref, params, "ipn")
    else:
        SIGNATURE_FAILURES.inc()
        code = vnpay.INVALID_SIGNATURE
    with db.unit() as uow:
        safe = {k: v for k, v in params.items() if k != "vnp_SecureHash"}
        storage.log_ipn(
            uow.session, txn_ref[:60], json.dumps(safe, ensure_ascii=False)[:4000], code[0], utcnow()
        )
    IPN.labels(code[0]).inc()
    return {"RspCode": code[0], "Message": code[1]}


def settle(db, txn_ref: str, params: dict, via: str) -> RspCode:
    """Apply a verified gateway result to an attempt, atomically; return the RspCode to answer. `via` says who
    confirmed it (ipn | reconciliation), carried by PaymentCompleted."""
    now = utcnow()
    with db.unit() as uow:
        attempt = storage.find_attempt(uow.session, txn_ref)
        if attempt is None:
            return vnpay.ORDER_NOT_FOUND
        payment = storage.find_payment(uow.session, payment_id=attempt["payment_id"], for_update=True)
        check = payments.check_callback(params, attempt, payment, now)
        if check.late:
            MISMATCHES.labels(check.late).inc()
        if check.answer is not None:
            return check.answer
        code, paid = _apply(uow, payment, txn_ref, params, via, now)
    if paid:
        PAYMENTS.labels("paid").inc()
    return code


def _apply(uow, payment: dict, txn_ref: str, params: dict, via: str, now: datetime) -> tuple[RspCode, bool]:
    outcome = vnpay.ipn_outcome(params)
    if not storage.close_attempt(uow.session, txn_ref, outcome, now, params.get("vnp_ResponseCode", "")):
        return vnpay.ALREADY_CONFIRMED, False
    if outcome == "failed":
        uow.publish(
            PaymentFailed,
            {
                "payment_id": payment["id"],
                "dossier_code": payment["dossier_code"],
                "reason": f"gateway code {params.get('vnp_ResponseCode', '')}",
            },
            subject=payment["dossier_code"],
        )
        return vnpay.CONFIRMED, False
    if not storage.mark_paid(uow.session, payment["id"], now, params.get("vnp_TransactionNo", ""), txn_ref):
        return vnpay.ALREADY_CONFIRMED, False
    receipt = _issue_receipt(uow.session, payment, now)
    uow.publish(
        PaymentCompleted,
        {
            "payment_id": payment["id"],
            "dossier_code": payment["dossier_code"],
            "amount_vnd": payment["amount_vnd"],
            "receipt_number": receipt,
            "gateway_transaction_no": params.get("vnp_TransactionNo", ""),
            "confirmed_by": via,
        },
        subject=payment["dossier_code"],
    )
    return vnpay.CONFIRMED, True


def _issue_receipt(session, payment: dict, now: datetime) -> str:
    year = payments.receipt_year(now)
    seq = storage.next_receipt_seq(session, year)
    number = payments.receipt_number(year, seq)
    storage.add_receipt(
        session,
        number=number,
        payment_id=payment["id"],
        year=year,
        seq=seq,
        payer_name=payment["payer_name"],
        lines=json.dumps(json.loads(payment["assessment"])["lines"], ensure_ascii=False),
        amount_vnd=payment["amount_vnd"],
        issued_at=now,
    )
    return number

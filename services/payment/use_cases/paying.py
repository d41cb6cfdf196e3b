"""A citizen pays: the fee of a dossier, a new gateway attempt with its signed URL, the e-receipt once paid."""

from __future__ import annotations

import json

from services.chassis import idempotency
from services.chassis.clock import iso_utc, utcnow
from services.chassis.errors import InvalidInput, NotFound
from services.payment.adapters import storage
from services.payment.domain import payments


def _no_fee() -> NotFound:
    return NotFound("payment_not_found", "Hồ sơ không có khoản phí cần thanh toán.")


def get_payment(db, dossier_code: str) -> dict:
    """The fee of a dossier: lines, total, status, receipt number, refunds."""
    with db.unit() as uow:
        payment = storage.find_payment(uow.session, dossier_code=dossier_code)
        if payment is None:
            raise _no_fee()
        receipt = storage.receipt_number_of(uow.session, payment["id"])
        refunds = storage.refunds_of(uow.session, payment["id"])
    # refunded_vnd counts what is paid out or held (a refund being asked, or one whose outcome is unknown)
    return {
        "id": payment["id"],
        "dossier_code": dossier_code,
        "amount_vnd": payment["amount_vnd"],
        "assessment": json.loads(payment["assessment"]),
        "status": payment["status"],
        "expires_at": iso_utc(payment["expires_at"]),
        "paid_at": iso_utc(payment["paid_at"]),
        "refunded_vnd": payment["refunded_vnd"],
        "receipt_number": receipt,
        "refunds": [
            {
                "id": r.id,
                "amount_vnd": r.amount_vnd,
                "status": r.status,
                "reason": r.reason,
                "requested_at": iso_utc(r.requested_at),
            }
            for r in refunds
        ],
    }


def start_payment(
    db, gateway, dossier_code: str, client_ip: str, payer: str, idempotency_key: str | None
) -> dict:
    """A new attempt (its own vnp_TxnRef) and the signed URL; with a key, a retry gets the same attempt."""
    key = idempotency.checked_key(idempotency_key)
    if key and not payer:
        raise InvalidInput("payer_required", "Cần biết người thanh toán để dùng Idempotency-Key.")
    now = utcnow()

    def create(uow) -> dict:
        payment = storage.find_payment(uow.session, dossier_code=dossier_code, for_update=True)
        if payment is None:
            raise _no_fee()
        if payment["status"] != "pending":
            raise InvalidInput(
                "payment_not_pending",
                "Khoản phí này đã được thanh toán hoặc đã hết hạn.",
                {"status": payment["status"]},
            )
        if payment["expires_at"] <= now:
            raise InvalidInput("payment_expired", "Yêu cầu thanh toán đã hết hạn.")
        txn_ref = payments.txn_ref(payment["id"], storage.count_attempts(uow.session, payment["id"]))
        storage.add_attempt(uow.session, txn_ref, payment["id"], payment["amount_vnd"], now)
        url = gateway.payment_url(
            txn_ref,
            payment["amount_vnd"],
            f"Thanh toan phi ho so {dossier_code}",
            client_ip or "127.0.0.1",
            now,
            payment["expires_at"],
        )
        return {
            "payment_url": url,
            "txn_ref": txn_ref,
            "amount_vnd": payment["amount_vnd"],
            "expires_at": iso_utc(payment["expires_at"]),
        }

    digest = idempotency.request_hash({"dossier_code": dossier_code}, "start_payment")
    return idempotency.perform(db, payer, key, digest, create)


def get_receipt(db, dossier_code: str) -> dict:
    """The e-receipt (biên lai điện tử) of a dossier's paid fee."""
    with db.unit() as uow:
        payment = storage.find_payment(uow.session, dossier_code=dossier_code)
        receipt = payment and storage.receipt_of(uow.session, payment["id"])
    if not receipt:
        raise NotFound("receipt_not_found", "Chưa có biên lai cho hồ sơ này.")
    return {
        "number": receipt["number"],
        "dossier_code": dossier_code,
        "payer_name": receipt["payer_name"],
        "lines": json.loads(receipt["lines"]),
        "amount_vnd": receipt["amount_vnd"],
        "issued_at": iso_utc(receipt["issued_at"]),
        "gateway_transaction_no": payment["gateway_transaction_no"],
    }

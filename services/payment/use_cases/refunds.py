"""Refunds (leaders only): never more than what is still refundable, never paid twice, and a lost gateway answer
held for a leader to settle against the gateway's statement, never retried automatically (retrying is how
refunds get paid twice)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from motcua.payment.v1.events_pb2 import PaymentRefunded
from sqlalchemy.exc import IntegrityError

from services.chassis import idempotency
from services.chassis.clock import utcnow
from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from services.payment.adapters import storage
from services.payment.adapters.gateway import GatewayError
from services.payment.domain import payments
from services.payment.metrics import REFUNDS

UNKNOWN_TEXT = (
    "Chưa rõ cổng thanh toán đã hoàn tiền hay chưa. Số tiền được giữ lại và sẽ không bị hoàn lần nữa; "
    "lãnh đạo xác nhận kết quả sau khi đối soát với sao kê của cổng thanh toán."
)


@dataclass(frozen=True)
class RefundRequest:
    dossier_code: str
    amount_vnd: int
    reason: str
    owner: str  # the requesting leader; the idempotency key is theirs
    key: str | None
    digest: str
    refund_id: str


def request_refund(
    db,
    gateway,
    log,
    dossier_code: str,
    amount_vnd: int,
    reason: str,
    actor: dict,
    idempotency_key: str | None,
) -> dict:
    """Reserve the amount (one conditional update), ask the gateway, record its answer: done, failed (the
    amount and the key given back) or unknown (both held). A key seen before answers from the first refund."""
    request = _checked(dossier_code, amount_vnd, reason, actor, idempotency_key)
    payment, earlier = _reserve(db, request)
    if earlier is not None:
        return _earlier_answer(earlier)
    outcome, gateway_code = _ask_gateway(gateway, log, payment, request)
    return _record(db, log, payment, request, outcome, gateway_code)


def _checked(
    dossier_code: str, amount_vnd: int, reason: str, actor: dict, idempotency_key: str | None
) -> RefundRequest:
    if not payments.is_leader(actor):
        raise Forbidden("role_not_allowed", "Chỉ lãnh đạo được duyệt hoàn phí.")
    if not payments.valid_amount(amount_vnd):
        raise InvalidInput("invalid_amount", "Số tiền hoàn phải là số nguyên dương (VND).")
    if not (reason or "").strip():
        raise InvalidInput("reason_required", "Cần nêu lý do hoàn phí.")
    key = idempotency.checked_key(idempotency_key)
    digest = idempotency.request_hash(
        {"dossier_code": dossier_code, "amount_vnd": amount_vnd, "reason": reason}, "refund"
    )
    return RefundRequest(
        dossier_code, amount_vnd, reason, str(actor.get("subject")), key, digest, str(uuid.uuid4())
    )


def _reserve(db, r: RefundRequest) -> tuple[dict | None, dict | None]:
    """(payment, None) once the amount is reserved and the refund recorded `requested` (with the key, in the
    same transaction); (None, the earlier answer) for a key seen before."""
    try:
        with db.unit() as uow:
            earlier = idempotency.find(uow.session, r.owner, r.key, r.digest) if r.key else None
            if earlier is not None:
                return None, earlier
            payment = storage.find_payment(uow.session, dossier_code=r.dossier_code)
            if payment is None or payment["status"] != "paid":
                raise InvalidInput("not_paid", "Chỉ hoàn phí cho khoản đã thanh toán.")
            if not storage.reserve_refund(uow.session, payment["id"], r.amount_vnd):
                raise InvalidInput(
                    "refund_exceeds_refundable",
                    "Số tiền hoàn vượt quá số còn có thể hoàn.",
                    {"refundable_vnd": payment["amount_vnd"] - payment["refunded_vnd"]},
                )
            storage.add_refund(
                uow.session,
                id=r.refund_id,
                payment_id=payment["id"],
                amount_vnd=r.amount_vnd,
                reason=r.reason,
                requested_by=r.owner,
                requested_at=utcnow(),
                idempotency_key=r.key,
            )
            uow.audit(
                r.owner,
                "payment.refund_requested",
                r.dossier_code,
                {"refund_id": r.refund_id, "amount_vnd": r.amount_vnd, "reason": r.reason},
            )
            if r.key:
                idempotency.remember(
                    uow.session,
                    r.owner,
                    r.key,
                    r.digest,
                    {"refund_id": r.refund_id, "amount_vnd": r.amount_vnd, "status": "requested"},
                )
    except IntegrityError as exc:
        # The same key reserved by a concurrent request first: this one's reservation rolled back.
        return None, idempotency.after_race(db, r.owner, r.key, r.digest, exc)
    return payment, None


def _earlier_answer(earlier: dict) -> dict:
    if earlier["status"] == "requested":
        raise Conflict(
            "refund_in_progress",
            "Yêu cầu hoàn phí với Idempotency-Key này đang được xử lý, vui lòng thử lại sau.",
            {"refund_id": earlier["refund_id"]},
        )
    if earlier["status"] == "unknown":
        raise Conflict("refund_outcome_unknown", UNKNOWN_TEXT, {"refund_id": earlier["refund_id"]})
    return earlier


def _ask_gateway(gateway, log, payment: dict, r: RefundRequest) -> tuple[str, str]:
    """(outcome, gateway code): done or failed from a signed answer; unknown when the answer is lost (timeout,
    dropped connection, unsigned answer): nobody knows whether the money went out."""
    full = r.amount_vnd == payment["amount_vnd"]
    try:
        answer = gateway.refund(
            payment["paid_txn_ref"],
            r.amount_vnd,
            full,
            payment["gateway_transaction_no"],
            payment["paid_at"],
            r.owner,
        )
        outcome = payments.refund_outcome(answer)
    except GatewayError as exc:
        log.warning(
            "refund_outcome_unknown", refund_id=r.refund_id, dossier_code=r.dossier_code, error=str(exc)
        )
        answer, outcome = {"vnp_ResponseCode": "unknown"}, "unknown"
    return outcome, str(answer.get("vnp_ResponseCode"))[:10]


def _record(db, log, payment: dict, r: RefundRequest, outcome: str, gateway_code: str) -> dict:
    with db.unit() as uow:
        # Conditional: a refund this process took too long to record (the database was away for longer than
        # PAYMENT_RECONCILE_AFTER_SECONDS) has been made `unknown` by reconciliation and may be settled already;
        # its outcome is then the leader's to decide, never applied a second time from here.
        recorded = storage.record_refund_outcome(uow.session, r.refund_id, outcome, gateway_code)
        if recorded:
            finish_refund(uow, payment, r.refund_id, r.amount_vnd, r.reason, outcome, r.owner, r.key)
    if not recorded:
        log.warning("refund_answer_too_late", refund_id=r.refund_id, gateway_code=gateway_code)
        raise Unavailable("refund_outcome_unknown", UNKNOWN_TEXT, {"refund_id": r.refund_id})
    REFUNDS.labels(outcome).inc()
    if outcome == "failed":
        raise Unavailable(
            "refund_failed",
            "Cổng thanh toán chưa hoàn tiền, vui lòng thử lại.",
            {"gateway_code": gateway_code},
        )
    if outcome == "unknown":
        raise Unavailable("refund_outcome_unknown", UNKNOWN_TEXT, {"refund_id": r.refund_id})
    return {"refund_id": r.refund_id, "amount_vnd": r.amount_vnd, "status": "done"}


def finish_refund(
    uow,
    payment: dict,
    refund_id: str,
    amount_vnd: int,
    reason: str,
    outcome: str,
    key_owner: str,
    key: str | None,
) -> None:
    """What a refund's outcome does, in the transaction that records it: done publishes PaymentRefunded;
    failed gives the reservation back (and the key, so a retry acts again); unknown keeps both."""
    if outcome == "failed":
        storage.release_refund(uow.session, payment["id"], amount_vnd)
        if key:
            idempotency.forget(uow.session, key_owner, key)
    elif outcome == "done":
        total = storage.refunded_total(uow.session, payment["id"])
        uow.publish(
            PaymentRefunded,
            {
                "payment_id": payment["id"],
                "dossier_code": payment["dossier_code"],
                "amount_vnd": amount_vnd,
                "refunded_total_vnd": total,
                "reason": reason,
            },
            subject=payment["dossier_code"],
        )
    if key and outcome != "failed":
        idempotency.replace(
            uow.session, key_owner, key, {"refund_id": refund_id, "amount_vnd": amount_vnd, "status": outcome}
        )


def settle_refund(db, dossier_code: str, refund_id: str, outcome: str, note: str, actor: dict) -> dict:
    """A leader closes an unknown refund from the gateway's statement: done (PaymentRefunded) or failed (the
    amount refundable again); the note is the evidence; audited; once."""
    if not payments.is_leader(actor):
        raise Forbidden("role_not_allowed", "Chỉ lãnh đạo được xác nhận kết quả hoàn phí.")
    if outcome not in payments.SETTLEMENTS:
        raise InvalidInput(
            "invalid_outcome",
            'Kết quả phải là "done" (đã hoàn) hoặc "failed" (chưa hoàn).',
            {"allowed": list(payments.SETTLEMENTS)},
        )
    if not (note or "").strip():
        raise InvalidInput(
            "note_required", "Cần ghi căn cứ đối soát (ví dụ: số dòng sao kê của cổng thanh toán)."
        )
    who = str(actor.get("subject"))
    with db.unit() as uow:
        payment = storage.find_payment(uow.session, dossier_code=dossier_code)
        refund = storage.find_refund(uow.session, refund_id)
        if payment is None or refund is None or refund["payment_id"] != payment["id"]:
            raise NotFound("refund_not_found", "Không tìm thấy yêu cầu hoàn phí này của hồ sơ.")
        if not storage.settle_unknown_refund(uow.session, refund_id, outcome, who, utcnow(), note.strip()):
            raise Conflict(
                "refund_not_unknown",
                "Chỉ xác nhận được yêu cầu hoàn phí chưa rõ kết quả.",
                {"status": refund["status"]},
            )
        finish_refund(
            uow,
            payment,
            refund_id,
            refund["amount_vnd"],
            refund["reason"],
            outcome,
            refund["requested_by"],
            refund["idempotency_key"],
        )
        uow.audit(
            who,
            "payment.refund_settled",
            dossier_code,
            {
                "refund_id": refund_id,
                "outcome": outcome,
                "amount_vnd": refund["amount_vnd"],
                "note": note.strip(),
            },
        )
    REFUNDS.labels(f"settled_{outcome}").inc()
    return {"refund_id": refund_id, "amount_vnd": refund["amount_vnd"], "status": outcome}

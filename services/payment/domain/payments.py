"""The rules of a payment's life, as plain functions: attempt references, when a gateway callback may change a
payment, receipt numbers, refund outcomes and who may refund. No database, no clock: callers pass `now`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.chassis.clock import LEGAL_TZ
from services.payment.domain import vnpay

# A refund's outcome: requested (the gateway being asked) | done | failed (refused: nothing paid out) | unknown
# (the gateway's answer was lost: the amount stays reserved until a leader settles it).
SETTLEMENTS = ("done", "failed")


def txn_ref(payment_id: str, attempts_before: int) -> str:
    """vnp_TxnRef of a new attempt: unique per attempt, so the gateway never sees one reference twice."""
    return f"{payment_id[:8].upper()}{attempts_before + 1:03d}"


def receipt_number(year: int, seq: int) -> str:
    """The e-receipt number (biên lai điện tử): numbered per year in legal time."""
    return f"BL{year}-{seq:07d}"


def receipt_year(moment: datetime) -> int:
    return moment.astimezone(LEGAL_TZ).year


@dataclass(frozen=True)
class CallbackCheck:
    """What a verified gateway result may do to an attempt: `answer` set = answer it and change nothing;
    `late` names the mismatch when it came after the payment expired."""

    answer: tuple[str, str] | None = None
    late: str = ""


def check_callback(
    params: Mapping[str, str], attempt: Mapping[str, Any], payment: Mapping[str, Any], now: datetime
) -> CallbackCheck:
    """VNPay's IPN rules, in their order: the amount (VND × 100) must match the attempt's (04), an attempt or
    payment already settled answers 02, a payment no longer pending or expired answers 99."""
    try:
        amount = int(params.get("vnp_Amount", "-1"))
    except ValueError:
        return CallbackCheck(vnpay.INVALID_AMOUNT)
    if amount != attempt["amount_vnd"] * 100:
        return CallbackCheck(vnpay.INVALID_AMOUNT)
    if attempt["status"] != "pending" or payment["status"] == "paid":
        return CallbackCheck(vnpay.ALREADY_CONFIRMED)
    if payment["status"] != "pending" or payment["expires_at"] <= now:
        late = "paid_after_expiry" if vnpay.ipn_outcome(params) == "paid" else "late_callback"
        return CallbackCheck(("99", "Payment expired"), late)
    return CallbackCheck()


def has_final_answer(answer: Mapping[str, Any]) -> bool:
    """A QueryDR answer that settles an attempt (otherwise the gateway has no final answer yet)."""
    return answer.get("vnp_ResponseCode") == "00" and answer.get("vnp_TransactionStatus") not in (
        None,
        "",
        "01",
    )


def paid_at_gateway(answer: Mapping[str, Any]) -> bool:
    return answer.get("vnp_ResponseCode") == "00" and answer.get("vnp_TransactionStatus") == "00"


def report_line(attempt: Mapping[str, Any], answer: Mapping[str, Any]) -> dict[str, Any] | None:
    """A difference between our ledger and the gateway for one attempt, None when they agree."""
    gateway_paid = paid_at_gateway(answer)
    if gateway_paid != (attempt["status"] == "paid"):
        kind = "paid_at_gateway_only" if gateway_paid else "paid_in_ledger_only"
        return {
            "txn_ref": attempt["txn_ref"],
            "kind": kind,
            "ledger": attempt["status"],
            "gateway_status": answer.get("vnp_TransactionStatus"),
        }
    if gateway_paid and int(answer.get("vnp_Amount", 0)) != attempt["amount_vnd"] * 100:
        return {
            "txn_ref": attempt["txn_ref"],
            "kind": "amount",
            "ledger_vnd": attempt["amount_vnd"],
            "gateway_vnd": int(answer.get("vnp_Amount", 0)) // 100,
        }
    return None


def is_leader(actor: Mapping[str, Any]) -> bool:
    """Refunds and their settlement are decisions on money: officers with the leader role only."""
    return actor.get("kind") == "officer" and "leader" in (actor.get("roles") or [])


def valid_amount(amount_vnd: object) -> bool:
    return isinstance(amount_vnd, int) and not isinstance(amount_vnd, bool) and amount_vnd > 0


def refund_outcome(answer: Mapping[str, Any]) -> str:
    """done | failed from a signed gateway answer (a lost answer is `unknown`, decided by the caller)."""
    return "done" if answer.get("vnp_ResponseCode") == "00" else "failed"

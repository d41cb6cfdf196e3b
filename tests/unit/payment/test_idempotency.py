"""Payment entrypoints with worker_factory: an Idempotency-Key makes a retried refund or payment start act once."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from nameko.testing.services import worker_factory

from services.chassis.errors import Conflict, InvalidInput, Unavailable
from services.payment.adapters import storage
from services.payment.service import PaymentService
from tests.support import FakeDatabase

LEADER = {"subject": "leader-1", "kind": "officer", "unit": "000.31.01.H41", "roles": ["leader"]}
OTHER_LEADER = {**LEADER, "subject": "leader-2"}
CITIZEN = "037090000001"


@pytest.fixture
def payment():
    service = worker_factory(PaymentService, db=FakeDatabase(storage.metadata))
    service.gateway.refund.return_value = {"vnp_ResponseCode": "00"}
    service.gateway.payment_url.side_effect = lambda txn_ref, *a: f"http://sandbox/pay?ref={txn_ref}"
    return service


def _fee(payment, code: str, status: str = "paid") -> str:
    now = datetime.now(timezone.utc)
    with payment.db.unit() as uow:
        uow.session.execute(
            storage.payments.insert().values(
                id=str(uuid.uuid4()),
                dossier_code=code,
                amount_vnd=100000,
                assessment=json.dumps({"lines": []}),
                payer_name="Nguyễn Văn An",
                status=status,
                created_at=now,
                expires_at=now + timedelta(minutes=30),
                paid_at=now if status == "paid" else None,
                gateway_transaction_no="T1",
                paid_txn_ref="REF001",
                refunded_vnd=0,
            )
        )
    return code


def _refunded(payment, code: str) -> int:
    return next(p for p in payment.db.rows("payments") if p["dossier_code"] == code)["refunded_vnd"]


def test_a_refund_retried_with_the_same_key_refunds_once(payment):
    code = _fee(payment, "D-1")
    first = payment.refund(code, 40000, "Từ chối sau khi nộp phí", LEADER, "refund-key-1")
    again = payment.refund(code, 40000, "Từ chối sau khi nộp phí", LEADER, "refund-key-1")
    assert first["status"] == "done" and "replayed" not in first
    assert again == {**first, "replayed": True}
    assert payment.gateway.refund.call_count == 1
    assert len(payment.db.rows("refunds")) == 1 and _refunded(payment, code) == 40000
    assert len([e for e in payment.db.outbox() if e["event_type"].endswith("PaymentRefunded")]) == 1


def test_the_same_key_for_another_refund_is_refused(payment):
    code = _fee(payment, "D-1")
    payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    with pytest.raises(Conflict) as refused:
        payment.refund(code, 50000, "Lý do", LEADER, "refund-key-1")
    assert refused.value.code == "idempotency_key_reused"
    assert _refunded(payment, code) == 40000 and payment.gateway.refund.call_count == 1


def test_officers_keys_are_their_own(payment):
    code = _fee(payment, "D-1")
    payment.refund(code, 30000, "Lý do", LEADER, "same-key")
    other = payment.refund(code, 30000, "Lý do", OTHER_LEADER, "same-key")
    assert (
        "replayed" not in other and _refunded(payment, code) == 60000 and len(payment.db.rows("refunds")) == 2
    )


def test_a_retry_while_the_gateway_has_not_answered_is_told_to_wait(payment):
    code = _fee(payment, "D-1")
    seen = []

    def gateway_refund(*args):
        with pytest.raises(Conflict) as waiting:  # the client timed out and retried meanwhile
            payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
        seen.append(waiting.value.code)
        return {"vnp_ResponseCode": "00"}

    payment.gateway.refund.side_effect = gateway_refund
    payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    assert seen == ["refund_in_progress"] and _refunded(payment, code) == 40000


def test_a_refund_the_gateway_refused_can_be_retried_with_its_key(payment):
    code = _fee(payment, "D-1")
    payment.gateway.refund.return_value = {"vnp_ResponseCode": "99"}
    with pytest.raises(Unavailable):
        payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    assert _refunded(payment, code) == 0 and payment.db.rows("idempotency_keys") == []
    payment.gateway.refund.return_value = {"vnp_ResponseCode": "00"}
    done = payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    assert "replayed" not in done and _refunded(payment, code) == 40000
    assert sorted(r["status"] for r in payment.db.rows("refunds")) == ["done", "failed"]


def test_a_key_longer_than_100_characters_is_refused(payment):
    code = _fee(payment, "D-1")
    with pytest.raises(InvalidInput) as refused:
        payment.refund(code, 40000, "Lý do", LEADER, "k" * 101)
    assert refused.value.code == "idempotency_key_too_long" and payment.db.rows("refunds") == []


def test_starting_a_payment_again_with_the_same_key_gives_the_same_attempt(payment):
    code = _fee(payment, "D-1", status="pending")
    first = payment.start_payment(code, "127.0.0.1", CITIZEN, "pay-key-1")
    again = payment.start_payment(code, "10.0.0.9", CITIZEN, "pay-key-1")  # a retry may come from elsewhere
    assert again == {**first, "replayed": True}
    assert len(payment.db.rows("payment_attempts")) == 1
    without_key = payment.start_payment(code, "127.0.0.1")  # older callers: a new attempt each time
    assert without_key["txn_ref"] != first["txn_ref"]
    other_payer = payment.start_payment(code, "127.0.0.1", "037185000002", "pay-key-1")
    assert "replayed" not in other_payer and len(payment.db.rows("payment_attempts")) == 3


def test_the_same_payment_key_on_another_dossier_is_refused(payment):
    first, second = _fee(payment, "D-1", status="pending"), _fee(payment, "D-2", status="pending")
    payment.start_payment(first, "127.0.0.1", CITIZEN, "pay-key-1")
    with pytest.raises(Conflict):
        payment.start_payment(second, "127.0.0.1", CITIZEN, "pay-key-1")
    assert len(payment.db.rows("payment_attempts")) == 1


def test_a_lost_gateway_answer_holds_the_amount_and_the_key_and_never_retries(payment):
    from services.payment.adapters.gateway import GatewayError

    code = _fee(payment, "D-1")
    payment.gateway.refund.side_effect = GatewayError("gateway unreachable: ReadTimeout")
    with pytest.raises(Unavailable) as lost:
        payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    assert lost.value.code == "refund_outcome_unknown"
    [refund] = payment.db.rows("refunds")
    assert refund["status"] == "unknown" and refund["idempotency_key"] == "refund-key-1"
    assert _refunded(payment, code) == 40000  # held: not refundable again until settled
    with pytest.raises(Conflict) as again:
        payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    assert again.value.code == "refund_outcome_unknown" and payment.gateway.refund.call_count == 1
    with pytest.raises(InvalidInput):
        payment.refund(code, 70000, "Lý do", LEADER)
    assert not [e for e in payment.db.outbox() if e["event_type"].endswith("PaymentRefunded")]


@pytest.mark.parametrize("outcome, refunded, events", [("done", 40000, 1), ("failed", 0, 0)])
def test_a_leader_settles_an_unknown_refund_once(payment, outcome, refunded, events):
    from services.chassis.errors import Forbidden, NotFound
    from services.payment.adapters.gateway import GatewayError

    code = _fee(payment, "D-1")
    payment.gateway.refund.side_effect = GatewayError("gateway unreachable: ConnectionError")
    with pytest.raises(Unavailable) as lost:
        payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    refund_id = lost.value.details["refund_id"]
    handler = {**LEADER, "roles": ["handler"]}
    with pytest.raises(Forbidden):
        payment.settle_refund(code, refund_id, outcome, "Sao kê dòng 17", handler)
    with pytest.raises(NotFound):
        payment.settle_refund("D-OTHER", refund_id, outcome, "Sao kê dòng 17", LEADER)
    answer = payment.settle_refund(code, refund_id, outcome, "Sao kê dòng 17", OTHER_LEADER)
    assert answer == {"refund_id": refund_id, "amount_vnd": 40000, "status": outcome}
    with pytest.raises(Conflict) as twice:
        payment.settle_refund(code, refund_id, "done", "Sao kê dòng 17", OTHER_LEADER)
    assert twice.value.code == "refund_not_unknown"
    [refund] = payment.db.rows("refunds")
    assert refund["status"] == outcome and refund["settled_by"] == "leader-2"
    assert refund["settlement_note"] == "Sao kê dòng 17"
    assert _refunded(payment, code) == refunded
    assert len([e for e in payment.db.outbox() if e["event_type"].endswith("PaymentRefunded")]) == events
    assert [e["action"] for e in payment.db.rows("audit_log")] == [
        "payment.refund_requested",
        "payment.refund_settled",
    ]
    assert payment.audit_verify() == {
        "ok": True,
        "entries": 2,
        "head_seq": 2,
        "first_bad_seq": None,
        "reason": "",
    }
    payment.gateway.refund.side_effect = None
    retry = payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    if outcome == "done":  # the requester's retry gets the settled answer
        assert retry["replayed"] and retry["refund_id"] == refund_id
    else:  # the key was given back with the amount: the retry acts
        assert "replayed" not in retry and _refunded(payment, code) == 40000


@pytest.mark.parametrize("gateway_code", ["00", "99"])
def test_an_answer_recorded_after_reconciliation_took_the_refund_over_changes_nothing(payment, gateway_code):
    code = _fee(payment, "D-1")

    def slow_gateway(*args):
        # The answer comes back after reconciliation made the refund unknown (this process looked dead).
        with payment.db.unit() as uow:
            uow.session.execute(storage.refunds.update().values(status="unknown"))
        return {"vnp_ResponseCode": gateway_code}

    payment.gateway.refund.side_effect = slow_gateway
    with pytest.raises(Unavailable) as late:
        payment.refund(code, 40000, "Lý do", LEADER, "refund-key-1")
    assert late.value.code == "refund_outcome_unknown"
    [refund] = payment.db.rows("refunds")
    assert refund["status"] == "unknown" and _refunded(payment, code) == 40000  # still held, for the leader
    assert not [e for e in payment.db.outbox() if e["event_type"].endswith("PaymentRefunded")]
    assert len(payment.db.rows("idempotency_keys")) == 1  # the key stays taken

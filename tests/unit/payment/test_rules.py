"""Payment's pure rules (domain/payments.py) and the fee file loader (adapters/fees.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.chassis.yamlfile import DataFileError
from services.payment.adapters.fees import load_schedules
from services.payment.domain import payments, vnpay
from services.payment.domain.fees import FeeScheduleError, parse_schedules

NOW = datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc)  # 00:30 on 1 January 2027 in Vietnam
ATTEMPT = {"txn_ref": "ABCDEF12001", "amount_vnd": 200000, "status": "pending"}
PAYMENT = {"status": "pending", "expires_at": NOW + timedelta(minutes=5)}
PAID = {"vnp_Amount": "20000000", "vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"}


def test_references_and_receipt_numbers():
    assert payments.txn_ref("abcdef12-3456", 0) == "ABCDEF12001"
    assert payments.txn_ref("abcdef12-3456", 41) == "ABCDEF12042"
    assert payments.receipt_year(NOW) == 2027  # numbered per year in legal time
    assert payments.receipt_number(2027, 12) == "BL2027-0000012"


@pytest.mark.parametrize(
    "params, attempt, payment, answer, late",
    [
        (PAID, ATTEMPT, PAYMENT, None, ""),
        ({**PAID, "vnp_Amount": "200000"}, ATTEMPT, PAYMENT, vnpay.INVALID_AMOUNT, ""),
        ({**PAID, "vnp_Amount": "x"}, ATTEMPT, PAYMENT, vnpay.INVALID_AMOUNT, ""),
        (PAID, {**ATTEMPT, "status": "paid"}, PAYMENT, vnpay.ALREADY_CONFIRMED, ""),
        (PAID, ATTEMPT, {**PAYMENT, "status": "paid"}, vnpay.ALREADY_CONFIRMED, ""),
        (PAID, ATTEMPT, {**PAYMENT, "expires_at": NOW}, ("99", "Payment expired"), "paid_after_expiry"),
        (
            {**PAID, "vnp_ResponseCode": "24"},
            ATTEMPT,
            {**PAYMENT, "status": "expired"},
            ("99", "Payment expired"),
            "late_callback",
        ),
    ],
)
def test_what_a_gateway_result_may_change(params, attempt, payment, answer, late):
    assert payments.check_callback(params, attempt, payment, NOW) == payments.CallbackCheck(answer, late)


def test_reconciliation_reads_only_final_answers_and_lists_differences():
    assert payments.has_final_answer(PAID) and payments.has_final_answer(
        {**PAID, "vnp_TransactionStatus": "02"}
    )
    assert not payments.has_final_answer({**PAID, "vnp_TransactionStatus": "01"})
    assert not payments.has_final_answer({"vnp_ResponseCode": "91"})
    assert payments.report_line({**ATTEMPT, "status": "paid"}, PAID) is None
    assert payments.report_line(ATTEMPT, PAID)["kind"] == "paid_at_gateway_only"
    assert payments.report_line({**ATTEMPT, "status": "paid"}, {"vnp_ResponseCode": "00"})["kind"] == (
        "paid_in_ledger_only"
    )
    assert payments.report_line({**ATTEMPT, "status": "paid"}, {**PAID, "vnp_Amount": "10000000"}) == {
        "txn_ref": "ABCDEF12001",
        "kind": "amount",
        "ledger_vnd": 200000,
        "gateway_vnd": 100000,
    }


def test_who_may_refund_and_what():
    assert payments.is_leader({"kind": "officer", "roles": ["handler", "leader"]})
    assert not payments.is_leader({"kind": "citizen", "roles": ["leader"]})
    assert not payments.is_leader({"kind": "officer", "roles": None})
    assert [payments.valid_amount(v) for v in (1, 0, -5, True, 1.5, "10")] == [True] + [False] * 5
    assert payments.refund_outcome({"vnp_ResponseCode": "00"}) == "done"
    assert payments.refund_outcome({"vnp_ResponseCode": "94"}) == "failed"


def test_the_parser_takes_plain_data_and_names_its_source():
    assert parse_schedules(None) == {}
    with pytest.raises(FeeScheduleError, match=r"^fees-x: schedules\[1\]: duplicate"):
        parse_schedules(
            {"schedules": [{"procedure": "1", "version": 1}, {"procedure": "1", "version": 1}]}, "fees-x"
        )


def test_a_broken_fee_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "fees.yaml"
    path.write_text("schedules:\n  - {procedure: X\n")
    with pytest.raises(DataFileError, match=r"fees.yaml line \d+"):
        load_schedules(path)
    with pytest.raises(DataFileError, match="cannot be read"):
        load_schedules(tmp_path / "missing.yaml")

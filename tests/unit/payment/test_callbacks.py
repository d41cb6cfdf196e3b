"""The gateway's callback and reconciliation through the payment entrypoints (worker_factory, SQLite, the real
VNPay client for signing and verifying; no HTTP): VNPay's RspCodes, one receipt, replays change nothing, unpaid
requests expire."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlparse

import pytest
from nameko.testing.services import worker_factory

from services.payment.adapters import storage
from services.payment.adapters.gateway import VnpayGateway
from services.payment.domain import vnpay
from services.payment.service import PaymentService
from tests.support import FakeDatabase

SECRET = "unit-test-vnpay-secret"


@pytest.fixture
def payment():
    gateway = VnpayGateway("http://sandbox/pay", "http://127.0.0.1:9/api", "MOTCUA01", SECRET, "http://x/ret")
    return worker_factory(PaymentService, db=FakeDatabase(storage.metadata), gateway=gateway)


def _fee(payment, code: str, expires_in: timedelta = timedelta(minutes=30)) -> None:
    now = datetime.now(timezone.utc)
    with payment.db.unit() as uow:
        uow.session.execute(
            storage.payments.insert().values(
                id=str(uuid.uuid4()),
                dossier_code=code,
                amount_vnd=200000,
                payer_name="Nguyễn Văn An",
                assessment=json.dumps(
                    {
                        "lines": [
                            {
                                "code": "LP",
                                "name": "Lệ phí",
                                "quantity": 1,
                                "unit_amount": 200000,
                                "amount": 200000,
                            }
                        ]
                    }
                ),
                status="pending",
                created_at=now,
                expires_at=now + expires_in,
                refunded_vnd=0,
            )
        )


def _ipn(payment, code: str, **changes) -> dict:
    url = payment.start_payment(code, "127.0.0.1")["payment_url"]
    sent = dict(parse_qsl(urlparse(url).query))
    params = {
        "vnp_TxnRef": sent["vnp_TxnRef"],
        "vnp_Amount": sent["vnp_Amount"],
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "14000001",
        "vnp_TmnCode": "MOTCUA01",
        **changes,
    }
    return vnpay.signed_params(SECRET, params)


def _events(payment, name: str) -> list[dict]:
    return [json.loads(e["envelope"]) for e in payment.db.outbox() if e["event_type"].endswith(name)]


def test_a_signed_ipn_confirms_once_with_one_receipt(payment):
    _fee(payment, "D-1")
    params = _ipn(payment, "D-1")
    assert payment.handle_ipn(params) == {"RspCode": "00", "Message": "Confirm Success"}
    assert payment.handle_ipn(params)["RspCode"] == "02"  # a replay changes nothing
    fee = payment.get_payment("D-1")
    assert fee["status"] == "paid" and fee["receipt_number"].startswith("BL")
    receipt = payment.get_receipt("D-1")
    assert receipt["amount_vnd"] == 200000 and receipt["gateway_transaction_no"] == "14000001"
    [completed] = _events(payment, "PaymentCompleted")
    assert (
        completed["data"]["receipt_number"] == receipt["number"]
        and completed["data"]["confirmed_by"] == "ipn"
    )
    assert [row["rsp_code"] for row in payment.db.rows("ipn_log")] == ["00", "02"]
    assert all("vnp_SecureHash" not in row["params"] for row in payment.db.rows("ipn_log"))


@pytest.mark.parametrize(
    "tamper, code",
    [
        (lambda p: {**p, "vnp_SecureHash": "0" * 128}, "97"),  # forged
        (lambda p: vnpay.signed_params(SECRET, {**p, "vnp_TxnRef": "NOPE0001"}), "01"),  # unknown order
        (lambda p: vnpay.signed_params(SECRET, {**p, "vnp_Amount": "200000"}), "04"),  # VND, not VND x 100
    ],
)
def test_forged_unknown_and_wrong_amount_callbacks_change_nothing(payment, tamper, code):
    _fee(payment, "D-1")
    params = {k: v for k, v in _ipn(payment, "D-1").items() if k != "vnp_SecureHash"}
    assert payment.handle_ipn(tamper(vnpay.signed_params(SECRET, params)))["RspCode"] == code
    assert payment.get_payment("D-1")["status"] == "pending" and payment.db.outbox() == []


def test_a_failed_payment_is_reported_and_the_fee_stays_payable(payment):
    _fee(payment, "D-1")
    assert (
        payment.handle_ipn(_ipn(payment, "D-1", vnp_ResponseCode="24", vnp_TransactionStatus="02"))["RspCode"]
        == "00"
    )
    assert payment.get_payment("D-1")["status"] == "pending"
    [failed] = _events(payment, "PaymentFailed")
    assert failed["data"]["reason"] == "gateway code 24"


def test_a_callback_after_expiry_is_refused_and_reconciliation_expires_the_request(payment):
    _fee(payment, "D-1")
    params = _ipn(payment, "D-1")
    with payment.db.unit() as uow:
        uow.session.execute(
            storage.payments.update().values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
        )
    assert payment.handle_ipn(params)["RspCode"] == "99"
    assert payment.reconcile_now() == {"settled": 0, "expired": 0, "refunds_unknown": 0}  # an attempt pending
    with payment.db.unit() as uow:
        uow.session.execute(storage.attempts.update().values(status="failed"))
    assert payment.reconcile_now()["expired"] == 1
    assert payment.get_payment("D-1")["status"] == "expired" and len(_events(payment, "PaymentExpired")) == 1
    assert payment.reconcile_now()["expired"] == 0

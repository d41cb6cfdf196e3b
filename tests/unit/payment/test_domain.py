"""Fees in integer VND and the VNPay signature rules."""

from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.payment.adapters.fees import DATA_DIR, load_schedules
from services.payment.domain import vnpay
from services.payment.domain.fees import FeeScheduleError, assess

SCHEDULES = load_schedules(DATA_DIR / "fees.yaml")
SECRET = "TESTSECRETKEY0123456789"


def test_fixed_per_item_and_reductions():
    schedule = SCHEDULES[("1.000656", 1)]
    assert assess(schedule, {}, set()).total == 200000
    assert assess(schedule, {"so_phieu_them": 3}, set()).total == 215000
    student = assess(schedule, {}, {"student"})
    assert (student.reduction, student.total, student.reduction_reason) == (
        100000,
        100000,
        "Học sinh, sinh viên",
    )
    assert assess(schedule, {}, {"student", "poor_household"}).total == 0  # the best reduction applies


@pytest.mark.parametrize(
    "area,fee", [(0, 75000), (250, 75000), (251, 150000), (1000, 150000), (5000, 300000)]
)
def test_tiered(area, fee):
    assert assess(SCHEDULES[("1.004227", 1)], {"dien_tich_san_m2": area}, set()).total == fee


@given(st.integers(0, 10_000), st.sampled_from([set(), {"student"}, {"poor_household"}]))
def test_fees_are_non_negative_integers(quantity, categories):
    result = assess(SCHEDULES[("1.000656", 1)], {"so_phieu_them": quantity}, categories)
    assert isinstance(result.total, int) and 0 <= result.total <= result.subtotal
    assert result.subtotal == sum(line.amount for line in result.lines)


def test_bad_schedule_refused(tmp_path):
    path = tmp_path / "fees.yaml"
    path.write_text(
        "schedules:\n  - {procedure: X, version: 1, lines: [{code: A, type: fixed, amount: 1.5}]}\n"
    )
    with pytest.raises(FeeScheduleError) as err:
        load_schedules(path)
    assert "fees.yaml" in str(err.value)


def _url():
    return vnpay.payment_url(
        "http://sandbox/pay",
        SECRET,
        tmn_code="MOTCUA01",
        txn_ref="P1-1",
        amount_vnd=200000,
        order_info="Thanh toan ho so 000.00.07.H41-261122-0001",
        return_url="http://x/ret",
        ip_addr="127.0.0.1",
        created=datetime(2026, 11, 22, 8, tzinfo=timezone.utc),
        expires=datetime(2026, 11, 22, 8, 15, tzinfo=timezone.utc),
    )


def test_payment_url_is_signed_over_sorted_encoded_parameters():
    params = dict(parse_qsl(urlparse(_url()).query))
    assert params["vnp_Amount"] == "20000000" and params["vnp_CreateDate"] == "20261122150000"
    assert vnpay.verify(SECRET, params)
    assert not vnpay.verify("other-secret", params)


@pytest.mark.parametrize(
    "field,value",
    [
        ("vnp_Amount", "10000000"),
        ("vnp_TxnRef", "P1-2"),
        ("vnp_SecureHash", "0" * 128),
        ("vnp_OrderInfo", "x"),
    ],
)
def test_any_tampering_breaks_the_signature(field, value):
    params = dict(parse_qsl(urlparse(_url()).query))
    params[field] = value
    assert not vnpay.verify(SECRET, params)


def test_pipe_signatures_round_trip():
    data = {f: f"v{i}" for i, f in enumerate(vnpay.QUERY_FIELDS)}
    data["vnp_SecureHash"] = vnpay.pipe_hash(SECRET, data, vnpay.QUERY_FIELDS)
    assert vnpay.verify_pipe(SECRET, data, vnpay.QUERY_FIELDS)
    data["vnp_TxnRef"] = "changed"
    assert not vnpay.verify_pipe(SECRET, data, vnpay.QUERY_FIELDS)

"""Fees paid through the sandbox gateway over HTTP: only signed IPNs change state, replays change nothing,
refunds never exceed what was paid, reconciliation finds what the IPN never said."""

from __future__ import annotations

import concurrent.futures
import re
from urllib.parse import parse_qsl, urlencode, urlparse

import pytest
import requests
from sqlalchemy import create_engine, text

from devtools.vnpay_sandbox import DEFAULT_SECRET
from services.payment.domain import vnpay
from tests.conftest import wait_for

pytestmark = pytest.mark.integration
LAND = "8a0d5a2e-0000-4000-8000-000000000001"
COMMUNE = "000.31.01.H41"  # decides 2.000488 for an applicant in NB.HL.NT (2-level demo)


def officer(running, role):
    return running.headers(f"{role}-1", "officer", unit=COMMUNE, roles=[role])


def file_business_registration(running) -> str:
    response = running.session.post(
        f"{running.base_url}/api/v1/dossiers",
        headers=running.headers("037090000001"),
        json={
            "procedure_code": "2.000488",
            "applicant": {"id_number": "037090000001"},
            "documents": [{"code": "QSDD", "reuse": LAND}],
        },
    )
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    running.receive(code)  # the fee is assessed once the dossier is received
    wait_for(
        lambda: (
            running.session.get(
                f"{running.base_url}/api/v1/dossiers/{code}/payment", headers=running.headers("037090000001")
            ).status_code
            == 200
        ),
        30,
        message="fee assessed",
    )
    return code


def payment(running, code) -> dict:
    return running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}/payment", headers=running.headers("037090000001")
    ).json()


def pay(running, code, decision="pay") -> dict:
    started = running.session.post(
        f"{running.base_url}/api/v1/dossiers/{code}/payment", headers=running.headers("037090000001")
    )
    assert started.status_code == 201, started.text
    page = requests.get(started.json()["payment_url"], timeout=10)
    assert page.status_code == 200 and "Thanh toán" in page.text
    sandbox_base = started.json()["payment_url"].split("/paymentv2")[0]
    decided = requests.post(
        f"{sandbox_base}/sandbox/decide",
        allow_redirects=False,
        timeout=10,
        data={"txn_ref": started.json()["txn_ref"], "decision": decision},
    )
    assert decided.status_code == 302
    return {"txn_ref": started.json()["txn_ref"], "return_url": decided.headers["Location"]}


def test_pay_end_to_end_get_the_receipt_and_the_dossier_moves_on(running):
    code = file_business_registration(running)
    fee = payment(running, code)
    assert fee["status"] == "pending" and fee["amount_vnd"] == 100000
    base = f"{running.base_url}/api/v1/dossiers/{code}"
    for role, action, extra in [
        ("leader", "assign", {"params": {"assignee": "h"}}),
        ("leader", "approve", {}),
        ("handler", "result_ready", {}),
    ]:
        assert (
            running.session.post(
                f"{base}/actions", headers=officer(running, role), json={"action": action, **extra}
            ).status_code
            == 200
        )
    early = running.session.post(
        f"{base}/actions", headers=officer(running, "receiver"), json={"action": "return_result"}
    )
    assert early.status_code == 422 and early.json()["code"] == "fee_unpaid"  # the result waits for the fee

    attempt = pay(running, code)
    returned = requests.get(attempt["return_url"], timeout=10)  # the browser's landing page changes nothing
    assert returned.status_code == 200 and "Thanh toán thành công" in returned.text
    wait_for(lambda: payment(running, code)["status"] == "paid", 30, message="IPN applied")
    receipt = running.session.get(f"{base}/receipt", headers=running.headers("037090000001")).json()
    assert re.match(r"^BL\d{4}-\d{7}$", receipt["number"]) and receipt["amount_vnd"] == 100000
    assert receipt["payer_name"] == "Nguyễn Văn An" and receipt["lines"][0]["code"] == "LP-HKD"
    printable = running.session.get(
        f"{base}/receipt", params={"format": "html"}, headers=running.headers("037090000001")
    )
    assert "BIÊN LAI" in printable.text and "100,000" in printable.text
    wait_for(
        lambda: (
            "fee_paid"
            in [
                h["action"]
                for h in running.session.get(base, headers=running.headers("037090000001")).json()["history"]
            ]
        ),
        30,
        message="workflow saw the payment",
    )
    done = running.session.post(
        f"{base}/actions", headers=officer(running, "receiver"), json={"action": "return_result"}
    )
    assert done.status_code == 200 and done.json()["status"] == "returned"


def _ipn(running, params: dict) -> dict:
    return running.session.get(f"{running.base_url}/api/v1/payments/vnpay/ipn?{urlencode(params)}").json()


def _state(running, code) -> tuple:
    engine = create_engine(running.db_url("payment"))
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT p.status, p.refunded_vnd, (SELECT count(*) FROM receipts r "
                "WHERE r.payment_id = p.id) FROM payments p WHERE p.dossier_code = :c"
            ),
            {"c": code},
        ).one()
    engine.dispose()
    return tuple(row)


def _signed(params: dict) -> dict:
    return vnpay.signed_params(DEFAULT_SECRET, {k: v for k, v in params.items() if k != "vnp_SecureHash"})


def test_forged_tampered_unknown_replayed_and_expired_callbacks_are_refused(running):
    code = file_business_registration(running)
    attempt = pay(running, code)
    genuine = dict(parse_qsl(urlparse(attempt["return_url"]).query))
    wait_for(lambda: payment(running, code)["status"] == "paid", 30, message="paid")
    paid_state = _state(running, code)

    forged = {**genuine, "vnp_SecureHash": "ab" * 64}
    assert _ipn(running, forged)["RspCode"] == "97"
    tampered = {**genuine, "vnp_Amount": "100"}  # amount changed, signature kept
    assert _ipn(running, tampered)["RspCode"] == "97"
    signed_wrong_amount = _signed({**genuine, "vnp_Amount": "100"})
    assert _ipn(running, signed_wrong_amount)["RspCode"] == "04"
    unknown = _signed({**genuine, "vnp_TxnRef": "NOSUCHORDER"})
    assert _ipn(running, unknown)["RspCode"] == "01"
    assert _ipn(running, genuine) == {"RspCode": "02", "Message": "Order already confirmed"}  # replay
    assert _state(running, code) == paid_state  # nothing changed, no second receipt

    late = file_business_registration(running)
    started = running.session.post(
        f"{running.base_url}/api/v1/dossiers/{late}/payment", headers=running.headers("037090000001")
    ).json()
    engine = create_engine(running.db_url("payment"))
    with engine.begin() as conn:
        conn.execute(text("UPDATE payments SET expires_at = created_at WHERE dossier_code = :c"), {"c": late})
    engine.dispose()
    expired_ipn = _signed({**genuine, "vnp_TxnRef": started["txn_ref"]})
    assert _ipn(running, expired_ipn)["RspCode"] == "99"
    assert _state(running, late)[0] in ("pending", "expired") and _state(running, late)[2] == 0


def test_concurrent_refunds_never_exceed_what_was_paid(running):
    code = file_business_registration(running)
    pay(running, code)
    wait_for(lambda: payment(running, code)["status"] == "paid", 30, message="paid")
    url = f"{running.base_url}/api/v1/dossiers/{code}/refunds"
    headers = officer(running, "leader")

    def refund(_):
        return requests.post(
            url, headers=headers, json={"amount_vnd": 40000, "reason": "Từ chối sau khi nộp phí"}, timeout=30
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(refund, range(5)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == 2 and codes.count(422) == 3, [r.text for r in answers]
    assert all(r.json()["code"] == "refund_exceeds_refundable" for r in answers if r.status_code == 422)
    assert _state(running, code)[1] == 80000
    handler = running.headers("handler-1", "officer", unit=COMMUNE, roles=["handler"])
    assert requests.post(url, headers=handler, json={"amount_vnd": 1000, "reason": "x"}).status_code == 403


def test_reconciliation_settles_a_payment_whose_ipn_never_arrived(running):
    requests.post(f"http://127.0.0.1:{running.sandbox.port}/sandbox/mode", json={"ipn": "drop"}, timeout=5)
    try:
        code = file_business_registration(running)
        attempt = pay(running, code)
        assert payment(running, code)["status"] == "pending"
        wait_for(lambda: payment(running, code)["status"] == "paid", 60, message="reconciliation")
    finally:
        requests.post(
            f"http://127.0.0.1:{running.sandbox.port}/sandbox/mode", json={"ipn": "normal"}, timeout=5
        )
    assert any(e.get("txn_ref") == attempt["txn_ref"] and e.get("dropped") for e in running.sandbox.ipn_log)
    metrics = requests.get(
        f"http://127.0.0.1:{running.platform.metrics_port('payment')}/metrics", timeout=5
    ).text
    assert re.search(r'motcua_payment_reconciled_total\{outcome="paid"\} [1-9]', metrics)
    assert re.search(r'motcua_payment_reconciliation_mismatches_total\{kind="ipn_missing"\} [1-9]', metrics)


def refund_with_lost_answer(running, sandbox_mode: str, body: dict) -> dict:
    """Pay a fee, then ask for a refund while the sandbox gateway loses its answer (`lose_answer`: after
        refunding; `unreachable`: before), which must answer 503 `refund_outcome_unknown`. Returns the dossier code,
    the paid attempt's txn_ref, the refunds URL, the leader's headers (with the Idempotency-Key), the body and the
    refund's id."""
    code = file_business_registration(running)
    attempt = pay(running, code)
    wait_for(lambda: payment(running, code)["status"] == "paid", 30, message="paid")
    mode = f"http://127.0.0.1:{running.sandbox.port}/sandbox/mode"
    url = f"{running.base_url}/api/v1/dossiers/{code}/refunds"
    leader = {**officer(running, "leader"), "Idempotency-Key": f"lost-{code}"}
    requests.post(mode, json={"refund": sandbox_mode}, timeout=5)
    try:
        lost = requests.post(url, headers=leader, json=body, timeout=30)
    finally:
        requests.post(mode, json={"refund": "normal"}, timeout=5)
    assert lost.status_code == 503 and lost.json()["code"] == "refund_outcome_unknown", lost.text
    assert lost.headers["Content-Type"].startswith("application/problem+json")
    return {
        "code": code,
        "txn_ref": attempt["txn_ref"],
        "url": url,
        "leader": leader,
        "body": body,
        "refund_id": lost.json()["errors"]["refund_id"],
    }


def test_a_refund_whose_answer_is_lost_is_held_never_paid_twice_and_settled_by_a_leader(running):
    case = refund_with_lost_answer(
        running, "lose_answer", {"amount_vnd": 40000, "reason": "Hồ sơ bị từ chối"}
    )
    code, url, leader, body, refund_id = (
        case["code"],
        case["url"],
        case["leader"],
        case["body"],
        case["refund_id"],
    )
    txn_ref = case["txn_ref"]
    assert running.sandbox.transactions[txn_ref]["refunded"] == 40000 * 100  # the money did go out

    # The same request again refunds nothing: the key is held while the outcome is unknown.
    again = requests.post(url, headers=leader, json=body, timeout=30)
    assert again.status_code == 409 and again.json()["code"] == "refund_outcome_unknown", again.text
    # The amount stays reserved: 60,000 is what may still be refunded, not 100,000.
    over = requests.post(
        url, headers=officer(running, "leader"), json={"amount_vnd": 70000, "reason": "x"}, timeout=30
    )
    assert over.status_code == 422 and over.json()["code"] == "refund_exceeds_refundable", over.text
    fee = payment(running, code)
    assert fee["refunded_vnd"] == 40000
    assert [(r["id"], r["status"]) for r in fee["refunds"]] == [(refund_id, "unknown")]
    metrics_url = f"http://127.0.0.1:{running.platform.metrics_port('payment')}/metrics"
    wait_for(
        lambda: re.search(r"motcua_payment_refunds_unknown [1-9]", requests.get(metrics_url, timeout=5).text),
        30,
        message="unknown refund counted",
    )

    settle = f"{url}/{refund_id}/settlement"
    handler = running.headers("handler-1", "officer", unit=COMMUNE, roles=["handler"])
    assert requests.post(settle, headers=handler, json={"outcome": "done", "note": "x"}).status_code == 403
    missing_note = requests.post(settle, headers=leader, json={"outcome": "done"})
    assert missing_note.status_code == 422 and missing_note.json()["code"] == "note_required"
    bad = requests.post(settle, headers=leader, json={"outcome": "maybe", "note": "x"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_outcome"
    note = "Sao kê VNPAY ngày 30/11: dòng 17, hoàn 40.000 đ"
    settled = requests.post(settle, headers=leader, json={"outcome": "done", "note": note}, timeout=30)
    assert settled.status_code == 200 and settled.json()["status"] == "done", settled.text
    twice = requests.post(settle, headers=leader, json={"outcome": "failed", "note": note}, timeout=30)
    assert twice.status_code == 409 and twice.json()["code"] == "refund_not_unknown"

    # Settled: the retry with the key gets the first refund's answer, the ledger matches the gateway.
    replay = requests.post(url, headers=leader, json=body, timeout=30)
    assert replay.status_code == 200 and replay.json()["replayed"] and replay.json()["refund_id"] == refund_id
    assert _state(running, code)[1] == 40000
    assert running.sandbox.transactions[txn_ref]["refunded"] == 40000 * 100
    engine = create_engine(running.db_url("payment"))
    with engine.connect() as conn:
        audited = conn.execute(
            text("SELECT actor, action, details FROM audit_log WHERE target = :c ORDER BY seq"), {"c": code}
        ).all()
    engine.dispose()
    assert [a.action for a in audited] == ["payment.refund_requested", "payment.refund_settled"]
    assert note in audited[1].details and audited[1].actor == "leader-1"


def test_a_refund_settled_as_not_paid_out_is_refundable_again(running):
    case = refund_with_lost_answer(running, "unreachable", {"amount_vnd": 100000, "reason": "Thu nhầm"})
    code, url, leader, body = case["code"], case["url"], case["leader"], case["body"]
    txn_ref = case["txn_ref"]
    assert payment(running, code)["refunded_vnd"] == 100000
    assert running.sandbox.transactions[txn_ref]["refunded"] == 0
    settled = requests.post(
        f"{url}/{case['refund_id']}/settlement",
        headers=leader,
        json={"outcome": "failed", "note": "Không có trong sao kê ngày 30/11"},
        timeout=30,
    )
    assert settled.status_code == 200 and settled.json()["status"] == "failed", settled.text
    assert payment(running, code)["refunded_vnd"] == 0
    # The key was given back with the amount: the same request now refunds, once.
    retry = requests.post(url, headers=leader, json=body, timeout=30)
    assert retry.status_code == 201 and retry.json()["status"] == "done", retry.text
    assert payment(running, code)["refunded_vnd"] == 100000
    assert running.sandbox.transactions[txn_ref]["refunded"] == 100000 * 100
    assert [r["status"] for r in payment(running, code)["refunds"]] == ["failed", "done"]

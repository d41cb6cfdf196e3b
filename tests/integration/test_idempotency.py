"""Idempotency-Key over HTTP on the real platform: a create retried with the same key acts once (the second
answer is 200 with `replayed: true`), a refund is never paid out twice, even when the retries race."""

from __future__ import annotations

import concurrent.futures
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.conftest import wait_for

pytestmark = pytest.mark.integration
LAND = "8a0d5a2e-0000-4000-8000-000000000001"
COMMUNE = "000.31.01.H41"  # decides 2.000488 for an applicant in NB.HL.NT (2-level demo)
CITIZEN = "037090000001"


def _key(label: str) -> dict:
    return {"Idempotency-Key": f"{label}-{uuid.uuid4()}"}


def _fee(running, code: str) -> dict:
    return running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}/payment", headers=running.headers(CITIZEN)
    ).json()


def test_payment_start_and_refunds_retried_with_a_key_act_once(running):
    filed = running.session.post(
        f"{running.base_url}/api/v1/dossiers",
        headers=running.headers(CITIZEN),
        json={
            "procedure_code": "2.000488",
            "applicant": {"id_number": CITIZEN},
            "documents": [{"code": "QSDD", "reuse": LAND}],
        },
    )
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    base = f"{running.base_url}/api/v1/dossiers/{code}"
    running.receive(code)  # the fee is assessed once the dossier is received
    wait_for(
        lambda: running.session.get(f"{base}/payment", headers=running.headers(CITIZEN)).status_code == 200,
        30,
        message="fee assessed",
    )

    # The citizen's browser retries "pay": the same attempt and URL, not a second one.
    citizen = {**running.headers(CITIZEN), **_key("pay")}
    started = running.session.post(f"{base}/payment", headers=citizen)
    again = running.session.post(f"{base}/payment", headers=citizen)
    assert started.status_code == 201 and again.status_code == 200, again.text
    assert again.json() == {**started.json(), "replayed": True}
    assert requests.get(started.json()["payment_url"], timeout=10).status_code == 200  # the gateway's page
    sandbox = started.json()["payment_url"].split("/paymentv2")[0]
    assert (
        requests.post(
            f"{sandbox}/sandbox/decide",
            allow_redirects=False,
            timeout=10,
            data={"txn_ref": started.json()["txn_ref"], "decision": "pay"},
        ).status_code
        == 302
    )
    wait_for(lambda: _fee(running, code)["status"] == "paid", 30, message="paid")

    leader = running.headers("leader-1", "officer", unit=COMMUNE, roles=["leader"])
    body = {"amount_vnd": 40000, "reason": "Nộp nhầm thủ tục"}
    headers = {**leader, **_key("refund")}
    first = running.session.post(f"{base}/refunds", headers=headers, json=body)
    retry = running.session.post(f"{base}/refunds", headers=headers, json=body)
    assert first.status_code == 201 and retry.status_code == 200, retry.text
    assert retry.json() == {**first.json(), "replayed": True}
    assert _fee(running, code)["refunded_vnd"] == 40000
    reused = running.session.post(f"{base}/refunds", headers=headers, json={**body, "amount_vnd": 50000})
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"
    assert _fee(running, code)["refunded_vnd"] == 40000

    # Five retries of one refund at once: one refund, the others its answer or "still in progress".
    racing = {**leader, **_key("refund-race")}
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(
            pool.map(
                lambda _: requests.post(
                    f"{base}/refunds",
                    headers=racing,
                    timeout=30,
                    json={"amount_vnd": 30000, "reason": "Hoàn phần còn lại"},
                ),
                range(5),
            )
        )
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {200, 201, 409}, [r.text for r in answers]
    assert all(r.json()["code"] == "refund_in_progress" for r in answers if r.status_code == 409)
    assert _fee(running, code)["refunded_vnd"] == 70000


def test_consents_subscriptions_drafts_and_uploads_retried_with_a_key_are_created_once(running):
    api = f"{running.base_url}/api/v1"
    citizen = {**running.headers(CITIZEN), **_key("consent")}
    consent = {
        "agency_code": "000.00.98.H41",
        "category": "contact",
        "purpose": "verification",
        "valid_until": (datetime.now(timezone.utc) + timedelta(days=30)).isoformat(),
    }
    answers = [running.session.post(f"{api}/me/consents", headers=citizen, json=consent) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200] and answers[1].json()["replayed"] is True
    granted = running.session.get(f"{api}/me/consents", headers=citizen).json()["items"]
    assert [c["id"] for c in granted if c["agency_code"] == "000.00.98.H41"] == [answers[0].json()["id"]]

    agency = {**running.headers("agency-1", "agency", unit="000.00.15.H41"), **_key("subscription")}
    hook = {"url": f"http://127.0.0.1:9/hook/{uuid.uuid4()}"}
    answers = [running.session.post(f"{api}/subscriptions", headers=agency, json=hook) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200], answers[1].text
    assert answers[1].json()["secret"] == answers[0].json()["secret"]
    listed = running.session.get(f"{api}/subscriptions", headers=agency).json()["items"]
    assert [s["id"] for s in listed if s["url"] == hook["url"]] == [answers[0].json()["id"]]

    drafts = {**running.headers(CITIZEN), **_key("draft")}
    marker = {"procedure_code": "1.000656", "note": str(uuid.uuid4())}
    answers = [running.session.post(f"{api}/drafts", headers=drafts, json=marker) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200] and answers[1].json()["id"] == answers[0].json()[
        "id"
    ]
    saved = [d["id"] for d in running.session.get(f"{api}/drafts", headers=drafts).json()["items"]]
    assert saved.count(answers[0].json()["id"]) == 1

    uploads = {**running.headers(CITIZEN), **_key("upload"), "Content-Type": "application/pdf"}
    files_before = sum(1 for p in running.file_store.rglob("*") if p.is_file())
    content = b"%PDF-1.4\n% idempotency " + uuid.uuid4().hex.encode() + b"\n"
    answers = [running.session.post(f"{api}/uploads", headers=uploads, data=content) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200], answers[1].text
    assert answers[1].json() == {**answers[0].json(), "replayed": True}
    assert sum(1 for p in running.file_store.rglob("*") if p.is_file()) == files_before + 1  # no second copy
    other = running.session.post(f"{api}/uploads", headers=uploads, data=content + b"%")
    assert (
        other.status_code == 409
        and sum(1 for p in running.file_store.rglob("*") if p.is_file()) == files_before + 1
    )

"""One dossier through all the services on the real broker, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import create_engine, func, select, text

from services.intake.adapters import storage as intake_storage
from tests.conftest import wait_for

pytestmark = pytest.mark.integration


def test_procedures_are_public_and_listed(running):
    response = running.session.get(f"{running.base_url}/api/v1/procedures")
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) >= 3
    assert all(item["name"]["vi"] and isinstance(item["fee_vnd"], int) for item in items)


def test_a_dossier_gets_a_code_waits_for_receipt_is_received_by_an_officer_and_the_citizen_gets_an_email(
    running,
):
    response = running.submit("1.000656", "037090000001")
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    assert response.headers["Location"] == f"/api/v1/dossiers/{code}"
    assert code.startswith("000.00.07.H41-")
    headers = running.headers("037090000001")
    url = f"{running.base_url}/api/v1/dossiers/{code}"

    # Filed online, it waits in the competent unit's receipt queue: nothing received, no clock, no receipt e-mail.
    waiting = wait_for(
        lambda: (body := running.session.get(url, headers=headers).json())["case"] and body,
        30,
        message="case opened",
    )
    assert waiting["status"] == "submitted" and waiting["case"]["status_label"]["vi"] == "Chờ tiếp nhận"
    assert waiting["case"]["received_at"] is None and waiting["case"]["due_at"] is None
    assert waiting["case"]["receipt_due_at"] and waiting["case"]["receipt_overdue"] is False
    queue = running.session.get(
        f"{running.base_url}/api/v1/queue?status=submitted",
        headers=running.headers("receiver-1", "officer", unit="000.00.07.H41", roles=["receiver"]),
    ).json()["items"]
    assert code in [i["dossier_code"] for i in queue]
    assert not [m for m in running.mails("an.nguyen@example.vn") if code in m["subject"]]

    # A receiving officer of the unit receives it: the legal clock starts at receipt, Form 01 names the officer.
    running.receive(code, name="Trần Thị Bình")
    dossier = running.session.get(url, headers=headers).json()
    case = dossier["case"]
    assert dossier["status"] == "received" and case["agency_code"] == "000.00.07.H41"
    assert case["received_at"] > case["submitted_at"] and case["due_at"]
    assert case["due_explanation"]["received_at"][:19] == _local_iso(case["received_at"])[:19]
    assert [h["action"] for h in dossier["history"]] == ["submit", "receive"]
    assert dossier["history"][1]["actor"] == "receiver-1"
    form = running.session.get(f"{url}/forms/01", headers=headers)
    assert form.status_code == 200 and "Người tiếp nhận: Trần Thị Bình" in form.text

    mail = wait_for(
        lambda: [m for m in running.mails("an.nguyen@example.vn") if code in m["subject"]],
        30,
        message="receipt e-mail",
    )
    assert "đã được tiếp nhận" in mail[0]["subject"]
    assert "Kính gửi Nguyễn Văn An" in mail[0]["text"]

    notes = wait_for(
        lambda: running.session.get(f"{running.base_url}/api/v1/dossiers/{code}", headers=headers).json()[
            "notifications"
        ],
        10,
        message="notification on the timeline",
    )
    assert [n["status"] for n in notes if n["channel"] == "email"] == ["sent"]


def _local_iso(utc: str) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return (
        datetime.fromisoformat(utc.replace("Z", "+00:00"))
        .astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        .isoformat()
    )


def test_citizens_see_only_their_own_dossiers_and_strangers_see_nothing(running):
    birth_certificate = "8a0d5a2e-0000-4000-8000-000000000002"  # demo: held by 037185000002
    response = running.submit(
        "1.001193", "037185000002", documents=[{"code": "GCS", "reuse": birth_certificate}]
    )
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    url = f"{running.base_url}/api/v1/dossiers/{code}"
    assert running.session.get(url, headers=running.headers("037185000002")).status_code == 200
    other = running.session.get(url, headers=running.headers("037090000001"))
    assert other.status_code == 404 and other.headers["Content-Type"] == "application/problem+json"
    anonymous = running.session.get(url)
    assert anonymous.status_code == 401 and anonymous.headers["Content-Type"] == "application/problem+json"
    officer_elsewhere = running.session.get(
        url, headers=running.headers("officer-1", "officer", unit="000.00.07.H41", roles=["receiver"])
    )
    assert officer_elsewhere.status_code == 404


def _counts(running) -> tuple[int, int]:
    engine = create_engine(running.db_url("intake"))
    with engine.connect() as conn:
        dossiers = conn.execute(select(func.count()).select_from(intake_storage.dossiers)).scalar_one()
        outbox = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    engine.dispose()
    return dossiers, outbox


@pytest.mark.parametrize(
    "case",
    [
        "malformed_json",
        "not_an_object",
        "unknown_procedure",
        "invalid_id_number",
        "missing_fields",
        "unknown_field",
        "no_token",
        "bad_token",
        "wrong_type",
    ],
)
def test_bad_input_gets_problem_json_and_stores_nothing(running, case):
    url = f"{running.base_url}/api/v1/dossiers"
    headers = {**running.headers("037090000001"), "Content-Type": "application/json"}
    good = {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}
    before = _counts(running)
    if case == "malformed_json":
        response = running.session.post(url, headers=headers, data=b'{"procedure_code": "1.0006')
        expected = 400
    elif case == "not_an_object":
        response = running.session.post(url, headers=headers, data=b'["a"]')
        expected = 400
    elif case == "unknown_procedure":
        response = running.session.post(
            url, headers=headers, data=json.dumps({**good, "procedure_code": "9.999999"})
        )
        expected = 422
    elif case == "invalid_id_number":
        # A 12-digit number whose province code does not exist, filed by its (token) owner.
        response = running.session.post(
            url,
            headers={**running.headers("999090000001"), "Content-Type": "application/json"},
            data=json.dumps({**good, "applicant": {"id_number": "999090000001"}}),
        )
        expected = 422
    elif case == "missing_fields":
        response = running.session.post(url, headers=headers, data=json.dumps({"procedure_code": "1.000656"}))
        expected = 422
    elif case == "unknown_field":
        response = running.session.post(url, headers=headers, data=json.dumps({**good, "is_admin": True}))
        expected = 422
    elif case == "no_token":
        response = running.session.post(url, json=good)
        expected = 401
    elif case == "bad_token":
        response = running.session.post(url, json=good, headers={"Authorization": "Bearer not.a.token"})
        expected = 401
    else:
        response = running.session.post(url, headers={**headers, "Content-Type": "text/plain"}, data="hello")
        expected = 415
    assert response.status_code == expected, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == expected and problem["code"] and problem["title"]
    assert _counts(running) == before


def test_health_readiness_and_metrics_on_every_port(running):
    running.receive(running.submit().json()["code"])  # so that a province-level receipt is counted
    assert running.session.get(f"{running.base_url}/healthz").json() == {"status": "ok"}
    ready = running.session.get(f"{running.base_url}/readyz").json()
    assert ready["status"] == "ok" and set(ready["checks"]) >= {"broker", "intake", "workflow", "registry"}
    for name in ("gateway", "intake", "workflow", "payment", "notify", "registry"):
        port = running.platform.metrics_port(name)
        metrics = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "motcua_handler_duration_seconds" in metrics, name
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200
    gateway = _samples(running, "gateway", "motcua_gateway_http_request_duration_seconds_count")
    assert any(
        s.labels["method"] == "POST" and s.labels["route"] == "/api/v1/dossiers" and s.value >= 1
        for s in gateway
    ), gateway
    workflow = _samples(running, "workflow", "motcua_workflow_dossier_transitions_total")
    assert any(s.labels == {"status": "received", "level": "province"} and s.value >= 1 for s in workflow), (
        workflow
    )


def test_promtool_check_metrics_is_clean_on_every_service(running):
    import subprocess

    for name in ("gateway", "intake", "workflow", "payment", "notify", "registry"):
        body = requests.get(f"http://127.0.0.1:{running.platform.metrics_port(name)}/metrics", timeout=5).text
        result = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip() and not result.stderr.strip(), (
            name,
            result.stdout,
            result.stderr,
        )


def _samples(running, service: str, name: str):
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"http://127.0.0.1:{running.platform.metrics_port(service)}/metrics", timeout=5).text
    return [s for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]


def test_anyone_with_the_code_sees_the_status_and_nothing_personal(running):
    code = running.submit("1.000656", "037090000001").json()["code"]
    running.receive(code)
    url = f"{running.base_url}/api/v1/status/{code}"
    info = wait_for(
        lambda: (r := running.session.get(url)).status_code == 200 and r.json().get("due_at") and r.json(),
        30,
        message="status with its due date, without a token",
    )
    assert info["status"] == "received" and info["agency"]["code"] == "000.00.07.H41"
    text = running.session.get(url).text + running.session.get(f"{running.base_url}/tra-cuu/{code}").text
    for personal in ("037090000001", "Nguyễn Văn An", "an.nguyen@example.vn", "0912345601", "applicant"):
        assert personal not in text
    page = running.session.get(f"{running.base_url}/tra-cuu/{code}")
    assert page.status_code == 200 and 'lang="vi"' in page.text and code in page.text
    missing = running.session.get(f"{running.base_url}/api/v1/status/000.00.07.H41-991231-9999")
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"
    assert running.session.get(f"{running.base_url}/tra-cuu/KHONG-CO").status_code == 404


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "QUERY", "DELETE"])
def test_other_methods_get_a_problem_with_the_allow_header_of_the_openapi_document(running, method):
    document = running.session.get(f"{running.base_url}/api/v1/openapi.json").json()
    for path, concrete in [
        ("/api/v1/dossiers", "/api/v1/dossiers"),
        ("/api/v1/procedures", "/api/v1/procedures"),
    ]:
        declared = sorted(m.upper() for m in document["paths"][path])
        if method in declared:
            continue
        response = running.session.request(method, f"{running.base_url}{concrete}", headers=running.headers())
        assert response.status_code == 405, (method, path, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "method_not_allowed"
        assert sorted(m.strip() for m in response.headers["Allow"].split(",")) == declared
    unknown = running.session.request(
        method, f"{running.base_url}/api/v1/khong-co", headers=running.headers()
    )
    assert unknown.status_code == 404 and unknown.headers["Content-Type"] == "application/problem+json"
    assert unknown.json()["code"] == "route_not_found"

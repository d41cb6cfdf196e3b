"""Officer actions through the gateway's API, on the real services: a dossier from receipt to result."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.conftest import wait_for

pytestmark = pytest.mark.integration
JUSTICE = "000.00.07.H41"


def officer(running, role: str, unit: str = JUSTICE) -> dict:
    return running.headers(f"{role}-1", "officer", unit=unit, roles=[role])


def test_openapi_document_is_valid_and_lists_officer_actions(running):
    document = running.session.get(f"{running.base_url}/api/v1/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert "post" in document["paths"]["/api/v1/dossiers/{code}/actions"]
    assert document["paths"]["/api/v1/dossiers/{code}/actions"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/api/v1/procedures"]["get"]


def test_a_dossier_from_receipt_to_result_through_the_api(running):
    code = running.submit("1.000656", "037090000001").json()["code"]
    base = f"{running.base_url}/api/v1/dossiers/{code}"
    running.receive(code)

    def act(role, action, unit=JUSTICE, key=None, **body):
        headers = {**officer(running, role, unit), **({"Idempotency-Key": key} if key else {})}
        return running.session.post(f"{base}/actions", headers=headers, json={"action": action, **body})

    citizen_try = running.session.post(
        f"{base}/actions", headers=running.headers(), json={"action": "approve"}
    )
    assert citizen_try.status_code == 403 and citizen_try.json()["code"] == "role_not_allowed"
    elsewhere = act("leader", "assign", unit="000.31.01.H41", params={"assignee": "handler-1"})
    assert elsewhere.status_code in (403, 404)
    assert act("leader", "assign", params={"assignee": "handler-1"}).status_code == 200
    assert act("handler", "process_step", reason="Đã thẩm định").status_code == 200
    refused = act("leader", "reject")
    assert refused.status_code == 422 and refused.json()["code"] == "reason_required"
    assert act("leader", "approve").status_code == 200
    assert act("handler", "result_ready").status_code == 200
    first = act("receiver", "return_result", key="return-0001-key")
    again = act("receiver", "return_result", key="return-0001-key")
    assert first.status_code == 200 and again.status_code == 200 and again.json()["replayed"] is True
    view = running.session.get(base, headers=running.headers()).json()
    assert view["status"] == "returned" and view["case"]["outcome"] in ("early", "on_time")
    assert [h["action"] for h in view["history"]].count("return_result") == 1

    rating = running.session.post(f"{base}/rating", headers=running.headers(), json={"score": 5})
    assert rating.status_code == 200
    sheet = running.session.get(f"{base}/forms/06", headers=officer(running, "receiver"))
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/html")
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in sheet.text
    receipt = running.session.get(f"{base}/forms/01", headers=running.headers())
    assert receipt.status_code == 200 and code in receipt.text
    stats = running.session.get(
        f"{running.base_url}/api/v1/statistics",
        params={"level": "province"},
        headers=officer(running, "leader"),
    ).json()
    assert stats["finished"] >= 1 and stats["satisfaction_average"] is not None


def test_officer_queue_and_citizen_cannot_read_it(running):
    code = running.submit("1.000656", "037185000002").json()["code"]
    wait_for(
        lambda: any(
            i["dossier_code"] == code
            for i in running.session.get(
                f"{running.base_url}/api/v1/queue", headers=officer(running, "receiver")
            ).json()["items"]
        ),
        30,
        message="dossier in the unit's queue",
    )
    page = running.session.get(
        f"{running.base_url}/api/v1/queue", params={"limit": 1}, headers=officer(running, "receiver")
    ).json()
    assert len(page["items"]) == 1
    if page["next"]:
        second = running.session.get(
            f"{running.base_url}/api/v1/queue",
            params={"limit": 1, "cursor": page["next"]},
            headers=officer(running, "receiver"),
        ).json()
        assert second["items"] and second["items"][0]["dossier_code"] != page["items"][0]["dossier_code"]
    denied = running.session.get(f"{running.base_url}/api/v1/queue", headers=running.headers())
    assert denied.status_code == 403 and denied.headers["Content-Type"] == "application/problem+json"


def test_the_catalogue_api_and_page_search_in_vietnamese_with_or_without_diacritics(running):
    def search(**query):
        return running.session.get(f"{running.base_url}/api/v1/procedures", params=query)

    every = search().json()
    assert len(every["items"]) == every["total"] >= 5
    for query, code in [
        ("khai sinh", "1.001193"),
        ("xay dung", "1.004227"),
        ("xây dựng", "1.004227"),
        ("dang ky khai sinh", "1.001193"),
        ("đăng ký khai sinh", "1.001193"),
        ("001193", "1.001193"),
    ]:
        found = search(q=query).json()
        assert [p["code"] for p in found["items"]] == [code], query
        assert found["total"] == every["total"]
    assert [p["code"] for p in search(level="province").json()["items"]] == ["1.000656"]
    assert [p["code"] for p in search(field="ho tich", online="full").json()["items"]] == ["1.001193"]
    for query, code in [
        ({"level": "district"}, "unknown_level"),
        ({"online": "yes"}, "unknown_online_mode"),
        ({"field": "Thuế"}, "unknown_field"),
        ({"search": "x"}, "unknown_parameter"),
    ]:
        refused = search(**query)
        assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
        assert refused.json()["code"] == code
    document = running.session.get(f"{running.base_url}/api/v1/openapi.json").json()
    params = {p["name"]: p for p in document["paths"]["/api/v1/procedures"]["get"]["parameters"]}
    assert set(params) == {"q", "level", "field", "online"} and params["online"]["schema"]["enum"] == [
        "full",
        "partial",
    ]
    assert "xay dung" in params["q"]["description"]
    stats = {p["name"] for p in document["paths"]["/api/v1/statistics"]["get"]["parameters"]}
    assert stats == {"unit", "agency", "level", "procedure_code", "period", "date_from", "date_to"}
    # The public catalogue page: the same search without diacritics.
    page = running.session.get(f"{running.base_url}/", params={"q": "xay dung"})
    assert page.status_code == 200 and "Cấp giấy phép xây dựng nhà ở riêng lẻ" in page.text
    assert "Đăng ký khai sinh" not in page.text

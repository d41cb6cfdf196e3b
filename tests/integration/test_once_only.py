"""Once-only: documents the state holds are reused, uploads are checked, codes stay unique under load, personal
data is read only with consent (and every read is visible to the citizen)."""

from __future__ import annotations

import concurrent.futures
import re
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from tests.conftest import wait_for

pytestmark = pytest.mark.integration
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LAND = "8a0d5a2e-0000-4000-8000-000000000001"  # demo: 037090000001's land use right certificate


def _metric(running, service, name, labels) -> float:
    body = requests.get(f"http://127.0.0.1:{running.platform.metrics_port(service)}/metrics", timeout=5).text
    return sum(
        s.value
        for f in text_string_to_metric_families(body)
        for s in f.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )


def _files(running) -> list[Path]:
    root = Path(running.file_store)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_documents_the_registry_holds_are_reused_and_nothing_is_uploaded(running):
    headers = running.headers("037090000001")
    prefill = running.session.get(
        f"{running.base_url}/api/v1/procedures/2.000488/prefill", headers=headers
    ).json()
    assert prefill["applicant"]["full_name"] == "Nguyễn Văn An"  # pre-filled, never typed
    [land] = [d for d in prefill["documents"] if d["code"] == "QSDD"]
    assert [r["id"] for r in land["reusable"]] == [LAND]
    before = _metric(running, "intake", "motcua_intake_documents_total", {"source": "reused"})
    files_before = len(_files(running))
    response = running.session.post(
        f"{running.base_url}/api/v1/dossiers",
        headers=headers,
        json={
            "procedure_code": "2.000488",
            "applicant": {"id_number": "037090000001"},
            "form": {"ten_ho_kinh_doanh": "Tạp hoá An"},
            "documents": [{"code": "QSDD", "reuse": LAND}],
        },
    )
    assert response.status_code == 201, response.text
    assert {d["code"]: d["source"] for d in response.json()["documents"]} == {"GDN": "form", "QSDD": "reused"}
    assert len(_files(running)) == files_before
    assert _metric(running, "intake", "motcua_intake_documents_total", {"source": "reused"}) == before + 1
    assert _metric(running, "intake", "motcua_intake_document_reuse_ratio", {}) > 0
    engine = create_engine(running.db_url("intake"))
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT source, registry_document_id FROM dossier_documents "
                "WHERE dossier_code = :c AND requirement_code = 'QSDD'"
            ),
            {"c": response.json()["code"]},
        ).one()
    engine.dispose()
    assert tuple(row) == ("reused", LAND)


def test_missing_documents_are_named_and_nothing_is_stored(running):
    response = running.session.post(
        f"{running.base_url}/api/v1/dossiers",
        headers=running.headers("037090000001"),
        json={
            "procedure_code": "1.004227",
            "applicant": {"id_number": "037090000001"},
            "documents": [{"code": "QSDD", "reuse": LAND}],
        },
    )
    assert response.status_code == 422 and response.headers["Content-Type"] == "application/problem+json"
    assert set(response.json()["errors"]["documents"]) == {"BVTK"}


def _upload(running, data: bytes, content_type: str, who="037090000001"):
    return running.session.post(
        f"{running.base_url}/api/v1/uploads",
        data=data,
        headers={**running.headers(who), "Content-Type": content_type, "X-File-Name": "ban-ve.pdf"},
    )


def test_a_checked_upload_completes_a_dossier(running):
    uploaded = _upload(running, PDF, "application/pdf")
    assert uploaded.status_code == 201, uploaded.text
    upload_id = uploaded.json()["id"]
    response = running.session.post(
        f"{running.base_url}/api/v1/dossiers",
        headers=running.headers("037090000001"),
        json={
            "procedure_code": "1.004227",
            "applicant": {"id_number": "037090000001"},
            "documents": [{"code": "QSDD", "reuse": LAND}, {"code": "BVTK", "upload": upload_id}],
        },
    )
    assert response.status_code == 201, response.text
    assert {d["code"]: d["source"] for d in response.json()["documents"]}["BVTK"] == "uploaded"
    # An upload serves one dossier, and only its owner's.
    again = running.session.post(
        f"{running.base_url}/api/v1/dossiers",
        headers=running.headers("037090000001"),
        json={
            "procedure_code": "1.004227",
            "applicant": {"id_number": "037090000001"},
            "documents": [{"code": "QSDD", "reuse": LAND}, {"code": "BVTK", "upload": upload_id}],
        },
    )
    assert again.status_code == 422


@pytest.mark.parametrize(
    "case,data,content_type,status",
    [
        ("oversized", b"%PDF-" + b"0" * (300 * 1024), "application/pdf", 413),
        ("wrong_type", b"hello, plain text", "text/plain", 415),
        ("disguised_html_as_pdf", b"<html><script>alert(1)</script></html>", "application/pdf", 422),
        ("png_claiming_pdf", PNG, "application/pdf", 422),
        ("exe_as_jpeg", b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg", 422),
        ("empty", b"", "application/pdf", 422),
    ],
)
def test_bad_uploads_are_refused_and_leave_nothing_on_disk(running, case, data, content_type, status):
    before = set(_files(running))
    response = _upload(running, data, content_type)
    assert response.status_code == status, (case, response.text)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert set(_files(running)) == before


def test_fifty_concurrent_submissions_get_distinct_consecutive_codes(running):
    headers = running.headers("037185000002")
    url = f"{running.base_url}/api/v1/dossiers"
    body = {"procedure_code": "1.000656", "applicant": {"id_number": "037185000002"}}

    def submit(_):
        return requests.post(url, headers=headers, json=body, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(submit, range(50)))
    assert [r.status_code for r in responses] == [201] * 50, [
        r.text for r in responses if r.status_code != 201
    ]
    codes = [r.json()["code"] for r in responses]
    assert len(set(codes)) == 50
    numbers = sorted(int(re.match(r".*-(\d{4,})$", c).group(1)) for c in codes)
    assert numbers == list(range(numbers[0], numbers[0] + 50)), numbers
    print(f"backend={running.backend} codes {codes[0].rsplit('-', 1)[0]}-{numbers[0]:04d}..{numbers[-1]:04d}")


def test_idempotency_key_returns_the_same_dossier(running):
    headers = {**running.headers("037185000002"), "Idempotency-Key": "retry-after-timeout-0001"}
    body = {"procedure_code": "1.000656", "applicant": {"id_number": "037185000002"}}
    first = running.session.post(f"{running.base_url}/api/v1/dossiers", headers=headers, json=body)
    second = running.session.post(f"{running.base_url}/api/v1/dossiers", headers=headers, json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["code"] == second.json()["code"]
    other = running.session.post(
        f"{running.base_url}/api/v1/dossiers", headers=headers, json={**body, "form": {"x": "khác"}}
    )
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_agency_reads_personal_data_only_with_consent_and_the_citizen_sees_every_read(running):
    agency = running.headers("svc-tu-phap", "agency", unit="000.00.07.H41")
    url = f"{running.base_url}/api/v1/registry/persons/001178000004"
    params = {"category": "identity", "purpose": "verification", "dossier_code": "000.00.07.H41-261122-0009"}
    refused = running.session.get(url, headers=agency, params=params)
    assert refused.status_code == 403 and refused.json()["code"] == "no_consent"
    # An ID number the registry does not hold gets the very same answer: no existence oracle for agencies.
    unknown = running.session.get(
        f"{running.base_url}/api/v1/registry/persons/001178999990", headers=agency, params=params
    )
    assert (unknown.status_code, unknown.json()) == (refused.status_code, refused.json())
    citizen = running.headers("001178000004")
    granted = running.session.post(
        f"{running.base_url}/api/v1/me/consents",
        headers=citizen,
        json={
            "agency_code": "000.00.07.H41",
            "category": "identity",
            "purpose": "verification",
            "valid_until": "2030-01-01T00:00:00+07:00",
        },
    )
    assert granted.status_code == 201, granted.text
    allowed = running.session.get(url, headers=agency, params=params)
    assert allowed.status_code == 200 and allowed.json()["full_name"] == "Phạm Thu Dung"
    assert "email" not in allowed.json()  # only the consented category
    other_purpose = running.session.get(url, headers=agency, params={**params, "purpose": "statistics"})
    assert other_purpose.status_code == 403
    log = running.session.get(f"{running.base_url}/api/v1/me/access-log", headers=citizen).json()["items"]
    by_agency = [(e["purpose"], e["allowed"]) for e in log if e["requester"] == "000.00.07.H41"]
    assert ("verification", False) in by_agency and ("verification", True) in by_agency
    assert ("statistics", False) in by_agency
    running.session.delete(f"{running.base_url}/api/v1/me/consents/{granted.json()['id']}", headers=citizen)
    assert running.session.get(url, headers=agency, params=params).status_code == 403


def test_a_returned_result_is_stored_back_for_reuse(running):
    code = running.submit("1.000656", "037201000003").json()["code"]
    base = f"{running.base_url}/api/v1/dossiers/{code}"
    running.receive(code)
    for role, action, extra in [
        ("leader", "assign", {"params": {"assignee": "h"}}),
        ("leader", "approve", {}),
        ("handler", "result_ready", {}),
        ("receiver", "return_result", {}),
    ]:
        r = running.session.post(
            f"{base}/actions",
            json={"action": action, **extra},
            headers=running.headers(f"{role}-1", "officer", unit="000.00.07.H41", roles=[role]),
        )
        assert r.status_code == 200, r.text
    engine = create_engine(running.db_url("registry"))

    def stored():
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT doc_type, provenance, status FROM documents WHERE source_dossier_code = :c"),
                {"c": code},
            ).first()

    row = wait_for(stored, 30, message="result in the registry")
    engine.dispose()
    assert tuple(row) == ("LLTP", "issued", "valid")

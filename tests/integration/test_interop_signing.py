"""Signed results on the real platform: returning a result signs it (PAdES, dev CA), anyone verifies it through
the public API, one changed byte fails verification, and a revoked result shows revoked."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import wait_for

pytestmark = pytest.mark.integration
JUSTICE = "000.00.07.H41"


def officer(running, role: str, unit: str = JUSTICE) -> dict:
    return running.headers(f"{role}-1", "officer", unit=unit, roles=[role])


def _signed_row(running, dossier_code: str):
    engine = create_engine(running.db_url("workflow"))
    try:
        with engine.connect() as conn:
            return (
                conn.execute(
                    text(
                        "SELECT verification_code, status, sha256 FROM result_documents "
                        "WHERE dossier_code = :c"
                    ),
                    {"c": dossier_code},
                )
                .mappings()
                .first()
            )
    finally:
        engine.dispose()


def _returned_dossier(running) -> str:
    code = running.submit("1.000656", "037090000001").json()["code"]
    base = f"{running.base_url}/api/v1/dossiers/{code}"
    running.receive(code)
    steps = (
        ("leader", "assign", {"params": {"assignee": "handler-1"}}),
        ("handler", "process_step", {"reason": "Đã thẩm định"}),
        ("leader", "approve", {}),
        ("handler", "result_ready", {}),
        ("receiver", "return_result", {}),
    )
    for role, action, extra in steps:
        response = running.session.post(
            f"{base}/actions", headers=officer(running, role), json={"action": action, **extra}
        )
        assert response.status_code == 200, response.text
    return code


def test_a_returned_result_is_signed_verifiable_tamper_evident_and_revocable(running):
    dossier = _returned_dossier(running)
    row = wait_for(
        lambda: (r := _signed_row(running, dossier)) is not None and r["status"] == "signed" and r,
        30,
        message="result signed",
    )
    code = row["verification_code"]
    pdf = (running.file_store / "results" / f"{code}.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    api = f"{running.base_url}/api/v1/verifications"

    facts = running.session.get(f"{api}/{code}")  # public: no token
    assert facts.status_code == 200
    facts = facts.json()
    assert facts["dossier_code"] == dossier and facts["title"] == "Phiếu lý lịch tư pháp"
    assert "NOT FOR PRODUCTION" in facts["signer"] and facts["signed_at"] and facts["revoked"] is False
    assert "037090000001" not in running.session.get(f"{api}/{code}").text
    page = running.session.get(f"{running.base_url}/verify/{code}")
    assert page.status_code == 200 and "CÒN HIỆU LỰC" in page.text and dossier in page.text

    good = running.session.post(api, data=pdf, headers={"Content-Type": "application/pdf"}).json()
    assert good["valid"] is True and good["intact"] and good["trusted"] and good["known"]
    assert good["verification_code"] == code and good["document"]["sha256"] == row["sha256"]

    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x01  # one byte inside the signed range
    bad = running.session.post(api, data=bytes(tampered), headers={"Content-Type": "application/pdf"}).json()
    assert bad["valid"] is False and bad["intact"] is False and bad["known"] is False

    not_pdf = running.session.post(api, data=b"{}", headers={"Content-Type": "application/json"})
    assert not_pdf.status_code == 400 and not_pdf.headers["Content-Type"].startswith(
        "application/problem+json"
    )

    revoke_url = f"{api}/{code}/revocation"
    assert running.session.post(revoke_url, json={"reason": "x"}).status_code == 401
    assert (
        running.session.post(
            revoke_url, headers=officer(running, "handler"), json={"reason": "Cấp nhầm"}
        ).status_code
        == 403
    )
    assert (
        running.session.post(
            revoke_url, headers=officer(running, "leader", "000.31.01.H41"), json={"reason": "Cấp nhầm"}
        ).status_code
        == 403
    )
    revoked = running.session.post(
        revoke_url, headers=officer(running, "leader"), json={"reason": "Cấp nhầm"}
    )
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    after = running.session.post(api, data=pdf, headers={"Content-Type": "application/pdf"}).json()
    assert after["valid"] is False and after["intact"] is True and after["revoked"] is True
    assert running.session.get(f"{api}/{code}").json()["revoked"] is True
    assert "THU HỒI" in running.session.get(f"{running.base_url}/verify/{code}").text
    assert running.session.get(f"{api}/NOSUCHCODE").status_code == 404

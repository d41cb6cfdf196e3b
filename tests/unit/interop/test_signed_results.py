"""Signed results with worker_factory and the real signer (pyHanko, a dev CA made in tmp_path): returning a
result signs it; the verification RPCs see it intact, see one changed byte, and see a revocation; a signer that
fails leaves the result pending (nothing issued, nothing lost) until the retry timer signs it."""

import base64
import json
import uuid

import pytest
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.testing.services import worker_factory

from devtools.dev_ca import ensure_dev_ca
from services.chassis.errors import Forbidden, NotFound
from services.chassis.events import build_event, parse_event
from services.workflow.adapters import signing, storage
from services.workflow.adapters.portal import PortalSync
from services.workflow.service import Catalogue, WorkflowService
from tests.support import FakeDatabase

JUSTICE = "000.00.07.H41"


def _provider(cls):
    provider = cls()
    provider.setup()
    return provider


@pytest.fixture
def ca(tmp_path, monkeypatch):
    for key, value in ensure_dev_ca(tmp_path / "ca").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FILE_STORE_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("PUBLIC_URL", "https://dichvucong.example.vn")
    monkeypatch.delenv("PORTAL_SYNC_URL", raising=False)
    return tmp_path


def _workflow():
    return worker_factory(
        WorkflowService,
        db=FakeDatabase(storage.metadata, handler="workflow.on_dossier_submitted"),
        catalogue=_provider(Catalogue),
        signing=_provider(signing.ResultSigning),
        portal=_provider(PortalSync),
    )


def _returned(workflow, code="000.00.07.H41-261122-0001"):
    workflow.on_dossier_submitted(
        parse_event(
            build_event(
                DossierSubmitted,
                {
                    "dossier_code": code,
                    "procedure_code": "1.000656",
                    "procedure_version": 1,
                    "receiving_agency_code": JUSTICE,
                    "applicant_unit_code": "NB.HL.NT",
                    "applicant_ref": "ref-abc",
                    "channel": "online",
                    "submitted_at": "2026-11-20T01:00:00Z",
                },
                source="intake",
                subject=code,
                event_id=str(uuid.uuid4()),
            )
        )
    )
    for role, action, extra in (
        ("receiver", "receive", {}),
        ("leader", "assign", {"params": {"assignee": "handler-1"}}),
        ("handler", "process_step", {"reason": "Đã thẩm định"}),
        ("leader", "approve", {}),
        ("handler", "result_ready", {}),
        ("receiver", "return_result", {}),
    ):
        workflow.act(code, {"action": action, **extra}, _officer(role))
    return code


def _officer(role, unit=JUSTICE):
    return {"subject": f"{role}-1", "kind": "officer", "unit": unit, "roles": [role]}


def _issued(workflow):
    return [
        json.loads(r["envelope"])["data"]
        for r in workflow.db.outbox()
        if r["event_type"] == "motcua.workflow.v1.ResultIssued"
    ]


def test_a_returned_result_is_signed_and_verifiable_and_one_changed_byte_fails(ca):
    workflow = _workflow()
    dossier = _returned(workflow)
    [doc] = workflow.db.rows("result_documents")
    assert doc["status"] == "signed" and doc["dossier_code"] == dossier
    [issued] = _issued(workflow)
    assert (
        issued["document_sha256"] == doc["sha256"] and issued["verification_code"] == doc["verification_code"]
    )
    assert issued["verification_url"] == f"https://dichvucong.example.vn/verify/{doc['verification_code']}"
    pdf = (ca / "files" / "results" / f"{doc['verification_code']}.pdf").read_bytes()
    assert signing.sha256(pdf) == doc["sha256"]

    good = workflow.verify_result(base64.b64encode(pdf).decode())
    assert good["valid"] and good["intact"] and good["trusted"] and good["known"] and not good["revoked"]
    assert "NOT FOR PRODUCTION" in good["signer"] and good["verification_code"] == doc["verification_code"]

    tampered = bytearray(pdf)
    tampered[len(pdf) // 2] ^= 0x20
    bad = workflow.verify_result(base64.b64encode(bytes(tampered)).decode())
    assert not bad["valid"] and not bad["intact"] and not bad["known"]
    garbage = workflow.verify_result(base64.b64encode(b"%PDF-1.7 not really").decode())
    assert not garbage["valid"] and not garbage["intact"]


def test_a_result_signed_by_an_untrusted_certificate_is_not_valid(ca, tmp_path, monkeypatch):
    workflow = _workflow()
    _returned(workflow)
    [doc] = workflow.db.rows("result_documents")
    pdf = (ca / "files" / "results" / f"{doc['verification_code']}.pdf").read_bytes()
    other = ensure_dev_ca(tmp_path / "other-ca")
    monkeypatch.setenv("MOTCUA_SIGNING_TRUST_ROOT", other["MOTCUA_SIGNING_TRUST_ROOT"])
    stranger = _workflow()
    stranger.db = workflow.db
    checked = stranger.verify_result(base64.b64encode(pdf).decode())
    assert checked["intact"] and not checked["trusted"] and not checked["valid"]


def test_revoked_result_shows_revoked_and_only_the_issuing_leader_revokes(ca):
    workflow = _workflow()
    _returned(workflow)
    [doc] = workflow.db.rows("result_documents")
    code = doc["verification_code"]
    with pytest.raises(Forbidden):
        workflow.revoke_result(code, "Cấp nhầm", _officer("handler"))
    with pytest.raises(Forbidden):
        workflow.revoke_result(code, "Cấp nhầm", _officer("leader", "000.31.01.H41"))
    with pytest.raises(NotFound):
        workflow.revoke_result("NOSUCHCODE", "Cấp nhầm", _officer("leader"))
    assert workflow.get_verification(code)["revoked"] is False
    revoked = workflow.revoke_result(code, "Cấp nhầm", _officer("leader"))
    assert revoked["revoked"] and revoked["revoked_reason"] == "Cấp nhầm"
    pdf = (ca / "files" / "results" / f"{code}.pdf").read_bytes()
    checked = workflow.verify_result(base64.b64encode(pdf).decode())
    assert checked["intact"] and checked["revoked"] and not checked["valid"]
    public = workflow.get_verification(code)
    assert public["revoked"] and "ref-abc" not in json.dumps(public)


def test_an_admin_counts_only_for_an_agency_that_exists_and_the_revocation_is_audited(ca):
    workflow = _workflow()
    _returned(workflow)
    [doc] = workflow.db.rows("result_documents")
    code = doc["verification_code"]
    # An `admin` token naming a unit the catalogue does not hold: refused, for revocation and reconciliation.
    with pytest.raises(Forbidden) as refused:
        workflow.revoke_result(code, "Cấp nhầm", _officer("admin", "999.99.99.Z99"))
    assert refused.value.code == "unit_unknown"
    with pytest.raises(Forbidden):
        workflow.portal_reconciliation(_officer("admin", "999.99.99.Z99"))
    assert workflow.get_verification(code)["revoked"] is False
    # An administrator of an existing agency (not the issuer) may revoke; the audit says so.
    revoked = workflow.revoke_result(code, "Cấp nhầm", _officer("admin", "000.31.01.H41"))
    assert revoked["revoked"]
    [entry] = [a for a in workflow.db.rows("audit_log") if a["action"] == "result.revoked"]
    details = json.loads(entry["details"]) if isinstance(entry["details"], str) else entry["details"]
    assert entry["actor"] == "officer:admin-1" and details["as_admin"] is True
    assert details["unit"] == "000.31.01.H41" and details["issuing_agency"] == JUSTICE


def test_a_failing_signer_loses_nothing_and_the_timer_signs_later(ca, monkeypatch):
    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE_FILE", str(ca / "wrong"))
    (ca / "wrong").write_text("not-the-passphrase")
    workflow = _workflow()
    dossier = _returned(workflow)
    [doc] = workflow.db.rows("result_documents")
    assert doc["status"] == "pending" and _issued(workflow) == []
    assert storage.find_case(workflow.db.engine.connect(), dossier)["status"] == "returned"

    workflow.retry_signing()  # still failing: stays pending, one more attempt counted
    [doc] = workflow.db.rows("result_documents")
    assert doc["status"] == "pending" and doc["attempts"] == 1 and _issued(workflow) == []

    monkeypatch.setenv("MOTCUA_SIGNING_PASSPHRASE_FILE", str(ca / "ca" / "passphrase"))
    workflow.signing = _provider(signing.ResultSigning)
    workflow.retry_signing()
    [doc] = workflow.db.rows("result_documents")
    assert doc["status"] == "signed"
    [issued] = _issued(workflow)
    assert issued["document_sha256"] == doc["sha256"] and issued["dossier_code"] == dossier
    workflow.retry_signing()  # nothing pending: nothing issued twice
    assert len(_issued(workflow)) == 1

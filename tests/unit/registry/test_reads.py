"""Registry reads with worker_factory on a real SQLite unit of work: agencies read only with consent (an
unknown person looks the same as no consent), every read lands in the access log and the audit chain, expired
documents are not offered, results become documents once, sign-in samples only in local mode."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.registry.adapters import storage
from services.registry.service import RegistryService
from tests.support import AUDIT_SECRET, FakeDatabase

AN, BINH, NOBODY = "037090000001", "037185000002", "037090999999"
AGENCY = "000.00.15.H41"


def _registry(local: bool = False):
    service = worker_factory(
        RegistryService,
        db=FakeDatabase(storage.metadata),
        settings=SimpleNamespace(applicant_ref_key=AUDIT_SECRET, is_local=local),
    )
    with service.db.unit() as uow:
        for id_number, name in ((AN, "Nguyễn Văn An"), (BINH, "Trần Thị Bình")):
            storage.upsert_person(
                uow.session,
                {
                    "id_number": id_number,
                    "full_name": name,
                    "birth_date": date(1990, 1, 1),
                    "sex": "male",
                    "address_unit_code": "NB.HL.NT",
                    "email": "an@example.vn",
                    "phone": "0912345601",
                    "ref": storage.person_ref(AUDIT_SECRET, id_number),
                },
            )
    return service


@pytest.fixture
def registry():
    return _registry()


def _consent(registry, category: str = "contact", purpose: str = "verification") -> None:
    until = (datetime.now(timezone.utc) + timedelta(days=30)).isoformat()
    registry.grant_consent(
        AN, {"agency_code": AGENCY, "category": category, "purpose": purpose, "valid_until": until}
    )


def _document(registry, doc_type: str, expires_on: str | None) -> str:
    return registry.store_document(
        {
            "owner_id_number": AN,
            "doc_type": doc_type,
            "title": doc_type,
            "issuer": "UBND",
            "issued_on": "2020-01-01",
            "expires_on": expires_on,
            "sha256": "1" * 64,
        }
    )["id"]


def test_an_agency_reads_with_consent_and_only_that_category(registry):
    _consent(registry)
    assert registry.agency_read(AGENCY, AN, "contact", "verification") == {
        "id_number": AN,
        "email": "an@example.vn",
        "phone": "0912345601",
        "language": "vi",
    }
    with pytest.raises(Forbidden):
        registry.agency_read(AGENCY, AN, "identity", "verification")
    with pytest.raises(Forbidden):
        registry.agency_read(AGENCY, AN, "contact", "statistics")
    assert [r["allowed"] for r in registry.access_log(AN)] == [False, False, True]


def test_no_consent_and_an_unknown_person_get_the_same_answer_and_both_are_logged(registry):
    with pytest.raises(Forbidden) as no_consent:
        registry.agency_read(AGENCY, BINH, "contact", "verification")
    with pytest.raises(Forbidden) as unknown:
        registry.agency_read(AGENCY, NOBODY, "contact", "verification")
    assert (no_consent.value.code, no_consent.value.message) == (unknown.value.code, unknown.value.message)
    details = {r["id_number"]: r["detail"] for r in registry.db.rows("access_log")}
    assert details == {BINH: "no consent", NOBODY: "unknown person"}
    assert [e["action"] for e in registry.db.rows("audit_log")] == ["personal_data.read_refused"] * 2


def test_an_agency_read_of_a_bad_category_or_purpose_is_refused_as_invalid(registry):
    with pytest.raises(InvalidInput):
        registry.agency_read(AGENCY, AN, "everything", "verification")
    with pytest.raises(InvalidInput):
        registry.agency_read(AGENCY, AN, "contact", "curiosity")
    assert registry.db.rows("access_log") == []


def test_an_agency_with_consent_to_documents_sees_the_valid_ones(registry):
    _consent(registry, "documents", "dossier_processing")
    valid = _document(registry, "QSDD", None)
    _document(registry, "CMND", "2021-01-01")
    answer = registry.agency_read(AGENCY, AN, "documents", "dossier_processing")
    assert [d["id"] for d in answer["documents"]] == [valid]


def test_expired_documents_are_marked_and_not_offered(registry):
    current = _document(registry, "QSDD", (date.today() + timedelta(days=400)).isoformat())
    old = _document(registry, "QSDD", "2021-01-01")
    assert [d["id"] for d in registry.find_documents(AN, ["QSDD"])] == [current]
    assert {r["id"]: r["status"] for r in registry.db.rows("documents")} == {current: "valid", old: "expired"}
    assert registry.get_document(old, AN)["status"] == "expired"
    with pytest.raises(NotFound):
        registry.get_document(current, BINH)


def test_every_category_get_person_reads_is_logged(registry):
    person = registry.get_person(AN, "intake", "dossier_processing", "X-261207-0001")
    assert person["province_of_birth_code"] == "037" and person["email"] == "an@example.vn"
    assert sorted(r["category"] for r in registry.access_log(AN)) == ["address", "contact", "identity"]


def test_a_result_becomes_a_document_of_its_applicant_once(registry):
    data = SimpleNamespace(
        applicant_ref=storage.person_ref(AUDIT_SECRET, AN),
        result_type="GPXD",
        title="Giấy phép xây dựng",
        issuer_name="UBND",
        dossier_code="X-261207-0001",
        issued_on="2026-12-07",
        expires_on="",
        document_sha256="",
    )
    event = SimpleNamespace(id="event-1", data=data)
    registry.on_result_issued(event)
    registry.on_result_issued(event)
    [row] = registry.db.rows("documents")
    assert (row["owner_id_number"], row["provenance"], row["sha256"]) == (AN, "issued", "0" * 64)
    registry.on_result_issued(
        SimpleNamespace(
            id="event-2", data=SimpleNamespace(applicant_ref="unknown", dossier_code="X-261207-0002")
        )
    )
    assert len(registry.db.rows("documents")) == 1


def test_consents_are_listed_and_revoked_once(registry):
    _consent(registry)
    [consent] = registry.list_consents(AN)
    assert registry.revoke_consent(AN, consent["id"]) == {"id": consent["id"], "revoked": True}
    assert registry.list_consents(AN)[0]["revoked_at"] is not None
    with pytest.raises(NotFound):
        registry.revoke_consent(AN, consent["id"])


def test_sign_in_samples_only_in_local_mode(registry):
    with pytest.raises(Forbidden):
        registry.sign_in_samples()
    assert _registry(local=True).sign_in_samples(1) == [{"id_number": AN, "full_name": "Nguyễn Văn An"}]


def test_tax_codes_are_checked(registry):
    assert registry.check_tax_code("0100109106001") == {"tax_code": "0100109106-001"}
    with pytest.raises(InvalidInput) as refused:
        registry.check_tax_code("0100109107")
    assert refused.value.code == "invalid_tax_code" and refused.value.details == {"reason": "check_digit"}


def test_an_officers_opening_of_a_document_is_in_the_citizens_log_with_their_name(registry):
    reader = {
        "subject": "cb-1",
        "name": "Lê Văn Cường",
        "title": "Chuyên viên",
        "unit": "000.31.01.H41",
        "unit_name": "UBND phường Hoa Lư",
    }
    document = {"code": "BVTK", "name": "Bản vẽ thiết kế xây dựng", "version": "2", "source": "uploaded"}
    assert registry.record_document_read(AN, "D-1", reader, document) == {"logged": True}
    _consent(registry)
    registry.agency_read(AGENCY, AN, "contact", "verification")  # another kind of read: no reader named
    agency, officer = registry.access_log(AN)
    assert "reader" not in agency
    assert officer["requester"] == "officer:cb-1" and officer["dossier_code"] == "D-1"
    assert officer["category"] == "documents" and officer["allowed"] is True
    assert officer["reader"] == reader and officer["document"] == document
    [entry] = [e for e in registry.db.rows("audit_log") if e["actor"] == "officer:cb-1"]
    assert entry["action"] == "personal_data.read" and AN not in str(entry)  # the person as a keyed reference
    with pytest.raises(InvalidInput):
        registry.record_document_read(AN, "D-1", {"name": "no subject"}, document)
    with pytest.raises(InvalidInput):
        registry.record_document_read("123", "D-1", reader, document)

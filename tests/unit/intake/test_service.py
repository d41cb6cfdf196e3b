"""Intake entrypoints with worker_factory: the registry is asked first, the code is formed, the event recorded."""

from datetime import date

import pytest
from nameko.testing.services import worker_factory

from services.chassis.config import Settings
from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from services.chassis.events import exchange_name
from services.intake.adapters import storage
from services.intake.dependencies import RouteCache
from services.intake.domain import codes
from services.intake.service import IntakeService
from tests.support import FakeDatabase

PERSON = {
    "id_number": "037090000001",
    "full_name": "Nguyễn Văn An",
    "address_unit_code": "NB.HL.NT",
    "email": "an@example.vn",
    "phone": "0912345601",
    "language": "vi",
}
ROUTE = {
    "procedure": {"code": "1.000656", "version": 1, "name": {"vi": "Lý lịch tư pháp"}},
    "agency_code": "000.00.07.H41",
    "agency_name": "Sở Tư pháp",
    "level": "province",
    "receiving_agency_code": "000.00.07.H41",
}
CITIZEN = {"subject": "037090000001", "kind": "citizen"}


class _Reply:
    def __init__(self, value):
        self.value = value

    def result(self):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


def intake_worker():
    """A real intake worker on SQLite, its registry and workflow answering PERSON and ROUTE."""
    routes = RouteCache()
    routes.setup()
    service = worker_factory(
        IntakeService, db=FakeDatabase(storage.metadata), settings=Settings(service="intake"), routes=routes
    )
    service.registry.get_person.call_async.side_effect = lambda *a: _Reply(PERSON)
    service.workflow.route.call_async.side_effect = lambda *a: _Reply(ROUTE)
    return service


@pytest.fixture
def intake():
    return intake_worker()


def test_submission_stores_dossier_and_records_event(intake):
    result = intake.submit_dossier(
        {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}, CITIZEN
    )
    assert codes.is_dossier_code(result["code"]) and result["code"].startswith("000.00.07.H41-")
    assert result["code"].endswith("-0001")
    intake.registry.get_person.call_async.assert_called_once_with(
        "037090000001", "intake", "dossier_processing"
    )
    row, contact = intake.db.outbox()
    assert row["event_type"] == "motcua.intake.v1.DossierSubmitted" and row["subject"] == result["code"]
    assert "037090000001" not in row["envelope"]  # the event carries an opaque reference, not the ID number
    # How to reach the applicant goes to notify on intake's private exchange, in the same transaction.
    assert contact["event_type"] == "motcua.intake.v1.ApplicantContactRecorded"
    assert (
        exchange_name(contact["event_type"]) == "intake.private"
        and exchange_name(row["event_type"]) == "intake.events"
    )
    assert '"full_name"' in contact["envelope"] and '"full_name"' not in row["envelope"]
    second = intake.submit_dossier(
        {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}, CITIZEN
    )
    assert second["code"].endswith("-0002")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"procedure_code": "1.000656"},
        {"procedure_code": "1.000656", "applicant": {"id_number": "12345"}},
        {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}, "surprise": True},
    ],
)
def test_invalid_requests_store_nothing(intake, body):
    with pytest.raises(InvalidInput):
        intake.submit_dossier(body, CITIZEN)
    assert intake.db.rows("dossiers") == [] and intake.db.outbox() == []


def test_registry_refusal_stores_nothing(intake):
    intake.registry.get_person.call_async.side_effect = lambda *a: _Reply(NotFound("person_not_found"))
    with pytest.raises(NotFound):
        intake.submit_dossier(
            {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}, CITIZEN
        )
    assert intake.db.rows("dossiers") == [] and intake.db.outbox() == []


def test_citizen_cannot_file_for_someone_else(intake):
    with pytest.raises(Forbidden):
        intake.submit_dossier(
            {"procedure_code": "1.000656", "applicant": {"id_number": "037185000002"}}, CITIZEN
        )


def test_citizen_sees_only_own_dossier(intake):
    code = intake.submit_dossier(
        {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}, CITIZEN
    )["code"]
    assert intake.get_dossier(code, CITIZEN)["applicant"]["full_name"] == "Nguyễn Văn An"
    with pytest.raises(NotFound):
        intake.get_dossier(code, {"subject": "037185000002", "kind": "citizen"})


def test_code_format():
    assert codes.dossier_code("H15.50.05.13", date(2026, 10, 8), 975) == "H15.50.05.13-261008-0975"
    assert codes.is_dossier_code("000.00.20.H41-261122-0001")
    assert not codes.is_dossier_code("../etc/passwd")


def test_routing_survives_a_workflow_outage_once_known(intake):
    body = {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}
    intake.submit_dossier(body, CITIZEN)
    intake.routes._entries = {k: (v[0] - 120, v[1]) for k, v in intake.routes._entries.items()}  # now stale
    intake.workflow.route.call_async.side_effect = lambda *a: _Reply(Unavailable("service_timeout"))
    assert intake.submit_dossier(body, CITIZEN)["code"].endswith("-0002")
    intake.routes._entries = {}
    with pytest.raises(Unavailable):
        intake.submit_dossier(body, CITIZEN)


LAND = {"id": "8a0d5a2e-0000-4000-8000-000000000001", "doc_type": "QSDD", "sha256": "1" * 64}
ROUTE_WITH_DOCS = {
    **ROUTE,
    "procedure": {
        **ROUTE["procedure"],
        "code": "2.000488",
        "documents": [{"code": "GDN", "kind": "form"}, {"code": "QSDD", "kind": "document"}],
    },
}


def test_a_document_the_registry_holds_is_reused_and_nothing_is_uploaded(intake):
    intake.workflow.route.call_async.side_effect = lambda *a: _Reply(ROUTE_WITH_DOCS)
    intake.registry.find_documents.call_async.side_effect = lambda *a: _Reply([LAND])
    body = {
        "procedure_code": "2.000488",
        "applicant": {"id_number": "037090000001"},
        "documents": [{"code": "QSDD", "reuse": LAND["id"]}],
    }
    result = intake.submit_dossier(body, CITIZEN)
    assert {d["code"]: d["source"] for d in result["documents"]} == {"GDN": "form", "QSDD": "reused"}
    [row] = [r for r in intake.db.rows("dossier_documents") if r["source"] == "reused"]
    assert row["registry_document_id"] == LAND["id"] and intake.db.rows("uploads") == []


@pytest.mark.parametrize(
    "documents",
    [
        [],
        [{"code": "QSDD", "reuse": "8a0d5a2e-0000-4000-8000-000000000999"}],
        [{"code": "QSDD", "upload": "8a0d5a2e-0000-4000-8000-000000000777"}],
        [{"code": "QSDD", "reuse": LAND["id"]}, {"code": "XYZ", "reuse": LAND["id"]}],
    ],
)
def test_missing_or_foreign_documents_are_refused_and_nothing_stored(intake, documents):
    intake.workflow.route.call_async.side_effect = lambda *a: _Reply(ROUTE_WITH_DOCS)
    intake.registry.find_documents.call_async.side_effect = lambda *a: _Reply([LAND])
    with pytest.raises(InvalidInput) as err:
        intake.submit_dossier(
            {
                "procedure_code": "2.000488",
                "applicant": {"id_number": "037090000001"},
                "documents": documents,
            },
            CITIZEN,
        )
    assert err.value.code in ("documents_incomplete", "invalid_request")
    assert intake.db.rows("dossiers") == [] and intake.db.outbox() == []


def test_idempotency_key_same_body_same_dossier_other_body_refused(intake):
    body = {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}
    first = intake.submit_dossier(body, CITIZEN, "key-0001")
    again = intake.submit_dossier(body, CITIZEN, "key-0001")
    assert again["code"] == first["code"] and again["replayed"] is True
    assert len(intake.db.rows("dossiers")) == 1
    with pytest.raises(Conflict):
        intake.submit_dossier({**body, "form": {"x": 1}}, CITIZEN, "key-0001")


def test_drafts_are_private_and_resumable(intake):
    saved = intake.save_draft(None, {"procedure_code": "1.000656", "form": {"ly_do": "xin việc"}}, CITIZEN)
    intake.save_draft(saved["id"], {"procedure_code": "1.000656", "form": {"ly_do": "du học"}}, CITIZEN)
    assert intake.get_draft(saved["id"], CITIZEN)["body"]["form"]["ly_do"] == "du học"
    other = {"subject": "037185000002", "kind": "citizen"}
    with pytest.raises(NotFound):
        intake.get_draft(saved["id"], other)
    assert [d["id"] for d in intake.list_drafts(CITIZEN)] == [saved["id"]]


OTHER_CITIZEN = {"subject": "037185000002", "kind": "citizen"}


def test_a_draft_created_again_with_the_same_key_is_created_once(intake):
    body = {"procedure_code": "1.000656", "form": {"ly_do": "xin việc"}}
    first = intake.save_draft(None, body, CITIZEN, "draft-key-1")
    again = intake.save_draft(None, body, CITIZEN, "draft-key-1")
    assert "replayed" not in first and again == {**first, "replayed": True}
    assert [d["id"] for d in intake.list_drafts(CITIZEN)] == [first["id"]]
    with pytest.raises(Conflict):
        intake.save_draft(None, {**body, "form": {"ly_do": "du học"}}, CITIZEN, "draft-key-1")
    theirs = intake.save_draft(None, body, OTHER_CITIZEN, "draft-key-1")
    assert "replayed" not in theirs and theirs["id"] != first["id"] and len(intake.db.rows("drafts")) == 2


def test_a_key_used_for_a_dossier_is_refused_for_a_draft(intake):
    body = {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}
    intake.submit_dossier(body, CITIZEN, "shared-key-1")
    with pytest.raises(Conflict):
        intake.save_draft(None, body, CITIZEN, "shared-key-1")
    assert intake.db.rows("drafts") == []


def _upload(upload_id: str, sha: str = "a" * 64) -> dict:
    return {
        "id": upload_id,
        "file_name": f"{upload_id}.pdf",
        "media_type": "application/pdf",
        "size_bytes": 10,
        "sha256": sha,
        "path": f"/files/{upload_id}",
    }


def test_an_upload_registered_again_with_the_same_key_answers_with_the_first_record(intake):
    first = intake.register_upload(_upload("8a0d5a2e-0000-4000-8000-0000000000a1"), CITIZEN, "upload-key-1")
    # The retry stored another copy (new id, path and, without X-File-Name, name): the content is the same.
    again = intake.register_upload(_upload("8a0d5a2e-0000-4000-8000-0000000000a2"), CITIZEN, "upload-key-1")
    assert again == {**first, "replayed": True} and len(intake.db.rows("uploads")) == 1
    with pytest.raises(Conflict):
        intake.register_upload(
            _upload("8a0d5a2e-0000-4000-8000-0000000000a3", "b" * 64), CITIZEN, "upload-key-1"
        )
    theirs = intake.register_upload(
        _upload("8a0d5a2e-0000-4000-8000-0000000000a4"), OTHER_CITIZEN, "upload-key-1"
    )
    assert "replayed" not in theirs and len(intake.db.rows("uploads")) == 2


def test_a_dossier_key_longer_than_100_characters_is_refused_not_cut(intake):
    body = {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}
    with pytest.raises(InvalidInput) as refused:
        intake.submit_dossier(body, CITIZEN, "k" * 101)
    assert refused.value.code == "idempotency_key_too_long" and intake.db.rows("dossiers") == []

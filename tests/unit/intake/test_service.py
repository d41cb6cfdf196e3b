"""Intake entrypoints with worker_factory: the registry is asked first, the code is formed, the event recorded."""
from datetime import date

import pytest
from nameko.testing.services import worker_factory

from services.chassis.config import Settings
from services.chassis.errors import Forbidden, InvalidInput, NotFound, Unavailable
from services.intake import storage
from services.intake.dependencies import RouteCache
from services.intake.domain import codes
from services.intake.service import IntakeService
from tests.support import FakeDatabase

PERSON = {"id_number": "037090000001", "full_name": "Nguyễn Văn An", "address_unit_code": "NB.HL.NT",
          "email": "an@example.vn", "phone": "0912345601", "language": "vi"}
ROUTE = {"procedure": {"code": "1.000656", "version": 1, "name": {"vi": "Lý lịch tư pháp"}},
         "agency_code": "000.00.07.H41", "agency_name": "Sở Tư pháp", "level": "province",
         "receiving_agency_code": "000.00.07.H41"}
CITIZEN = {"subject": "037090000001", "kind": "citizen"}


class _Reply:
    def __init__(self, value):
        self.value = value

    def result(self):
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


@pytest.fixture
def intake():
    routes = RouteCache()
    routes.setup()
    service = worker_factory(IntakeService, db=FakeDatabase(storage.metadata), settings=Settings(service="intake"),
                             routes=routes)
    service.registry.get_person.call_async.side_effect = lambda *a: _Reply(PERSON)
    service.workflow.route.call_async.side_effect = lambda *a: _Reply(ROUTE)
    return service


def test_submission_stores_dossier_and_records_event(intake):
    result = intake.submit_dossier({"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}},
                                   CITIZEN)
    assert codes.is_dossier_code(result["code"]) and result["code"].startswith("000.00.07.H41-")
    assert result["code"].endswith("-0001")
    intake.registry.get_person.call_async.assert_called_once_with("037090000001")
    [row] = intake.db.outbox()
    assert row["event_type"] == "motcua.intake.v1.DossierSubmitted" and row["subject"] == result["code"]
    assert "037090000001" not in row["envelope"]  # the event carries an opaque reference, not the ID number
    second = intake.submit_dossier({"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}},
                                   CITIZEN)
    assert second["code"].endswith("-0002")


@pytest.mark.parametrize("body", [
    {}, {"procedure_code": "1.000656"}, {"procedure_code": "1.000656", "applicant": {"id_number": "12345"}},
    {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}, "surprise": True},
])
def test_invalid_requests_store_nothing(intake, body):
    with pytest.raises(InvalidInput):
        intake.submit_dossier(body, CITIZEN)
    assert intake.db.rows("dossiers") == [] and intake.db.outbox() == []


def test_registry_refusal_stores_nothing(intake):
    intake.registry.get_person.call_async.side_effect = lambda *a: _Reply(NotFound("person_not_found"))
    with pytest.raises(NotFound):
        intake.submit_dossier({"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}, CITIZEN)
    assert intake.db.rows("dossiers") == [] and intake.db.outbox() == []


def test_citizen_cannot_file_for_someone_else(intake):
    with pytest.raises(Forbidden):
        intake.submit_dossier({"procedure_code": "1.000656", "applicant": {"id_number": "037185000002"}}, CITIZEN)


def test_citizen_sees_only_own_dossier(intake):
    code = intake.submit_dossier({"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}},
                                 CITIZEN)["code"]
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

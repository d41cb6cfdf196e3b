"""Workflow entrypoints with worker_factory: a submitted dossier opens one case, once."""

import uuid

import pytest
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.testing.services import worker_factory

from services.chassis.errors import InvalidInput, NotFound
from services.chassis.events import build_event, parse_event
from services.workflow.adapters import storage
from services.workflow.service import Catalogue, WorkflowService
from tests.support import FakeDatabase


def _catalogue():
    catalogue = Catalogue()
    catalogue.setup()  # the real data files, as the service loads them
    return catalogue


@pytest.fixture
def workflow():
    db = FakeDatabase(storage.metadata, handler="workflow.on_dossier_submitted")
    return worker_factory(WorkflowService, db=db, catalogue=_catalogue())


def submitted(code="000.00.07.H41-261122-0001", procedure="1.000656", unit="NB.HL.NT"):
    body = build_event(
        DossierSubmitted,
        {
            "dossier_code": code,
            "procedure_code": procedure,
            "procedure_version": 1,
            "receiving_agency_code": "000.00.07.H41",
            "applicant_unit_code": unit,
            "applicant_ref": "r",
            "channel": "online",
            "submitted_at": "2026-11-20T01:00:00Z",
        },
        source="intake",
        subject=code,
        event_id=str(uuid.uuid4()),
    )
    return parse_event(body)


def test_a_filed_dossier_waits_for_a_receiver_then_is_received_with_due_date_and_status_event(workflow):
    event = submitted()
    workflow.on_dossier_submitted(event)
    case = workflow.get_case(event.subject)
    assert case["status"] == "submitted" and case["status_label"]["vi"] == "Chờ tiếp nhận"
    assert (
        case["agency_code"] == "000.00.07.H41" and case["level"] == "province"
    )  # in the competent unit's queue
    assert case["received_at"] is None and case["due_at"] is None and case["receipt_due_at"]
    assert case["history"] == [] and case["steps"] == [] and workflow.db.outbox() == []
    receiver = {"subject": "receiver-1", "kind": "officer", "unit": "000.00.07.H41", "roles": ["receiver"]}
    case = workflow.act(event.subject, {"action": "receive"}, receiver)
    assert case["status"] == "received" and case["received_at"] and case["receipt_due_at"] is None
    assert case["due_at"] and case["due_explanation"]["working_days"] == 10
    assert [(a["action"], a["actor"]) for a in case["history"]] == [("receive", "receiver-1")]
    assert case["steps"][0]["budget_days"] == 10 and case["steps"][0]["agency_code"] == "000.00.07.H41"
    outbox = workflow.db.outbox()
    assert [row["event_type"] for row in outbox] == ["motcua.workflow.v1.DossierStatusChanged"]


def test_the_same_event_twice_opens_one_case(workflow):
    event = submitted()
    workflow.on_dossier_submitted(event)
    workflow.on_dossier_submitted(event)
    assert len(workflow.db.rows("cases")) == 1
    assert workflow.db.outbox() == []


def test_unroutable_dossier_waits_in_coordination(workflow):
    event = submitted(code="000.00.29.H41-261122-0001", procedure="1.001193", unit="NB")
    workflow.on_dossier_submitted(event)
    case = workflow.get_case(event.subject)
    assert case["status"] == "coordination" and case["agency_code"] == ""


def test_route_and_catalogue_rpcs(workflow):
    assert {p["code"] for p in workflow.list_procedures()} >= {"1.001193", "1.000656", "1.004227"}
    route = workflow.route("1.000656", "NB.YK.YN")
    assert route["agency_code"] == "000.00.07.H41" and route["procedure"]["fee_vnd"] == 200000
    with pytest.raises(InvalidInput):
        workflow.route("9.999999", "NB.YK.YN")
    with pytest.raises(InvalidInput):
        workflow.route("1.000656", "ZZ")
    with pytest.raises(NotFound):
        workflow.get_case("nothing")

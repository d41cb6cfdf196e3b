"""Submission rules in plain Python (domain/submission.py, domain/documents.py), and the same rules seen
through the submit_dossier entrypoint: who files for whom, the contact fallback, a desk filing received at
once; the form prepared from what the registry holds."""

import json

import pytest

from services.chassis.errors import Forbidden
from services.intake.domain import documents, submission
from tests.unit.intake.test_service import CITIZEN, LAND, PERSON, ROUTE_WITH_DOCS, _Reply, intake_worker

BODY = {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}
RECEIVER = {"subject": "officer-7", "kind": "officer", "unit": "NB.HL", "roles": ["receiver"]}


def test_a_citizen_files_for_themself_an_officer_for_anyone_an_agency_never():
    submission.check_submitter("citizen", "037090000001", "037090000001")
    submission.check_submitter("officer", "officer-7", "037090000001")
    with pytest.raises(submission.NotAllowed) as other:
        submission.check_submitter("citizen", "037185000002", "037090000001")
    with pytest.raises(submission.NotAllowed) as agency:
        submission.check_submitter("agency", "000.00.07.H41", "037090000001")
    assert (other.value.code, agency.value.code) == ("not_own_dossier", "agency_cannot_submit")


def test_the_contact_given_wins_field_by_field_then_the_registry_then_nothing():
    given = submission.contact({"email": "moi@example.vn", "phone": None, "language": None}, PERSON)
    assert given == submission.Contact("Nguyễn Văn An", "moi@example.vn", "0912345601", "vi")
    bare = submission.contact({}, {"full_name": "Trần Thị Bình"})
    assert (bare.email, bare.phone, bare.language) == ("", "", "vi")


def test_only_a_receiving_officer_at_the_desk_receives_at_once():
    assert submission.received_at_desk("counter", "officer", ["receiver"])
    assert not submission.received_at_desk("online", "officer", ["receiver"])
    assert not submission.received_at_desk("counter", "officer", ["leader"])
    assert not submission.received_at_desk("counter", "citizen", ["receiver"])


def test_documents_wanted_are_the_documents_not_the_forms():
    requirements = [{"code": "GDN", "kind": "form"}, {"code": "QSDD", "kind": "document"}]
    assert documents.wanted(requirements) == ["QSDD"]


def test_an_agency_cannot_submit_and_nothing_is_stored():
    intake = intake_worker()
    with pytest.raises(Forbidden) as refused:
        intake.submit_dossier(BODY, {"subject": "000.00.07.H41", "kind": "agency"})
    assert refused.value.code == "agency_cannot_submit" and intake.db.rows("dossiers") == []
    intake.registry.get_person.call_async.assert_not_called()


def test_a_desk_filing_names_its_officer_and_the_contact_falls_back_to_the_registry():
    intake = intake_worker()
    code = intake.submit_dossier(
        {**BODY, "channel": "counter", "contact": {"email": "moi@example.vn"}}, RECEIVER
    )["code"]
    submitted, contact = (json.loads(row["envelope"])["data"] for row in intake.db.outbox())
    assert submitted["counter_officer"] == "officer-7" and submitted["counter_unit"] == "NB.HL"
    assert contact["contact"] == {
        "full_name": "Nguyễn Văn An",
        "email": "moi@example.vn",
        "phone": "0912345601",
        "language": "vi",
    }
    [row] = intake.db.rows("dossiers")
    assert (row["code"], row["submitted_by"], row["contact_phone"]) == (code, "officer-7", "0912345601")


def test_an_online_filing_by_an_officer_waits_for_receipt():
    intake = intake_worker()
    intake.submit_dossier(BODY, RECEIVER)
    submitted = json.loads(intake.db.outbox()[0]["envelope"])["data"]
    assert "counter_officer" not in submitted


def test_the_form_is_prepared_from_what_the_registry_holds_read_as_the_citizens_own():
    intake = intake_worker()
    intake.workflow.route.call_async.side_effect = lambda *a: _Reply(ROUTE_WITH_DOCS)
    intake.registry.find_documents.call_async.side_effect = lambda *a: _Reply([LAND])
    form = intake.prepare("2.000488", CITIZEN)
    registry = intake.registry
    registry.get_person.call_async.assert_called_once_with("037090000001", "self", "dossier_processing")
    intake.registry.find_documents.call_async.assert_called_once_with("037090000001", ["QSDD"], "self")
    assert form["applicant"] == PERSON and form["agency_name"] == "Sở Tư pháp"
    assert {d["code"]: d["reusable"] for d in form["documents"]} == {"GDN": [], "QSDD": [LAND]}
    with pytest.raises(Forbidden):
        intake.prepare("2.000488", RECEIVER)

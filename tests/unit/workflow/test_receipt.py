"""Receipt by an officer (Decree 118/2025): a filed dossier waits in the competent unit's receipt queue; a receiver
receives it (the clock starts at receipt), asks for completion before receipt (Form 02; back to the queue once the
applicant completes it) or refuses it (Form 03, reason required). Automatic receipt only where the procedure says
so; a receiver's counter filing is received at once by them. Real catalogue files, real SQL (SQLite in memory)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.testing.services import worker_factory

from services.chassis.errors import Forbidden, InvalidInput
from services.chassis.events import build_event, parse_event
from services.workflow.adapters import forms, storage
from services.workflow.domain.legal_time import LEGAL_TZ
from services.workflow.service import Catalogue, WorkflowService
from services.workflow.use_cases import receipt
from services.workflow.use_cases.act import ActionRequest, apply
from services.workflow.use_cases.cases import open_case
from services.workflow.use_cases.views import case_view
from tests.support import FakeDatabase

JUSTICE = "000.00.07.H41"  # Sở Tư pháp (criminal record certificate, province level)
COMMUNE = "000.31.01.H41"  # UBND phường Hoa Lư (2-level demo)


def _catalogue(monkeypatch=None, model="2level") -> Catalogue:
    if monkeypatch is not None:
        monkeypatch.setenv("MOTCUA_ADMIN_MODEL", model)
    catalogue = Catalogue()
    catalogue.setup()
    return catalogue


def _workflow(catalogue=None):
    return worker_factory(
        WorkflowService,
        db=FakeDatabase(storage.metadata, handler="workflow.on_dossier_submitted"),
        catalogue=catalogue or _catalogue(),
    )


def _event(
    procedure="1.000656", unit="NB.HL.NT", channel="online", submitted_at="2026-11-23T02:00:00Z", **extra
):
    code = f"X{uuid.uuid4().hex[:8].upper()}-261123-0001"
    return parse_event(
        build_event(
            DossierSubmitted,
            {
                "dossier_code": code,
                "procedure_code": procedure,
                "procedure_version": 1,
                "receiving_agency_code": JUSTICE,
                "applicant_unit_code": unit,
                "applicant_ref": "ref",
                "channel": channel,
                "submitted_at": submitted_at,
                **extra,
            },
            source="intake",
            subject=code,
            event_id=str(uuid.uuid4()),
        )
    )


def _officer(role="receiver", unit=JUSTICE, **extra):
    return {"subject": f"{role}-1", "kind": "officer", "unit": unit, "roles": [role], **extra}


CITIZEN = {"subject": "037090000001", "kind": "citizen", "unit": None, "roles": []}


def _changes(workflow) -> list[dict]:
    return [
        json.loads(r["envelope"])["data"]
        for r in workflow.db.outbox()
        if r["event_type"] == "motcua.workflow.v1.DossierStatusChanged"
    ]


@pytest.mark.parametrize("model", ["2level", "3level"])
def test_a_filed_dossier_waits_in_the_competent_units_queue_until_a_receiver_of_that_unit_receives_it(
    monkeypatch, model
):
    workflow = _workflow(_catalogue(monkeypatch, model))
    event = _event()
    workflow.on_dossier_submitted(event)
    code = event.subject
    case = workflow.get_case(code, _officer())
    assert case["status"] == "submitted" and case["received_at"] is None and case["due_at"] is None
    assert set(case["allowed_actions"]) == {"receive", "request_completion", "refuse_receipt"}
    queue = workflow.work_queue(JUSTICE)["items"]
    assert [(i["dossier_code"], i["status"]) for i in queue] == [(code, "submitted")]
    assert queue[0]["receipt_due_at"] == case["receipt_due_at"] and queue[0]["receipt_overdue"] is False
    assert _changes(workflow) == []  # nothing is received, nobody is told "received"

    with pytest.raises(Forbidden) as other_unit:
        workflow.act(
            code, {"action": "receive"}, _officer(unit=COMMUNE if model == "2level" else "000.20.31.H41")
        )
    assert other_unit.value.code == "not_your_unit"
    with pytest.raises(Forbidden) as handler:
        workflow.act(code, {"action": "receive"}, _officer("handler"))
    assert handler.value.code == "role_not_allowed"

    view = workflow.act(code, {"action": "receive"}, _officer(name="Nguyễn Thị Lan"))
    assert view["status"] == "received" and view["received_at"] and view["due_at"]
    assert [(c["from_status"], c["to_status"], c["action"]) for c in _changes(workflow)] == [
        ("submitted", "received", "receive")
    ]
    form = workflow.render_form(code, "01")
    assert "Người tiếp nhận: Nguyễn Thị Lan" in form and "Ngày hẹn trả kết quả" in form


def test_the_legal_clock_counts_from_receipt_not_from_filing():
    catalogue = _catalogue()
    db = FakeDatabase(storage.metadata)
    event = _event(submitted_at="2026-11-23T02:00:00Z")  # Monday 23 November 2026, 09:00 legal time
    filed = datetime(2026, 11, 23, 9, 0, tzinfo=LEGAL_TZ)
    received = datetime(2026, 11, 25, 10, 0, tzinfo=LEGAL_TZ)  # Wednesday
    with db.unit() as uow:
        open_case(uow, catalogue, event.data, now=filed)
    with db.unit() as uow:
        apply(uow, catalogue, event.subject, ActionRequest("receive"), _officer(), now=received)
    with db.unit() as uow:
        view = case_view(uow.session, catalogue, event.subject)
    assert view["submitted_at"] == "2026-11-23T02:00:00Z"
    assert view["received_at"] == received.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    explained = view["due_explanation"]
    assert explained["effective_start"] == "2026-11-25" and explained["working_days"] == 10
    assert view["due_at"].startswith("2026-12-09")  # 10 working days after Wednesday 25th


def test_completion_before_receipt_goes_back_to_the_queue_without_stopping_any_clock():
    workflow = _workflow()
    event = _event()
    workflow.on_dossier_submitted(event)
    code = event.subject
    with pytest.raises(InvalidInput) as no_reason:
        workflow.act(code, {"action": "request_completion", "reason": " "}, _officer())
    assert no_reason.value.code == "reason_required"
    view = workflow.act(
        code,
        {"action": "request_completion", "reason": "Thiếu tờ khai có chữ ký: tờ khai chưa ký"},
        _officer(),
    )
    assert view["status"] == "awaiting_completion" and view["pauses"] == [] and not view["clock_stopped"]
    assert view["received_at"] is None and view["due_at"] is None and view["receipt_due_at"] is None
    form = workflow.render_form(code, "02")
    assert "Thiếu tờ khai có chữ ký" in form and "chưa được tiếp nhận" in form
    with pytest.raises(InvalidInput) as waiting:
        workflow.act(code, {"action": "receive"}, _officer())  # the receipt waits for the completion
    assert waiting.value.code == "not_allowed_in_state"
    citizen = workflow.act(
        code,
        {
            "action": "complete",
            "reason": "Đã ký tờ khai",
            "attachments": [
                {
                    "name": "to-khai.pdf",
                    "sha256": "a" * 64,
                    "document": "TK03",
                    "version": 2,
                    "upload_id": str(uuid.uuid4()),
                }
            ],
        },
        CITIZEN,
    )
    assert citizen["status"] == "submitted" and citizen["receipt_due_at"]
    assert citizen["history"][-1]["attachments"][0]["version"] == 2
    view = workflow.act(code, {"action": "receive"}, _officer())
    assert view["status"] == "received" and view["pauses"] == []
    assert [c["to_status"] for c in _changes(workflow)] == ["awaiting_completion", "submitted", "received"]


def test_refusal_needs_a_reason_is_form_03_and_tells_the_citizen():
    workflow = _workflow()
    event = _event()
    workflow.on_dossier_submitted(event)
    code = event.subject
    with pytest.raises(InvalidInput) as no_reason:
        workflow.act(code, {"action": "refuse_receipt"}, _officer())
    assert no_reason.value.code == "reason_required"
    view = workflow.act(
        code, {"action": "refuse_receipt", "reason": "Không thuộc thẩm quyền giải quyết"}, _officer()
    )
    assert view["status"] == "refused" and view["received_at"] is None and view["due_at"] is None
    assert "Lý do từ chối tiếp nhận: Không thuộc thẩm quyền giải quyết" in workflow.render_form(code, "03")
    assert _changes(workflow)[-1]["to_status"] == "refused"  # notify's dossier_refused template
    assert workflow.work_queue(JUSTICE)["items"] == []


def test_automatic_receipt_only_where_the_procedure_says_so():
    catalogue = _catalogue()
    key = ("1.000656", 1)
    assert catalogue.procedures[key].receipt == "officer"  # the demo catalogue receives by officer
    catalogue.procedures = {
        **catalogue.procedures,
        key: dataclasses.replace(catalogue.procedures[key], receipt="automatic"),
    }
    workflow = _workflow(catalogue)
    event = _event()
    workflow.on_dossier_submitted(event)
    view = workflow.get_case(event.subject)
    assert view["status"] == "received" and view["history"][0]["actor"] == "system"
    assert "tiếp nhận tự động" in workflow.render_form(event.subject, "01")


def test_a_receivers_counter_filing_is_received_at_once_by_them_and_anyone_elses_waits():
    workflow = _workflow()
    desk = _event(channel="counter", counter_officer="receiver-7", counter_unit=JUSTICE)
    workflow.on_dossier_submitted(desk)
    view = workflow.get_case(desk.subject)
    assert view["status"] == "received" and view["history"][0]["actor"] == "receiver-7"
    assert [r["action"] for r in workflow.db.rows("audit_log")] == [
        "case.receive"
    ]  # an officer's act, audited
    elsewhere = _event(channel="counter", counter_officer="receiver-8", counter_unit=COMMUNE)
    workflow.on_dossier_submitted(elsewhere)
    assert (
        workflow.get_case(elsewhere.subject)["status"] == "submitted"
    )  # not that unit's: waits in the queue


def test_a_dossier_not_answered_in_time_is_overdue_for_receipt_in_the_queue_and_the_gauge(monkeypatch):
    catalogue = _catalogue()
    workflow = _workflow(catalogue)
    event = _event()
    long_ago = datetime.now(timezone.utc) - timedelta(days=10)
    with workflow.db.unit() as uow:
        open_case(uow, catalogue, event.data, now=long_ago)
    fresh = _event()
    workflow.on_dossier_submitted(fresh)
    items = {i["dossier_code"]: i for i in workflow.work_queue(JUSTICE)["items"]}
    assert (
        items[event.subject]["receipt_overdue"] is True and items[fresh.subject]["receipt_overdue"] is False
    )
    assert workflow.get_case(event.subject)["receipt_overdue"] is True
    workflow.check_deadlines()
    from services.workflow.metrics import RECEIPTS_OVERDUE

    assert RECEIPTS_OVERDUE.labels(JUSTICE)._value.get() == 1
    # The time allowed is a province setting (unsourced default: 1 working day).
    monkeypatch.setenv("MOTCUA_RECEIPT_WORKING_DAYS", "30")
    assert workflow.get_case(event.subject)["receipt_overdue"] is False
    assert receipt.working_days() == 30


def test_forms_02_and_03_come_from_the_receipt_actions_and_01_names_the_officer_or_the_subject():
    workflow = _workflow()
    event = _event()
    workflow.on_dossier_submitted(event)
    with pytest.raises(InvalidInput):
        workflow.render_form(event.subject, "01")  # not received yet: no receipt to print
    workflow.act(event.subject, {"action": "receive"}, _officer())  # no name from the identity provider
    assert "Người tiếp nhận: receiver-1" in forms.render(
        "01", workflow.get_case(event.subject), workflow.catalogue
    )

"""Calendar corrections published at run time by a province administrator: audited, used by every deadline
computed after them, and open dossiers whose legal time they lengthen get a later due date (explained, logged,
published), never an earlier one. Real catalogue files, real SQL (SQLite in memory)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta

import pytest
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.testing.services import worker_factory

from services.chassis.errors import Forbidden, InvalidInput
from services.chassis.events import build_event, parse_event
from services.workflow.adapters import storage
from services.workflow.domain.legal_time import LEGAL_TZ
from services.workflow.service import Catalogue, WorkflowService
from tests.support import FakeDatabase

JUSTICE = "000.00.07.H41"
COMMUNE = "000.31.01.H41"
ADMIN = {"subject": "quantri-1", "kind": "officer", "unit": JUSTICE, "roles": ["admin"]}
NOTICE = "Thông báo 999/TB-UBND (01/12/2026) — văn bản giả định của bài kiểm thử"


@pytest.fixture
def workflow():
    catalogue = Catalogue()  # its own: a correction changes the clock of the catalogue it is published to
    catalogue.setup()
    return worker_factory(
        WorkflowService,
        db=FakeDatabase(storage.metadata, handler="workflow.on_dossier_submitted"),
        catalogue=catalogue,
    )


def received(workflow, procedure="1.000656", unit="NB.HL.NT") -> dict:
    code = f"X{uuid.uuid4().hex[:8].upper()}-261201-0001"
    workflow.on_dossier_submitted(
        parse_event(
            build_event(
                DossierSubmitted,
                {
                    "dossier_code": code,
                    "procedure_code": procedure,
                    "procedure_version": 1,
                    "receiving_agency_code": JUSTICE,
                    "applicant_unit_code": unit,
                    "applicant_ref": "ref",
                    "channel": "online",
                    "submitted_at": "2026-12-01T01:00:00Z",
                },
                source="intake",
                subject=code,
            )
        )
    )
    case = workflow.get_case(code)
    if case["status"] == "submitted":  # receipt by an officer (works before and after automatic receipt ends)
        officer = {"subject": "receiver-1", "kind": "officer", "unit": JUSTICE, "roles": ["receiver"]}
        workflow.act(
            code,
            {"action": "receive", "params": {} if case["agency_code"] else {"to_agency": JUSTICE}},
            officer,
        )
        case = workflow.get_case(code)
    assert case["status"] == "received" and case["due_at"]
    return case


def publish(workflow, day: date, kind: str, name: str = "Ngày nghỉ theo thông báo", actor=ADMIN) -> dict:
    return workflow.publish_calendar_correction(
        {"date": day.isoformat(), "kind": kind, "name": name, "source": NOTICE}, actor
    )


def test_a_new_day_off_moves_open_dossiers_later_and_counts_for_deadlines_computed_after(workflow):
    case = received(workflow)
    counted = case["due_explanation"]["counted_days"]
    day_off = date.fromisoformat(counted[0])  # a working day this dossier's legal time counts
    done = received(workflow, procedure="1.001193")
    for action, role in [
        ("assign", "leader"),
        ("approve", "leader"),
        ("result_ready", "handler"),
        ("return_result", "receiver"),
    ]:
        workflow.act(
            done["dossier_code"],
            {"action": action, "params": {"assignee": "h"} if action == "assign" else {}},
            {"subject": f"{role}-1", "kind": "officer", "unit": done["agency_code"], "roles": [role]},
        )
    before_done = workflow.get_case(done["dossier_code"])

    result = publish(workflow, day_off, "day_off")
    assert result["correction"]["source"] == NOTICE and result["correction"]["published_by"] == "quantri-1"
    assert [m["dossier_code"] for m in result["recomputed"]] == [case["dossier_code"]]

    after = workflow.get_case(case["dossier_code"])
    old_due = datetime.fromisoformat(case["due_at"].replace("Z", "+00:00")).astimezone(LEGAL_TZ).date()
    new_due = datetime.fromisoformat(after["due_at"].replace("Z", "+00:00")).astimezone(LEGAL_TZ).date()
    calendar = workflow.catalogue.clock.calendar
    assert (
        new_due > old_due and calendar.working_days_between(old_due, new_due) == []
    )  # one working day later
    explanation = after["due_explanation"]
    assert day_off.isoformat() not in explanation["counted_days"]
    assert {"date": day_off.isoformat(), "why": "Ngày nghỉ theo thông báo", "source": NOTICE} in explanation[
        "skipped_days"
    ]
    assert explanation["recomputed"]["correction"] == {
        "date": day_off.isoformat(),
        "kind": "day_off",
        "source": NOTICE,
    }
    assert explanation["recomputed"]["previous_due_at"] == case["due_at"]
    assert after["history"][-1]["action"] == "due_recomputed" and NOTICE in after["history"][-1]["reason"]
    assert after["steps"][-1]["due_at"] > case["steps"][-1]["due_at"]  # the running step moved too
    assert workflow.get_case(done["dossier_code"]) == before_done  # finished dossiers keep what they had
    published = [
        json.loads(r["envelope"]) for r in workflow.db.outbox() if r["subject"] == case["dossier_code"]
    ]
    assert "due_recomputed" in json.dumps(published[-1]) and after["due_at"] in json.dumps(published[-1])

    # Audited in the tamper-evident chain, which still verifies.
    audit = [r for r in workflow.db.rows("audit_log") if r["action"] == "calendar.correction_published"]
    assert (
        len(audit) == 1
        and audit[0]["target"] == day_off.isoformat()
        and audit[0]["actor"] == "officer:quantri-1"
    )
    assert workflow.audit_verify()["ok"] is True
    # A deadline computed after it skips the new day off.
    later = received(workflow)
    assert day_off.isoformat() not in later["due_explanation"]["counted_days"]
    assert workflow.calendar_corrections()[0]["date"] == day_off.isoformat()


def test_a_day_off_becoming_a_working_day_keeps_the_due_dates_given(workflow):
    case = received(workflow)  # 10 working days: its span holds a weekend
    start = date.fromisoformat(case["due_explanation"]["effective_start"])
    saturday = next(
        start + timedelta(days=i) for i in range(1, 15) if (start + timedelta(days=i)).weekday() == 5
    )
    result = publish(workflow, saturday, "working_day", "Làm bù theo thông báo")
    assert result["recomputed"] == []
    assert workflow.get_case(case["dossier_code"])["due_at"] == case["due_at"]
    assert workflow.catalogue.clock.calendar.is_working_day(saturday)
    later = received(workflow)
    assert (
        saturday.isoformat() in later["due_explanation"]["counted_days"]
        or date.fromisoformat(later["due_explanation"]["effective_start"]) >= saturday
    )


@pytest.mark.parametrize(
    "actor,code",
    [
        (
            {"subject": "leader-1", "kind": "officer", "unit": JUSTICE, "roles": ["leader"]},
            "role_not_allowed",
        ),
        ({"subject": "quantri-2", "kind": "officer", "unit": COMMUNE, "roles": ["admin"]}, "province_only"),
        ({"subject": "037090000001", "kind": "citizen", "unit": None, "roles": []}, "role_not_allowed"),
    ],
)
def test_only_a_province_administrator_publishes_and_nothing_is_written_otherwise(workflow, actor, code):
    with pytest.raises(Forbidden) as refused:
        publish(workflow, date(2026, 12, 24), "day_off", actor=actor)
    assert refused.value.code == code
    assert workflow.calendar_corrections() == [] and workflow.db.rows("audit_log") == []


def test_a_correction_needs_its_source_and_a_known_kind(workflow):
    for request in (
        {"date": "2026-12-24", "kind": "day_off", "name": "x"},
        {"date": "2026-12-24", "kind": "holiday", "name": "x", "source": NOTICE},
        {"date": "24/12/2026", "kind": "day_off", "name": "x", "source": NOTICE},
    ):
        with pytest.raises(InvalidInput):
            workflow.publish_calendar_correction(request, ADMIN)
    assert workflow.calendar_corrections() == []

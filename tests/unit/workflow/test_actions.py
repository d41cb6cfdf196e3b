"""Every action for every role, allowed and refused; idempotency; an inter-agency chain with its control sheet;
a unit merge with statistics rolled up. Real catalogue files, real SQL (SQLite in memory)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.testing.services import worker_factory

from services.chassis.errors import Conflict, Forbidden, InvalidInput
from services.chassis.events import build_event, parse_event
from services.gateway.web.labels import level_labels, outcome_labels
from services.workflow.adapters import storage
from services.workflow.domain.legal_time import LEGAL_TZ
from services.workflow.service import Catalogue, WorkflowService
from services.workflow.use_cases.act import ActionRequest, apply
from services.workflow.use_cases.cases import open_case
from services.workflow.use_cases.views import case_view
from tests.support import FakeDatabase

CATALOGUE = Catalogue()
CATALOGUE.setup()
PROCESS = CATALOGUE.processes["standard"]
ROLES = ["receiver", "handler", "leader", "citizen"]
COMMUNE = "000.31.01.H41"  # UBND phường Hoa Lư (2-level demo)
CENTRE = "000.00.29.H41"
JUSTICE = "000.00.07.H41"
LAND = "000.00.22.H41"
# What the gateway gives the forms (services/gateway/routes/document_pages.py): the one label table's words.
FORM_CONTEXT = {"labels": {"levels": level_labels(), "outcomes": outcome_labels()}}


@pytest.fixture
def workflow():
    return worker_factory(
        WorkflowService,
        db=FakeDatabase(storage.metadata, handler="workflow.on_dossier_submitted"),
        catalogue=CATALOGUE,
    )


def submit(workflow, procedure="1.000656", unit="NB.HL.NT") -> str:
    code = f"X{uuid.uuid4().hex[:8].upper()}-261123-0001"
    body = build_event(
        DossierSubmitted,
        {
            "dossier_code": code,
            "procedure_code": procedure,
            "procedure_version": 1,
            "receiving_agency_code": CENTRE,
            "applicant_unit_code": unit,
            "applicant_ref": "ref",
            "channel": "online",
            "submitted_at": "2026-11-23T01:00:00Z",
        },
        source="intake",
        subject=code,
    )
    workflow.on_dossier_submitted(parse_event(body))
    return code


def actor(role: str, unit: str | None) -> dict:
    if role == "citizen":
        return {"subject": "037090000001", "kind": "citizen", "unit": None, "roles": []}
    return {"subject": f"{role}-1", "kind": "officer", "unit": unit, "roles": [role]}


def do(workflow, code, action, role, unit=None, **params):
    unit = unit or workflow.get_case(code)["agency_code"]
    request = {"action": action, "reason": "Lý do kiểm thử", "params": params}
    return workflow.act(code, request, actor(role, unit))


# Ways to bring a fresh case into each state, from the receipt queue (a filed dossier waits for a receiver).
RECEIVE = [("receive", "receiver", {})]
ROUTES = {
    "submitted": [],
    "coordination": [],
    "awaiting_completion": [("request_completion", "receiver", {})],
    "received": RECEIVE,
    "in_progress": RECEIVE + [("assign", "leader", {"assignee": "handler-1"})],
    "awaiting_supplement": RECEIVE + [("request_supplement", "receiver", {})],
    "approved": RECEIVE + [("assign", "leader", {"assignee": "handler-1"}), ("approve", "leader", {})],
    "rejected": RECEIVE + [("assign", "leader", {"assignee": "handler-1"}), ("reject", "leader", {})],
    "result_ready": RECEIVE
    + [
        ("assign", "leader", {"assignee": "handler-1"}),
        ("approve", "leader", {}),
        ("result_ready", "handler", {}),
    ],
}
PARAMS = {
    "assign": {"assignee": "handler-2"},
    "transfer": {"to_agency": LAND, "budget_days": 2},
    "extend_with_apology": {"extra_days": 3},
}
CASES = [
    (name, state, role)
    for name, action in PROCESS.actions.items()
    if action.roles - {"system"}
    for state in [next(s for s in action.sources if s in ROUTES)]
    for role in ROLES
]


def bring_to(workflow, state: str) -> tuple[str, str]:
    code = submit(
        workflow,
        unit="NB" if state == "coordination" else "NB.HL.NT",
        procedure="1.001193" if state == "coordination" else "1.000656",
    )
    for action, role, params in ROUTES[state]:
        do(workflow, code, action, role, **params)
    unit = CENTRE if state == "coordination" else workflow.get_case(code)["agency_code"]
    return code, unit


@pytest.mark.parametrize("action,state,role", CASES, ids=[f"{a}-from-{s}-as-{r}" for a, s, r in CASES])
def test_every_action_for_every_role(workflow, action, state, role):
    code, unit = bring_to(workflow, state)
    assert workflow.get_case(code)["status"] == state
    allowed = role in PROCESS.actions[action].roles
    before = len(workflow.get_case(code)["history"])
    request = {"action": action, "reason": "Lý do", "params": PARAMS.get(action, {})}
    if allowed:
        view = workflow.act(code, request, actor(role, unit))
        target = PROCESS.actions[action].target
        assert view["status"] == (state if target == "same" else target)
        assert view["history"][-1]["action"] == action and len(view["history"]) == before + 1
        events = [row["event_type"] for row in workflow.db.outbox()][-2:]
        assert "motcua.workflow.v1.DossierStatusChanged" in events
        if action == "return_result":  # approved on the way here: the result goes to the registry
            assert events[-1] == "motcua.workflow.v1.ResultIssued"
    else:
        with pytest.raises(Forbidden) as err:
            workflow.act(code, request, actor(role, unit))
        assert err.value.code == "role_not_allowed"
        assert len(workflow.get_case(code)["history"]) == before


def test_every_action_is_covered():
    covered = {a for a, _, _ in CASES}
    assert covered == set(PROCESS.actions) - {"hold_for_coordination"}


def test_refusals_change_nothing(workflow):
    code, unit = bring_to(workflow, "received")
    outbox = len(workflow.db.outbox())
    with pytest.raises(InvalidInput) as err:  # not allowed in this state
        workflow.act(code, {"action": "approve"}, actor("leader", unit))
    assert err.value.code == "not_allowed_in_state"
    with pytest.raises(InvalidInput) as err:  # reason required
        workflow.act(code, {"action": "request_supplement", "reason": " "}, actor("receiver", unit))
    assert err.value.code == "reason_required"
    with pytest.raises(Forbidden) as err:  # another unit's officer
        workflow.act(code, {"action": "request_supplement", "reason": "x"}, actor("receiver", COMMUNE))
    assert err.value.code == "not_your_unit"
    with pytest.raises(InvalidInput):  # params checked
        workflow.act(code, {"action": "assign", "params": {"assignee": ""}}, actor("leader", unit))
    with pytest.raises(InvalidInput):  # unknown agency
        workflow.act(
            code,
            {"action": "transfer", "reason": "x", "params": {"to_agency": "nowhere"}},
            actor("handler", unit),
        )
    assert len(workflow.db.outbox()) == outbox and workflow.get_case(code)["status"] == "received"


def test_client_transaction_id_makes_actions_idempotent(workflow):
    code, unit = bring_to(workflow, "received")
    request = {"action": "assign", "params": {"assignee": "handler-1"}, "client_txn_id": "txn-0001-abcd"}
    first = workflow.act(code, request, actor("leader", unit))
    again = workflow.act(code, request, actor("leader", unit))
    assert not first["replayed"] and again["replayed"]
    assert [a["action"] for a in again["history"]].count("assign") == 1
    with pytest.raises(Conflict):
        workflow.act(
            code, {"action": "process_step", "client_txn_id": "txn-0001-abcd"}, actor("handler", unit)
        )


def test_supplement_stops_the_clock_and_resubmission_moves_the_due_date(workflow):
    code, unit = bring_to(workflow, "received")
    due = workflow.get_case(code)["due_at"]
    view = do(workflow, code, "request_supplement", "receiver")
    assert view["clock_stopped"] and view["pauses"][0]["reason"] == "Lý do kiểm thử"
    view = workflow.act(code, {"action": "resubmit"}, actor("citizen", None))
    assert not view["clock_stopped"] and view["status"] == "in_progress"
    assert view["due_at"] >= due  # same day here: no working day passed while stopped
    view = do(workflow, code, "extend_with_apology", "leader", extra_days=2)
    assert view["due_at"] > due and view["due_explanation"]["extension_days"] == 2
    assert "Văn bản xin lỗi và đề nghị gia hạn" in workflow.render_form(code, "04")


def _local(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, 0, tzinfo=LEGAL_TZ)  # November 2026: Monday 23rd


def test_chain_commune_province_commune_with_control_sheet():
    db = FakeDatabase(storage.metadata)
    code = "000.31.01.H41-261123-0001"
    event = parse_event(
        build_event(
            DossierSubmitted,
            {
                "dossier_code": code,
                "procedure_code": "1.003003",
                "procedure_version": 1,
                "receiving_agency_code": COMMUNE,
                "applicant_unit_code": "NB.HL.NT",
                "applicant_ref": "r",
                "channel": "online",
                "submitted_at": "2026-11-23T01:00:00Z",
            },
            source="intake",
            subject=code,
        )
    )

    def step(moment, action, role, unit, **params):
        with db.unit() as uow:
            if action == "open":
                open_case(uow, CATALOGUE, event.data, now=moment)
            else:
                apply(
                    uow,
                    CATALOGUE,
                    code,
                    ActionRequest(action, params, "chuyển"),
                    actor(role, unit),
                    now=moment,
                )

    step(_local(23), "open", None, None)
    step(_local(23), "receive", "receiver", COMMUNE)
    step(_local(24), "assign", "leader", COMMUNE, assignee="handler-1")
    step(_local(25), "transfer", "handler", COMMUNE, to_agency=LAND)  # day 2 of 3: early
    step(_local(26), "assign", "leader", LAND, assignee="handler-9")
    step(_local(26), "approve", "leader", LAND)
    step(
        _local(26) + timedelta(days=21), "transfer", "leader", LAND, to_agency=COMMUNE
    )  # 15 working days: late
    step(_local(26) + timedelta(days=22), "result_ready", "handler", COMMUNE)
    step(_local(26) + timedelta(days=22), "return_result", "receiver", COMMUNE)
    with db.unit() as uow:
        view = case_view(uow.session, CATALOGUE, code)
    steps = view["steps"]
    assert [(s["agency_code"], s["level"], s["budget_days"]) for s in steps] == [
        (COMMUNE, "commune", 3),
        (LAND, "province", 14),
        (COMMUNE, "commune", 1),
    ]
    assert [s["outcome"] for s in steps] == ["early", "late", "on_time"]
    assert steps[0]["handed_to"] == LAND and steps[1]["handed_to"] == COMMUNE
    assert view["status"] == "returned" and view["outcome"] == "late"  # 18 days budget, finished on day 22
    from services.workflow.adapters import forms

    sheet = forms.render("06", view, CATALOGUE, FORM_CONTEXT)
    assert sheet.count("<tr class=") == 3
    assert "Trễ hạn" in sheet and "Trước hạn" in sheet and "Văn phòng Đăng ký đất đai tỉnh" in sheet
    assert "Cấp xã" in sheet and "Cấp tỉnh" in sheet and ">commune<" not in sheet


def test_only_a_province_administrator_may_merge_units(workflow):
    """Merging units changes the province's catalogue: its administrator's task (ADR 0008), no longer a leader's."""
    request = {"sources": ["NB.HL.NT"], "successor": "NB.YK.YN", "effective_on": "2026-12-01"}
    with pytest.raises(Forbidden) as commune:
        workflow.merge_units(request, actor("admin", "000.32.01.H41"))
    assert commune.value.code == "province_only"
    for role in ("leader", "handler"):
        with pytest.raises(Forbidden) as refused:
            workflow.merge_units(request, actor(role, CENTRE))
        assert refused.value.code == "role_not_allowed"
    assert workflow.db.rows("unit_merges") == []


def test_unit_merge_moves_open_dossiers_keeps_history_and_rolls_up_statistics(workflow):
    a = submit(workflow, procedure="1.001193", unit="NB.HL.NT")  # commune agency 000.31.01.H41
    b = submit(workflow, procedure="1.001193", unit="NB.HL.DT")  # commune agency 000.31.02.H41
    done = submit(workflow, procedure="1.001193", unit="NB.HL.DT")
    for code in (a, b):
        do(workflow, code, "receive", "receiver")
    for action, role, params in ROUTES["result_ready"]:
        do(workflow, done, action, role, **params)
    do(workflow, done, "return_result", "receiver")
    before = {c: workflow.get_case(c)["history"] for c in (a, b)}
    result = workflow.merge_units(
        {"sources": ["NB.HL.NT", "NB.HL.DT"], "successor": "NB.YK.YN", "effective_on": "2026-12-01"},
        actor("admin", CENTRE),
    )
    assert result["moved_cases"] == 2
    for code in (a, b):
        case = workflow.get_case(code)
        assert case["agency_code"] == "000.32.01.H41" and case["status"] == "received"
        assert case["receiving_agency_code"] == CENTRE
        assert case["history"][: len(before[code])] == before[code]
        assert case["history"][-1]["action"] == "unit_merged"
    stats = workflow.statistics({"unit": "NB.YK.YN"})
    assert set(stats["units"]) == {"NB.YK.YN", "NB.HL.NT", "NB.HL.DT"}
    assert stats["in_progress"] == 2 and stats["finished"] == 1 and stats["received"] == 3
    # Their first steps moved with them: they now count for the successor's agency, no longer for the old ones.
    assert workflow.statistics({"agency": "000.32.01.H41"})["in_progress"] == 2
    assert workflow.statistics({"agency": "000.31.01.H41"})["in_progress"] == 0
    # The merged commune's queue now holds them, soonest due first.
    assert {i["dossier_code"] for i in workflow.work_queue("000.32.01.H41")["items"]} == {a, b}


def test_statistics_rating_and_forms(workflow):
    code, unit = bring_to(workflow, "result_ready")
    do(workflow, code, "return_result", "receiver")
    citizen = actor("citizen", None)
    assert workflow.rate(code, {"score": 5, "comment": "Nhanh"}, citizen)["score"] == 5
    with pytest.raises(InvalidInput):
        workflow.rate(code, {"score": 4}, citizen)
    stats = workflow.statistics({"level": "province"})
    assert (
        stats["finished_early"] == 1 and stats["on_time_rate"] == 1.0 and stats["satisfaction_average"] == 5
    )
    assert "Giấy tiếp nhận hồ sơ" in workflow.render_form(code, "01")
    with pytest.raises(InvalidInput):
        workflow.render_form(code, "03")  # never refused
    assert code in workflow.render_logbook(unit)


def test_coordination_queue_is_the_service_centres(workflow):
    code, unit = bring_to(workflow, "coordination")
    assert unit == CENTRE
    assert [i["dossier_code"] for i in workflow.work_queue(CENTRE)["items"]] == [code]
    view = do(workflow, code, "receive", "receiver", unit=CENTRE, to_agency=COMMUNE)
    assert view["status"] == "received" and view["agency_code"] == COMMUNE and view["due_at"]
    assert workflow.work_queue(CENTRE)["items"] == []


def test_deadline_timer_flags_due_soon_and_overdue_once(workflow):
    overdue, _ = bring_to(workflow, "in_progress")
    soon, _ = bring_to(workflow, "received")
    paused, _ = bring_to(workflow, "awaiting_supplement")
    now = datetime.now(LEGAL_TZ)
    with workflow.db.unit() as uow:
        uow.session.execute(
            storage.cases.update()
            .where(storage.cases.c.dossier_code == overdue)
            .values(due_at=now - timedelta(days=3))
        )
        uow.session.execute(
            storage.cases.update()
            .where(storage.cases.c.dossier_code.in_([soon, paused]))
            .values(due_at=now + timedelta(minutes=30))
        )
    workflow.check_deadlines()
    workflow.check_deadlines()  # a second run (or a second replica) flags nothing again
    events = [
        (row["event_type"].rsplit(".", 1)[1], row["subject"])
        for row in workflow.db.outbox()
        if not row["event_type"].endswith("DossierStatusChanged")
    ]
    assert sorted(events) == sorted([("CaseOverdue", overdue), ("CaseDueSoon", soon)])


def test_officer_actions_enter_the_audit_chain_and_it_verifies(workflow):
    code, _unit = bring_to(workflow, "result_ready")
    rows = workflow.db.rows("audit_log")
    assert [r["action"] for r in rows] == [f"case.{action}" for action, _, _ in ROUTES["result_ready"]]
    assert all(r["target"] == code and r["actor"].startswith("officer:") for r in rows)
    assert workflow.audit_verify() == {
        "ok": True,
        "entries": len(rows),
        "head_seq": len(rows),
        "first_bad_seq": None,
        "reason": "",
    }
    # System actions (routing to coordination) are in the action log, not in the officers' audit chain.
    held, _ = bring_to(workflow, "coordination")
    assert workflow.get_case(held)["history"][0]["action"] == "hold_for_coordination"
    assert all(r["target"] != held for r in workflow.db.rows("audit_log"))


def test_the_case_says_what_each_allowed_action_needs_as_the_process_defines_it(workflow):
    code = submit(workflow)
    receiver = workflow.get_case(code, actor("receiver", JUSTICE))
    assert set(receiver["allowed_actions"]) == {"receive", "request_completion", "refuse_receipt"}
    assert receiver["action_requirements"]["refuse_receipt"] == {"reason": True, "params": []}
    assert receiver["action_requirements"]["request_completion"] == {"reason": True, "params": []}
    do(workflow, code, "receive", "receiver")
    leader = workflow.get_case(code, actor("leader", JUSTICE))
    needs = leader["action_requirements"]
    assert set(needs) == set(leader["allowed_actions"])
    assert needs["assign"] == {"reason": False, "params": ["assignee"]}
    assert needs["stop"]["reason"] is True
    assert needs["extend_with_apology"] == {"reason": True, "params": ["extra_days"]}
    assert workflow.get_case(code)["action_requirements"] is None  # nobody asked: no actions, no needs


def test_public_status_events_never_name_the_citizen_nor_carry_their_text(workflow):
    """A citizen's resubmission: the event says "applicant", without the citizen's reason; an officer's event keeps
    the officer's subject and reason."""
    code, _unit = bring_to(workflow, "awaiting_supplement")
    workflow.act(
        code, {"action": "resubmit", "reason": "Tôi là 037090000001, bổ sung"}, actor("citizen", None)
    )
    changes = [
        parse_event(json.loads(row["envelope"]))
        for row in workflow.db.outbox()
        if row["subject"] == code and "DossierStatusChanged" in row["event_type"]
    ]
    by_action = {c.data.action: c.data for c in changes}
    assert by_action["resubmit"].actor == "applicant" and by_action["resubmit"].reason == ""
    assert by_action["request_supplement"].actor == "receiver-1"
    assert by_action["request_supplement"].reason == "Lý do kiểm thử"
    assert not any("037090000001" in str(row["envelope"]) for row in workflow.db.outbox())


def test_seeking_another_agencys_opinion_is_logged_and_announced_and_moves_nothing(workflow):
    """seek_opinion, defined in the process definition only (no handler of its own): reason required, the case
    stays where it is with its clock running, and the log, the audit chain and the status event say it."""
    code, unit = bring_to(workflow, "in_progress")
    before = workflow.get_case(code, actor("handler", unit))
    assert "seek_opinion" in before["allowed_actions"]
    assert before["action_requirements"]["seek_opinion"] == {"reason": True, "params": []}
    with pytest.raises(InvalidInput) as err:
        workflow.act(code, {"action": "seek_opinion", "reason": " "}, actor("handler", unit))
    assert err.value.code == "reason_required"
    for role in ("citizen", "receiver"):
        with pytest.raises(Forbidden):
            workflow.act(code, {"action": "seek_opinion", "reason": "x"}, actor(role, unit))
    asked = "Xin ý kiến Sở Xây dựng về chỉ giới xây dựng"
    view = workflow.act(code, {"action": "seek_opinion", "reason": asked}, actor("handler", unit))
    assert (view["status"], view["agency_code"], view["due_at"]) == ("in_progress", unit, before["due_at"])
    assert not view["clock_stopped"] and view["pauses"] == [] and view["steps"] == before["steps"]
    entry = view["history"][-1]
    assert (entry["action"], entry["reason"], entry["actor"]) == ("seek_opinion", asked, "handler-1")
    change = parse_event(json.loads(workflow.db.outbox()[-1]["envelope"])).data
    assert (change.action, change.from_status, change.to_status, change.reason) == (
        "seek_opinion",
        "in_progress",
        "in_progress",
        asked,
    )
    assert workflow.db.rows("audit_log")[-1]["action"] == "case.seek_opinion"
    received, unit = bring_to(workflow, "received")  # only while it is being processed
    with pytest.raises(InvalidInput) as err:
        workflow.act(received, {"action": "seek_opinion", "reason": asked}, actor("handler", unit))
    assert err.value.code == "not_allowed_in_state"


def test_the_act_rpc_takes_the_actions_the_process_definitions_name(workflow):
    """No list of actions beside the definitions: an unknown name is refused as before, and so is an action only the
    platform takes (routing)."""
    code, unit = bring_to(workflow, "received")
    for name in ("fly", "hold_for_coordination"):
        with pytest.raises(InvalidInput) as err:
            workflow.act(code, {"action": name}, actor("leader", unit))
        assert err.value.code == "invalid_request" and "action" in err.value.details["fields"]

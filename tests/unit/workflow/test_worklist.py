"""The officers' worklist on the real workflow service (worker_factory, real catalogue, real SQL on SQLite): views
and their counts agree with the rows they list, search by code or by the codes intake found, keyset pages forward
and back, the "due soon" boundary in working days (a province setting shared with the CaseDueSoon event), export."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.chassis.clock import LEGAL_TZ
from services.chassis.errors import InvalidInput
from services.workflow.adapters import storage
from services.workflow.domain import worklist as rules
from services.workflow.use_cases import worklist
from tests.unit.workflow.test_actions import CATALOGUE, bring_to, do
from tests.unit.workflow.test_actions import workflow as workflow  # noqa: F401 - the fixture

JUSTICE = "000.00.07.H41"


def _set(workflow, code, **values):
    with workflow.db.unit() as uow:
        uow.session.execute(
            storage.cases.update().where(storage.cases.c.dossier_code == code).values(**values)
        )


def _every(workflow, unit, **request):
    """Every row of a view, read page by page (2 a page) through the `next` cursors."""
    seen, after = [], None
    while True:
        page = workflow.worklist(unit, {**request, "limit": 2, **({"after": after} if after else {})})
        seen += [i["dossier_code"] for i in page["items"]]
        if not page["next"]:
            return seen, page
        after = page["next"]


@pytest.fixture
def desk(workflow):
    """A unit's queue with one case in each situation a worklist tells apart."""
    waiting, unit = bring_to(workflow, "submitted")
    received, _ = bring_to(workflow, "received")
    mine, _ = bring_to(workflow, "in_progress")  # assigned to handler-1
    soon, _ = bring_to(workflow, "received")
    late, _ = bring_to(workflow, "received")
    paused, _ = bring_to(workflow, "awaiting_supplement")
    now = datetime.now(timezone.utc)
    _set(workflow, received, due_at=now + timedelta(days=40))
    _set(workflow, mine, due_at=now + timedelta(days=30))
    _set(workflow, soon, due_at=now + timedelta(minutes=30))
    _set(workflow, late, due_at=now - timedelta(days=2))
    _set(workflow, paused, due_at=now - timedelta(days=1))
    codes = dict(waiting=waiting, received=received, mine=mine, soon=soon, late=late, paused=paused)
    return workflow, unit, codes


def test_views_count_what_they_list(desk):
    workflow, unit, c = desk
    expected = {
        "all": set(c.values()),
        "mine": {c["mine"]},
        "unassigned": {c["received"], c["soon"], c["late"]},  # received, nobody assigned yet
        "awaiting_receipt": {c["waiting"]},
        "due_soon": {c["soon"]},
        "overdue": {c["late"]},  # the paused case's date moves when the applicant answers: not overdue
    }
    for view, codes in expected.items():
        listed, page = _every(workflow, unit, view=view, me="handler-1")
        assert set(listed) == codes, view
        assert len(listed) == len(set(listed)), view  # no row twice across pages
        assert page["counts"] == {v: len(expected[v]) for v in rules.VIEWS}
    # "mine" is nobody's without a subject; filters narrow every count at once.
    assert workflow.worklist(unit, {"view": "mine"})["items"] == []
    page = workflow.worklist(unit, {"status": "received"})
    assert page["counts"]["all"] == 3 and page["counts"]["awaiting_receipt"] == 0


def test_rows_carry_their_marks_and_the_most_urgent_come_first(desk):
    workflow, unit, c = desk
    items = {i["dossier_code"]: i for i in workflow.worklist(unit, {})["items"]}
    assert items[c["late"]]["overdue"] and not items[c["late"]]["due_soon"]
    assert items[c["soon"]]["due_soon"] and not items[c["soon"]]["overdue"]
    assert not items[c["received"]]["due_soon"] and not items[c["paused"]]["overdue"]
    assert items[c["waiting"]]["receipt_due_at"] and items[c["waiting"]]["due_at"] is None
    order = [i["dossier_code"] for i in workflow.worklist(unit, {})["items"]]
    assert (
        order.index(c["late"]) < order.index(c["soon"]) < order.index(c["mine"]) < order.index(c["received"])
    )


def test_previous_pages_walk_back_to_the_first(desk):
    workflow, unit, _ = desk
    forward, pages, after = [], [], None
    while True:
        page = workflow.worklist(unit, {"limit": 2, **({"after": after} if after else {})})
        pages.append(page)
        forward += [i["dossier_code"] for i in page["items"]]
        if not page["next"]:
            break
        after = page["next"]
    assert pages[0]["previous"] is None and len(pages) == 3
    back = workflow.worklist(unit, {"limit": 2, "before": pages[-1]["previous"]})
    assert [i["dossier_code"] for i in back["items"]] == forward[2:4] and back["next"] and back["previous"]
    first = workflow.worklist(unit, {"limit": 2, "before": back["previous"]})
    assert [i["dossier_code"] for i in first["items"]] == forward[:2] and first["previous"] is None


def test_search_by_code_or_by_the_codes_intake_found(desk):
    workflow, unit, c = desk
    piece = c["soon"][:9]  # the random head of a test code
    assert [i["dossier_code"] for i in workflow.worklist(unit, {"q": piece.lower()})["items"]] == [c["soon"]]
    found = workflow.worklist(unit, {"q": "Nguyễn Văn An", "codes": [c["late"], "ELSEWHERE-1"]})
    assert [i["dossier_code"] for i in found["items"]] == [c["late"]] and found["counts"]["all"] == 1
    assert workflow.worklist(unit, {"q": "Nguyễn Văn An"})["items"] == []  # a name alone matches no code
    # Another unit's officer never sees these cases, whatever the search.
    assert workflow.worklist("000.31.01.H41", {"q": piece, "codes": list(c.values())})["items"] == []


def test_due_soon_is_a_province_setting_in_working_days(desk, monkeypatch):
    workflow, unit, c = desk
    monday = datetime(2027, 3, 1, 9, 0, tzinfo=LEGAL_TZ)  # an ordinary week
    calendar = CATALOGUE.clock.calendar
    assert rules.soon_until(calendar, monday, 0) == datetime(2027, 3, 2, tzinfo=LEGAL_TZ)
    assert rules.soon_until(calendar, monday, 2) == datetime(2027, 3, 4, tzinfo=LEGAL_TZ)
    friday = datetime(2027, 3, 5, 9, 0, tzinfo=LEGAL_TZ)  # the weekend is not counted
    assert rules.soon_until(calendar, friday, 1) == datetime(2027, 3, 9, tzinfo=LEGAL_TZ)
    for days in range(4):
        until = rules.soon_until(calendar, friday, days)
        inside, outside = until - timedelta(minutes=1), until + timedelta(hours=10)
        assert CATALOGUE.clock.working_days_left(friday, inside) <= days
        assert CATALOGUE.clock.working_days_left(friday, outside) > days
    monkeypatch.setenv("MOTCUA_DUE_SOON_WORKING_DAYS", "45")
    assert worklist.due_soon_days() == 45
    page = workflow.worklist(unit, {"view": "due_soon"})
    assert page["due_within"] == 45 and {i["dossier_code"] for i in page["items"]} == {
        c["soon"],
        c["mine"],
        c["received"],  # 40 calendar days are fewer than 45 working days
    }
    assert workflow.worklist(unit, {"view": "due_soon", "due_within": 0})["counts"]["due_soon"] == 1
    monkeypatch.setenv("MOTCUA_DUE_SOON_WORKING_DAYS", "many")
    assert worklist.due_soon_days() == worklist.DEFAULT_DUE_SOON_WORKING_DAYS


def test_the_deadline_timer_uses_the_same_setting(desk, monkeypatch):
    workflow, _, c = desk
    monkeypatch.setenv("MOTCUA_DUE_SOON_WORKING_DAYS", "45")
    workflow.check_deadlines()
    soon = {r["subject"] for r in workflow.db.outbox() if r["event_type"].endswith("CaseDueSoon")}
    assert soon == {c["soon"], c["mine"], c["received"]}  # 40 calendar days are fewer than 45 working days


def test_bad_requests_are_refused(desk):
    workflow, unit, _ = desk
    for request in ({"view": "everything"}, {"limit": 500}, {"due_within": -1}, {"colour": "red"}):
        with pytest.raises(InvalidInput):
            workflow.worklist(unit, request)
    with pytest.raises(InvalidInput) as refused:
        workflow.worklist(unit, {"after": "not-a-cursor"})
    assert refused.value.code == "invalid_cursor"


def test_export_holds_the_whole_filter_and_the_old_queue_rpc_still_answers(desk):
    workflow, unit, c = desk
    exported = workflow.worklist_export(unit, {"view": "unassigned"})
    assert {i["dossier_code"] for i in exported["items"]} == {c["received"], c["soon"], c["late"]}
    assert exported["truncated"] is False
    old = workflow.work_queue(unit, "received", None, None, 1, None)
    assert len(old["items"]) == 1 and old["next"]
    assert workflow.worklist_agencies(unit) == sorted({unit, "000.00.29.H41"})
    do(workflow, c["late"], "assign", "leader", assignee="handler-9")
    assert c["late"] not in {
        i["dossier_code"] for i in workflow.worklist_export(unit, {"view": "unassigned"})["items"]
    }

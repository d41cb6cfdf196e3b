"""The gateway's worklist (services/gateway/worklist.py) against real intake, workflow and registry workers
(worker_factory, SQLite; the dossiers intake files open their cases in workflow from intake's own outbox rows):
search by name, ID number, phone and code within the officer's unit, views and counts, bulk assignment with partial
failures, the staff directory's fallback, and the CSV and XLSX exports read back."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import pytest
import structlog
from nameko.exceptions import MethodNotFound
from nameko.testing.services import worker_factory
from openpyxl import load_workbook

from services.chassis.errors import InvalidInput
from services.chassis.events import parse_event
from services.gateway import exports, worklist
from services.gateway.identity import Principal
from services.gateway.vocabulary import VocabularyCache
from services.workflow.adapters import storage as workflow_storage
from services.workflow.service import WorkflowService
from tests.support import FakeDatabase
from tests.unit.intake.test_queue_search import BINH_PERSON, JUSTICE
from tests.unit.intake.test_service import PERSON, _Reply, intake_worker
from tests.unit.registry.test_reads import AN, BINH, _registry
from tests.unit.workflow.test_actions import CATALOGUE

CHAU = "037201000003"


class _Bridge:
    def __init__(self, worker, name: str):
        self.worker, self.name = worker, name

    def call_async(self, *args, **kwargs):
        method = getattr(self.worker, self.name, None)
        if method is None:
            return _Reply(MethodNotFound(self.name))
        try:
            return _Reply(method(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - the RPC reply carries it back
            return _Reply(exc)


class _Proxy:
    """An RPC proxy answered by a real worker (a method it lacks is MethodNotFound, as nameko answers)."""

    def __init__(self, worker, extra: dict | None = None):
        self._worker, self._extra = worker, extra or {}

    def __getattr__(self, name):
        if name in self._extra:
            return _Bridge(SimpleNamespace(**{name: self._extra[name]}), name)
        return _Bridge(self._worker, name)


def officer(sub: str = "leader-1", unit: str = JUSTICE, roles=("leader",)) -> Principal:
    return Principal(subject=sub, kind="officer", name="", unit=unit, roles=frozenset(roles), issuer="test")


@pytest.fixture
def platform():
    registry = _registry()
    intake = intake_worker()
    chau = {**PERSON, "id_number": CHAU, "full_name": "Lê Minh Châu", "phone": "0912345603"}
    people = {AN: PERSON, BINH: BINH_PERSON, CHAU: chau}
    intake.registry.get_person.call_async.side_effect = lambda id_number, *a: _Reply(people[id_number])
    intake.registry.record_reads.call_async.side_effect = lambda *a: _Reply(registry.record_reads(*a))
    workflow = worker_factory(
        WorkflowService,
        db=FakeDatabase(workflow_storage.metadata, handler="workflow.on_dossier_submitted"),
        catalogue=CATALOGUE,
    )
    filed = {}
    for id_number in (AN, BINH, CHAU):
        code = intake.submit_dossier(
            {"procedure_code": "1.000656", "applicant": {"id_number": id_number}},
            {"subject": id_number, "kind": "citizen"},
        )["code"]
        filed[id_number] = code
    for row in intake.db.outbox():
        if row["event_type"].endswith("DossierSubmitted"):
            workflow.on_dossier_submitted(parse_event(json.loads(row["envelope"])))
    service = SimpleNamespace(
        workflow=_Proxy(workflow),
        intake=_Proxy(intake),
        log=structlog.get_logger(),
        vocabulary=VocabularyCache(),
    )
    return SimpleNamespace(service=service, workflow=workflow, registry=registry, filed=filed)


def _codes(answer) -> set[str]:
    return {i["dossier_code"] for i in answer["items"]}


def test_search_finds_the_right_dossiers_only_within_the_unit(platform):
    service, filed = platform.service, platform.filed
    for text, who in (
        ("nguyen van an", AN),
        ("Trần Thị Bình", BINH),
        (CHAU, CHAU),
        ("0912 345 602", BINH),
        (filed[CHAU][-12:], CHAU),  # the day and daily number of a code
    ):
        answer = worklist.page(service, officer(), worklist.query({"q": text}))
        assert _codes(answer) == {filed[who]}, text
        assert answer["counts"]["all"] == 1 and answer["counts"]["awaiting_receipt"] == 1
    item = worklist.page(service, officer(), worklist.query({"q": AN}))["items"][0]
    assert item["applicant_name"] == "Nguyễn Văn An" and item["applicant_id_masked"] == "********0001"
    assert "0912345601" not in str(item)
    elsewhere = worklist.page(service, officer(unit="000.31.01.H41"), worklist.query({"q": AN}))
    assert elsewhere["items"] == [] and elsewhere["counts"]["all"] == 0
    assert [e["requester"] for e in platform.registry.access_log(AN)] == [
        f"leader-1@{JUSTICE}"
    ] * 2  # two searches matched An; the other unit's none


def test_bulk_assignment_assigns_each_and_reports_each_refusal(platform):
    service, filed, workflow = platform.service, platform.filed, platform.workflow
    receiver = officer("receiver-1", roles=("receiver",))
    for code in (filed[AN], filed[BINH]):
        workflow.act(code, {"action": "receive"}, {**_viewer(receiver)})
    page = worklist.page(service, officer(), worklist.query({"view": "unassigned"}))
    assert _codes(page) == {filed[AN], filed[BINH]} and page["counts"]["awaiting_receipt"] == 1
    result = worklist.assign(
        service, officer(), [filed[AN], filed[BINH], filed[CHAU], "NO-SUCH"], "handler-7", "bulk:t1"
    )
    assert result["assigned"] == 2 and result["failed"] == 2, result
    refused = {r["dossier_code"]: r["code"] for r in result["results"] if not r["ok"]}
    assert refused[filed[CHAU]] in ("action_not_allowed", "not_allowed_in_state") and "NO-SUCH" in refused
    again = worklist.assign(service, officer(), [filed[AN]], "handler-7", "bulk:t1")  # a retried form
    assert again["assigned"] == 1
    history = [h["action"] for h in workflow.get_case(filed[AN])["history"]]
    assert history.count("assign") == 1
    mine = worklist.page(service, officer("handler-7", roles=("handler",)), worklist.query({"view": "mine"}))
    assert _codes(mine) == {filed[AN], filed[BINH]}
    with pytest.raises(InvalidInput):
        worklist.assign(service, officer(), [], "handler-7")
    # A receiver's roles may not assign: every dossier says so, none is assigned.
    assert worklist.assign(service, receiver, [filed[AN]], "handler-8")["assigned"] == 0


def test_the_staff_directory_names_and_checks_the_assignee_when_there_is_one(platform):
    service = platform.service
    assert worklist.staff(service, JUSTICE) == []  # workflow without staff_list: MethodNotFound
    people = [
        {"subject": "handler-2", "full_name": "Vũ Thị Hà", "unit": JUSTICE, "roles": ["handler"]},
        {"subject": "handler-1", "full_name": "Đỗ Văn Bắc", "unit": JUSTICE, "roles": ["handler"]},
    ]
    service.workflow = _Proxy(platform.workflow, {"staff_list": lambda unit: people})
    assert [p["subject"] for p in worklist.staff(service, JUSTICE)] == ["handler-1", "handler-2"]
    with pytest.raises(InvalidInput) as refused:
        worklist.assign(service, officer(), [platform.filed[AN]], "someone-else")
    assert refused.value.code == "unknown_assignee"


def test_exports_hold_what_the_page_shows_and_nothing_runs_as_a_formula(platform):
    service, filed = platform.service, platform.filed
    items = worklist.export(service, officer(), worklist.query({}))["items"]
    assert {i["dossier_code"] for i in items} == set(filed.values())
    items[0]["applicant_name"] = '=HYPERLINK("http://x")'
    header, body = exports.rows(items, lambda i: ("Lý lịch tư pháp", "Chờ tiếp nhận"), lambda vi, en: vi)
    text = exports.to_csv(header, body).decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert table[0][:3] == ["Mã hồ sơ", "Người nộp", "Số định danh"] and len(table) == 4
    assert {r[2] for r in table[1:]} == {"********0001", "********0002", "********0003"}
    assert table[1][1].startswith("'=") and "0912345601" not in text and AN not in text
    book = load_workbook(io.BytesIO(exports.to_xlsx(header, body, [("Nguồn", "thử")], "Ho so")))
    rows = list(book["Ho so"].iter_rows(values_only=True))
    assert rows[0] == tuple(header) and {r[2] for r in rows[1:]} == {
        "********0001",
        "********0002",
        "********0003",
    }
    assert list(book["Nguon - Source"].iter_rows(values_only=True)) == [("Nguồn", "thử")]


def test_query_parameters_are_checked_before_any_call():
    assert worklist.query({"limit": "20", "q": "  an ", "view": "", "cursor": "x"}) == {
        "limit": 20,
        "q": "an",
    }
    for bad in ({"limit": "0"}, {"limit": "x"}, {"due_within": "61"}):
        with pytest.raises(InvalidInput):
            worklist.query(bad)


def _viewer(principal: Principal) -> dict:
    return {
        "subject": principal.subject,
        "kind": principal.kind,
        "unit": principal.unit,
        "roles": sorted(principal.roles),
    }


def _page(platform, principal, query: str = ""):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from services.gateway.routes.queue_pages import QueuePages
    from services.gateway.web.base import WebRequest

    request = Request(EnvironBuilder(path="/can-bo", query_string=query).get_environ())
    wr = WebRequest(request, SimpleNamespace(csp="default-src 'none'"), principal, "")
    return QueuePages.queue_page.__wrapped__(platform.service, wr, *()).get_data(as_text=True)


def test_the_page_shows_views_marks_and_the_bulk_form_to_those_who_may_assign(platform):
    receiver = officer("receiver-1", roles=("receiver",))
    platform.workflow.act(platform.filed[AN], {"action": "receive"}, _viewer(receiver))
    html = _page(platform, officer(), "tim=nguyen+van+an")
    assert "Nguyễn Văn An" in html and "********0001" in html and "0912345601" not in html
    assert 'name="ho-so"' in html and 'id="can-bo-khac"' in html  # no staff directory: a user id is typed
    assert "Chưa phân công" in html and "nhật ký truy cập" in html
    plain = _page(platform, receiver, "xem=awaiting_receipt&co=20")
    assert 'name="ho-so"' not in plain and 'aria-current="page"' in plain
    assert platform.filed[BINH] in plain and platform.filed[AN] not in plain


def test_control_characters_are_refused_and_never_reach_a_file(platform):
    for raw in ({"q": "an\x00"}, {"status": "received\x1b"}, {"procedure_code": "1.0\x00"}):
        with pytest.raises(InvalidInput):
            worklist.query(raw)
    with pytest.raises(InvalidInput):
        worklist.assign(platform.service, officer(), ["000.00.07.H41-261207-0001\x00"], "handler-1")
    with pytest.raises(InvalidInput):
        platform.workflow.worklist(JUSTICE, {"q": "x\x00"})
    header, body = exports.rows([{"dossier_code": "A\x07B"}], lambda i: ("", ""), lambda vi, en: vi)
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(header, body, [("k", "v\x00")], "Ho so"))).worksheets[0]
    assert sheet["A2"].value == "AB"

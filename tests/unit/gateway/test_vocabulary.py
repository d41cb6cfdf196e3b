"""The gateway names actions, roles and states from the process definitions only: workflow's real
`process_vocabulary()` answer, cached per process, read again every few minutes, and codes shown as they are when
workflow cannot be reached. The pages (dossier, queue, development sign-in) and `POST /dev/token` use it."""

from __future__ import annotations

import functools
from unittest.mock import Mock

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.chassis.errors import NotFound
from services.gateway import ratelimit, sessions, storage
from services.gateway.auth import SessionGate
from services.gateway.identity import DevIdentityProvider, TokenVerifier
from services.gateway.service import GatewayService
from services.gateway.vocabulary import NO_WORDS, VocabularyCache, Words
from services.gateway.web.base import WebSupport
from services.gateway.web.session import Sessions
from tests.support import FakeDatabase

UNIT = "000.00.07.H41"


@functools.cache
def _answer() -> dict:
    """What workflow answers, from its real process definitions."""
    from services.workflow.service import Catalogue, WorkflowService

    catalogue = Catalogue()
    catalogue.setup()
    return worker_factory(WorkflowService, catalogue=catalogue).process_vocabulary()


class _Reply:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _Workflow:
    """The workflow RPC proxy as `services.chassis.rpc.call` uses it: counts the calls; `down` = broker gone."""

    def __init__(self):
        self.calls, self.down = 0, False
        self.process_vocabulary = self

    def call_async(self):
        self.calls += 1
        if self.down:
            raise ConnectionError("broker unreachable")
        return _Reply(_answer())


def test_words_name_actions_records_states_and_roles_from_the_process_definition():
    words = Words(_answer())
    assert words.known
    assert words.action("refuse_receipt") == {"vi": "Từ chối tiếp nhận", "en": "Refuse receipt"}
    assert words.action("fee_paid", "standard") == {"vi": "Đã nộp phí, lệ phí", "en": "Fee paid"}  # a record
    assert words.status("awaiting_supplement") == {"vi": "Chờ bổ sung", "en": "Awaiting supplement"}
    assert words.role("leader") == {"vi": "Lãnh đạo", "en": "Leader", "kind": "officer"}
    assert words.officer_roles() == ["receiver", "handler", "leader", "admin"]
    assert words.is_action("withdraw") and not words.is_action("fee_paid") and not words.is_action("rated")
    assert "submitted" in words.open_statuses() and "returned" not in words.open_statuses()
    assert set(words.open_statuses()) < set(words.statuses())
    # A code no definition names is shown as it is.
    assert words.action("teleport") == {"vi": "teleport", "en": "teleport"}
    assert words.status("limbo", "no-such-process") == {"vi": "limbo", "en": "limbo"}


def test_without_an_answer_every_code_is_its_own_name():
    assert not NO_WORDS.known
    assert NO_WORDS.action("receive") == {"vi": "receive", "en": "receive"}
    assert NO_WORDS.officer_roles() == [] and NO_WORDS.statuses() == []


def test_the_cache_reads_once_per_period_keeps_the_last_answer_and_retries_later():
    now = [100.0]
    cache = VocabularyCache(refresh=300, retry=30, clock=lambda: now[0])
    workflow = _Workflow()
    workflow.down = True
    assert cache.words(workflow) is NO_WORDS and workflow.calls == 1
    now[0] += 10
    assert cache.words(workflow) is NO_WORDS and workflow.calls == 1  # not on every request
    now[0] += 25
    workflow.down = False
    words = cache.words(workflow)
    assert words.known and workflow.calls == 2
    now[0] += 299
    assert cache.words(workflow) is words and workflow.calls == 2
    now[0] += 2
    workflow.down = True
    assert cache.words(workflow) is words and workflow.calls == 3  # stale words beat codes


def test_a_non_vocabulary_answer_is_not_taken():
    workflow = Mock()  # answers a Mock, not a dict
    assert VocabularyCache().words(workflow) is NO_WORDS


# -- the pages and the development token, on a GatewayService worker --------------------------------------------
@pytest.fixture()
def gateway(tmp_path):
    idp = DevIdentityProvider(
        tmp_path / "key.pem", issuer="http://gw/dev-idp", audience="motcua", env="local"
    )
    db = FakeDatabase(storage.metadata, "gateway")
    gate = SessionGate(TokenVerifier([idp.issuer_config()]), sessions.Policy.from_env(), db.autocommit, idp)
    web = WebSupport.__new__(WebSupport)
    web.sessions = Sessions(b"unit-secret", secure=False)
    web.csp = "default-src 'none'"
    web.signin_limit = web.submit_limit = web.lookup_limit = ratelimit.SlidingWindow(100, 60)
    web.login = {
        "authorize_url": "/dev-idp/authorize",
        "token_url": "http://gw/dev-idp/token",
        "client_id": "motcua-web",
        "client_secret": "",
        "redirect_uri": "http://gw/dang-nhap/xong",
    }
    web.dev_codes = {}
    workflow, intake, payment, notify, registry = Mock(), Mock(), Mock(), Mock(), Mock()
    workflow.process_vocabulary.call_async.return_value.result.return_value = _answer()
    workflow.list_procedures.call_async.return_value.result.return_value = []
    workflow.list_agencies.call_async.return_value.result.return_value = [
        {"code": UNIT, "name": "Sở Tư pháp"}
    ]
    registry.sign_in_samples.call_async.return_value.result.return_value = []
    for optional in (payment.get_payment, workflow.result_document, notify.list_notifications):
        optional.call_async.return_value.result.side_effect = NotFound("not_found", "-")
    service = worker_factory(
        GatewayService,
        auth=gate,
        web=web,
        db=db,
        workflow=workflow,
        intake=intake,
        payment=payment,
        notify=notify,
        registry=registry,
        vocabulary=VocabularyCache(),
    )
    return service, idp


def _request(path: str, method: str = "GET", cookie: str = "", data=None, json=None) -> Request:
    headers = {"Cookie": f"motcua_session={cookie}"} if cookie else {}
    return Request(
        EnvironBuilder(path=path, method=method, headers=headers, data=data, json=json).get_environ()
    )


def _rpc(proxy_method, value):
    proxy_method.call_async.return_value.result.return_value = value


def test_the_dossier_page_names_actions_and_history_from_the_vocabulary(gateway):
    service, idp = gateway
    officer = idp.issue("receiver-1", kind="officer", unit=UNIT, roles=["receiver"])
    _rpc(
        service.intake.get_dossier,
        {
            "code": "D-1",
            "procedure_code": "1.000656",
            "receiving_agency_code": UNIT,
            "channel": "online",
            "submitted_at": "2026-03-02T01:00:00Z",
            "applicant": {"full_name": "A", "id_number": "037090000001"},
            "contact": {},
            "documents": [],
        },
    )
    _rpc(
        service.workflow.get_case,
        {
            "status": "in_progress",
            "status_label": {"vi": "Đang xử lý", "en": "In progress"},
            "agency_code": UNIT,
            "steps": [],
            "received_at": "2026-03-02T02:00:00Z",
            "due_at": None,
            "clock_stopped": False,
            "history": [
                {"action": "receive", "at": "2026-03-02T02:00:00Z", "reason": ""},
                {"action": "fee_paid", "at": "2026-03-02T03:00:00Z", "reason": ""},
            ],
            "allowed_actions": ["request_supplement"],
            "action_requirements": {"request_supplement": {"reason": True, "params": []}},
        },
    )
    text = service.dossier_page(_request("/ho-so/D-1?tb=request_supplement", cookie=officer), "D-1").get_data(
        as_text=True
    )
    assert ">Yêu cầu bổ sung</button>" in text  # the action's button
    assert (
        "<strong>Tiếp nhận</strong>" in text and "<strong>Đã nộp phí, lệ phí</strong>" in text
    )  # the timeline
    assert "Đã thực hiện: Yêu cầu bổ sung" in text  # the notice after acting
    english = service.dossier_page(_request("/ho-so/D-1?lang=en", cookie=officer), "D-1").get_data(
        as_text=True
    )
    assert ">Request a supplement</button>" in english and "<strong>Fee paid</strong>" in english


def test_the_queue_filters_by_the_open_states_of_the_processes(gateway):
    service, idp = gateway
    officer = idp.issue("receiver-1", kind="officer", unit=UNIT, roles=["receiver"])
    _rpc(
        service.workflow.worklist,
        {
            "items": [
                {
                    "dossier_code": "D-1",
                    "procedure_code": "X",
                    "status": "awaiting_supplement",
                    "due_at": None,
                }
            ],
            "next": None,
            "previous": None,
            "counts": dict.fromkeys(
                ("all", "mine", "unassigned", "awaiting_receipt", "due_soon", "overdue"), 1
            ),
            "view": "all",
            "due_within": 2,
        },
    )
    _rpc(
        service.intake.applicants, {"D-1": {"full_name": "Nguyễn Văn An", "id_number_masked": "********0001"}}
    )
    text = service.queue_page(_request("/can-bo", cookie=officer)).get_data(as_text=True)
    assert '<option value="awaiting_supplement">Chờ bổ sung</option>' in text
    assert '<option value="returned">' not in text  # terminal: nothing left to work on
    assert "<td>Chờ bổ sung</td>" in text and "********0001" in text
    refused = service.queue_page(_request("/can-bo?trang-thai=limbo", cookie=officer))
    assert refused.status_code == 422


def test_the_development_sign_in_offers_and_accepts_the_officer_roles_of_the_vocabulary(gateway):
    service, _ = gateway
    page = service.dev_authorize_page(_request("/dev-idp/authorize")).get_data(as_text=True)
    for code, label in (("receiver", "Một cửa (tiếp nhận)"), ("admin", "Quản trị (cơ quan cấp tỉnh)")):
        assert f'value="{code}"><label for="role-{code}">{label}</label>' in page
    assert 'value="citizen"><label' not in page and 'value="system"><label' not in page
    form = {
        "redirect_uri": "http://gw/dang-nhap/xong",
        "code_challenge_method": "S256",
        "code_challenge": "c",
        "kind": "officer",
        "unit": UNIT,
    }
    refused = service.dev_authorize(
        _request("/dev-idp/authorize", "POST", data={**form, "roles": ["system"]})
    )
    assert refused.status_code == 422
    chosen = service.dev_authorize(
        _request("/dev-idp/authorize", "POST", data={**form, "roles": ["leader", "x"]})
    )
    assert chosen.status_code == 303
    [grant] = service.web.dev_codes.values()
    assert grant["claims"]["roles"] == ("leader",) and grant["claims"]["sub"] == f"leader@{UNIT}"


def test_a_development_token_carries_only_officer_roles_of_the_vocabulary(gateway):
    service, _ = gateway
    body = {"sub": "leader-1", "kind": "officer", "unit": UNIT, "roles": ["leader", "citizen"]}
    refused = service.dev_token(_request("/dev/token", "POST", json=body))
    assert refused.status_code == 422
    assert refused.json["errors"]["fields"] == {
        "roles": {"1": ["Must be one of: receiver, handler, leader, admin."]}
    }
    issued = service.dev_token(_request("/dev/token", "POST", json={**body, "roles": ["leader"]}))
    assert issued.status_code == 200 and issued.json["token_type"] == "Bearer"


def test_while_workflow_is_unreachable_pages_show_codes_and_no_role_is_granted(gateway):
    service, _ = gateway
    service.workflow.process_vocabulary.call_async.side_effect = ConnectionError("broker unreachable")
    service.vocabulary = VocabularyCache()
    page = service.dev_authorize_page(_request("/dev-idp/authorize"))
    assert page.status_code == 200 and 'name="roles"' not in page.get_data(as_text=True)
    body = {"sub": "leader-1", "kind": "officer", "unit": UNIT, "roles": ["leader"]}
    assert service.dev_token(_request("/dev/token", "POST", json=body)).status_code == 503

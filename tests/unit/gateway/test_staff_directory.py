"""Officers as the staff directory says (services/gateway/staff.py) through GatewayService workers (worker_factory)
with the real sessions database (SQLite), the real page decorator and routes: the directory's answer is kept per
process (a known officer costs no RPC), refusals too; workflow not answering for an officer not held fails closed;
StaffMemberChanged drops the entry on every replica and, when revoked, ends the officer's sessions once; the
routes that change the directory act at once on their own replica."""

from __future__ import annotations

import time
from types import SimpleNamespace
from unittest.mock import Mock

import pytest
from motcua.workflow.v1.events_pb2 import StaffMemberChanged
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.chassis.consumers import handlers_of
from services.chassis.errors import Forbidden, Unavailable
from services.chassis.events import build_event, parse_event
from services.gateway import ratelimit, sessions, storage
from services.gateway.auth import SessionGate
from services.gateway.identity import DevIdentityProvider, Principal, TokenVerifier
from services.gateway.service import GatewayService
from services.gateway.staff import OfficerDirectory
from services.gateway.vocabulary import Words
from services.gateway.web.base import WebSupport
from services.gateway.web.session import Sessions
from tests.support import FakeDatabase

JUSTICE, CONSTRUCTION = "000.00.07.H41", "000.00.18.H41"
WORDS = Words(
    {
        "processes": {"standard": {"statuses": {}, "actions": {}}},
        "roles": {
            "receiver": {"vi": "Một cửa (tiếp nhận)", "en": "Front desk", "kind": "officer"},
            "leader": {"vi": "Lãnh đạo", "en": "Leader", "kind": "officer"},
            "admin": {"vi": "Quản trị", "en": "Administrator", "kind": "officer"},
        },
    }
)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Directory:
    """Workflow's `resolve_officer` as far as the gateway can tell: an answer or a refusal, counted."""

    def __init__(self):
        self.entries: dict[str, dict | str] = {}
        self.asked = 0
        self.down = False

    def resolve(self, claims: dict) -> dict:
        self.asked += 1
        if self.down:
            raise Unavailable("service_timeout", "Dịch vụ phản hồi quá lâu.")
        entry = self.entries.get(claims["subject"])
        if entry is None or isinstance(entry, str):
            raise Forbidden(entry or "officer_not_in_directory", "Không có trong danh bạ.")
        return {"subject": claims["subject"], "title": "", **entry}

    def place(self, subject: str, unit: str, roles=("receiver",), name: str = "Trần Thị Mẫu") -> None:
        self.entries[subject] = {"unit": unit, "roles": list(roles), "full_name": name}


def _reply(value):
    return SimpleNamespace(result=lambda: value)


def replica(tmp_path, db, directory, clock, ttl=30.0):
    """One gateway process: its own cache of officers, the shared sessions database and identity provider key."""
    idp = DevIdentityProvider(
        tmp_path / "key.pem", issuer="http://gw/dev-idp", audience="motcua", env="local"
    )
    officers = OfficerDirectory(ttl, ask=directory.resolve, now=clock)
    gate = SessionGate(
        TokenVerifier([idp.issuer_config()]), sessions.Policy.from_env(), db.autocommit, idp, officers
    )
    web = WebSupport.__new__(WebSupport)
    web.sessions = Sessions(b"unit-secret", secure=False)
    web.csp = "default-src 'none'"
    web.signin_limit = web.submit_limit = web.lookup_limit = ratelimit.SlidingWindow(100, 60)
    workflow = Mock()
    # The worklist answers with the unit it listed: the test reads which unit's queue the officer got.
    workflow.worklist.call_async.side_effect = lambda unit, *rest: _reply(
        {"items": [], "next": None, "previous": None, "counts": {}, "unit": unit}
    )
    vocabulary = Mock()
    vocabulary.words.return_value = WORDS
    service = worker_factory(
        GatewayService, auth=gate, web=web, db=db, workflow=workflow, vocabulary=vocabulary
    )
    return service, idp


@pytest.fixture()
def world(tmp_path):
    db = FakeDatabase(storage.metadata, "gateway", handler="gateway.on_staff_member_changed")
    directory, clock = Directory(), Clock()
    service, idp = replica(tmp_path, db, directory, clock)
    return service, idp, db, directory, clock


def _request(path: str, method: str = "GET", bearer: str = "", cookie: str = "", json=None, data=None):
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    if cookie:
        headers["Cookie"] = f"motcua_session={cookie}"
    return Request(
        EnvironBuilder(path=path, method=method, headers=headers, json=json, data=data).get_environ()
    )


def queue_unit(service, token) -> str:
    answer = service.work_queue(_request("/api/v1/queue", bearer=token))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.json["unit"]


def changed(subject: str, change: str, unit: str, previous: str = ""):
    data = {"subject": subject, "change": change, "unit": unit, "previous_unit": previous}
    return parse_event(build_event(StaffMemberChanged, data, source="workflow"))


def test_the_directory_decides_and_a_known_officer_costs_no_rpc_until_the_entry_expires(world):
    service, idp, _, directory, clock = world
    directory.place("canbo-x", JUSTICE, name="Lê Văn Tín")
    token = idp.issue("canbo-x", kind="officer", unit=CONSTRUCTION, roles=["admin", "leader"])
    principal = service.auth.principal(_request("/", bearer=token))
    assert (principal.unit, principal.roles, principal.name) == (JUSTICE, {"receiver"}, "Lê Văn Tín")
    for _ in range(50):
        assert queue_unit(service, token) == JUSTICE
    assert directory.asked == 1
    clock.now += 31
    assert queue_unit(service, token) == JUSTICE and directory.asked == 2
    citizen = idp.issue("037090000001")
    assert service.auth.principal(_request("/", bearer=citizen)).kind == "citizen"
    assert directory.asked == 2  # citizens are never looked up


def test_a_refused_officer_gets_403_and_the_refusal_is_kept_too(world):
    service, idp, _, directory, _ = world
    token = idp.issue("stranger", kind="officer", unit=JUSTICE, roles=["receiver"])
    for _ in range(3):
        answer = service.work_queue(_request("/api/v1/queue", bearer=token))
        assert answer.status_code == 403 and answer.json["code"] == "officer_not_in_directory"
        assert answer.mimetype == "application/problem+json"
    assert directory.asked == 1
    page = service.queue_page(_request("/can-bo", cookie=token))
    assert page.status_code == 403 and "Không có trong danh bạ" in page.get_data(as_text=True)
    public = service.lookup(_request("/tra-cuu", cookie=token))
    assert public.status_code == 200 and "Đăng nhập" in public.get_data(as_text=True)  # nobody signed in


def test_without_an_answer_from_workflow_an_officer_not_held_gets_503_and_nothing_is_kept(world):
    service, idp, _, directory, clock = world
    directory.place("canbo-x", JUSTICE)
    held = idp.issue("canbo-x", kind="officer")
    assert queue_unit(service, held) == JUSTICE
    directory.down = True
    assert queue_unit(service, held) == JUSTICE  # held: no question asked
    directory.place("canbo-y", JUSTICE)
    other = idp.issue("canbo-y", kind="officer", unit=JUSTICE, roles=["receiver"])
    for _ in range(2):
        answer = service.work_queue(_request("/api/v1/queue", bearer=other))
        assert answer.status_code == 503 and answer.json["code"] == "service_timeout"
    assert service.queue_page(_request("/can-bo", cookie=other)).status_code == 503
    clock.now += 31
    assert service.work_queue(_request("/api/v1/queue", bearer=held)).status_code == 503  # expired: closed
    directory.down = False
    assert queue_unit(service, other) == JUSTICE


def test_an_unexpected_failure_of_the_directory_is_503_not_500(world):
    service, idp, _, directory, _ = world
    directory.resolve = Mock(side_effect=RuntimeError("MethodNotFound resolve_officer"))
    service.auth.officers.ask = directory.resolve
    answer = service.work_queue(_request("/api/v1/queue", bearer=idp.issue("canbo-x", kind="officer")))
    assert answer.status_code == 503 and answer.json["code"] == "officer_directory_unavailable"


def test_a_move_reaches_every_replica_and_the_next_request_works_in_the_new_unit(tmp_path, world):
    one, idp, db, directory, clock = world
    two, _ = replica(tmp_path, db, directory, clock)
    directory.place("canbo-x", JUSTICE)
    token = idp.issue("canbo-x", kind="officer", unit=JUSTICE, roles=["receiver"])
    assert queue_unit(one, token) == JUSTICE and queue_unit(two, token) == JUSTICE
    directory.place("canbo-x", CONSTRUCTION)
    assert queue_unit(two, token) == JUSTICE  # held until told (or 30 s)
    event = changed("canbo-x", "moved", CONSTRUCTION, JUSTICE)
    for gateway in (one, two):  # the broadcast: each replica's own queue
        gateway.forget_changed_officer(event)
    one.on_staff_member_changed(event)  # the shared queue: one replica; a move ends no session
    assert queue_unit(one, token) == CONSTRUCTION and queue_unit(two, token) == CONSTRUCTION
    assert db.rows("session_revocations") == [] and db.rows("audit_log") == []


def test_a_revocation_ends_every_session_once_on_every_replica(tmp_path, world):
    one, idp, db, directory, clock = world
    two, _ = replica(tmp_path, db, directory, clock)
    directory.place("canbo-x", JUSTICE)
    token = idp.issue("canbo-x", kind="officer", unit=JUSTICE, roles=["receiver"])
    assert queue_unit(one, token) == JUSTICE and queue_unit(two, token) == JUSTICE
    directory.entries["canbo-x"] = "officer_revoked"
    event = changed("canbo-x", "revoked", JUSTICE)
    two.on_staff_member_changed(event)
    two.on_staff_member_changed(event)  # delivered twice: done once
    for gateway in (one, two):  # the token is refused even where the cache still holds the officer
        answer = gateway.work_queue(_request("/api/v1/queue", bearer=token))
        assert answer.status_code == 401 and answer.json["code"] == "session_revoked"
        page = gateway.queue_page(_request("/can-bo", cookie=token))
        assert page.status_code == 303 and "motcua_session=;" in page.headers["Set-Cookie"]
    assert [(a["actor"], a["action"], a["target"]) for a in db.rows("audit_log")] == [
        ("workflow", "sessions_revoked", "canbo-x")
    ]
    later = DevIdentityProvider(
        tmp_path / "key.pem", issuer="http://gw/dev-idp", env="local", now=lambda: time.time() + 5
    )
    fresh = later.issue("canbo-x", kind="officer", unit=JUSTICE, roles=["receiver"])  # signed in again
    answer = two.work_queue(_request("/api/v1/queue", bearer=fresh))
    assert answer.status_code == 403 and answer.json["code"] == "officer_revoked"


def test_the_routes_that_change_the_directory_act_at_once_on_their_replica(world):
    service, idp, db, directory, _ = world
    directory.place("canbo-x", JUSTICE)
    directory.place("quantri-1", JUSTICE, roles=("admin",))
    officer = idp.issue("canbo-x", kind="officer")
    admin = idp.issue("quantri-1", kind="officer")
    assert queue_unit(service, officer) == JUSTICE
    directory.place("canbo-x", CONSTRUCTION)
    moved = {"officer": {"subject": "canbo-x", "unit": CONSTRUCTION}, "change": "moved"}
    service.workflow.staff_upsert.call_async.return_value = _reply(moved)
    body = {"full_name": "Trần Thị Mẫu", "unit": CONSTRUCTION, "roles": ["receiver"]}
    put = service.put_staff_member(
        _request("/api/v1/staff/canbo-x", "PUT", bearer=admin, json=body), "canbo-x"
    )
    assert put.status_code == 200 and put.json["change"] == "moved"
    sent, actor = service.workflow.staff_upsert.call_async.call_args.args
    assert sent == {**body, "subject": "canbo-x"} and actor["subject"] == "quantri-1"
    assert queue_unit(service, officer) == CONSTRUCTION  # no event needed on this replica

    revoked_at = "2026-12-14T03:00:00Z"
    revoked = {
        "officer": {"subject": "canbo-x", "unit": CONSTRUCTION, "revoked_at": revoked_at},
        "change": "revoked",
    }
    service.workflow.staff_revoke.call_async.return_value = _reply(revoked)
    done = service.revoke_staff_member(
        _request("/api/v1/staff/canbo-x/revocation", "POST", bearer=admin, json={"reason": "Nghỉ hưu"}),
        "canbo-x",
    )
    assert done.status_code == 200 and done.json["ended_sessions"] == 1
    assert service.work_queue(_request("/api/v1/queue", bearer=officer)).status_code == 401
    bad = service.put_staff_member(
        _request("/api/v1/staff/canbo-x", "PUT", bearer=admin, json={"unit": JUSTICE}), "canbo-x"
    )
    assert bad.status_code == 422 and service.workflow.staff_upsert.call_async.call_count == 1


def test_officers_read_their_own_agency_and_administrators_any(world):
    service, idp, _, directory, _ = world
    directory.place("canbo-x", JUSTICE)
    token = idp.issue("canbo-x", kind="officer")
    service.workflow.staff_list.call_async.return_value = _reply([])
    assert service.staff_list(_request("/api/v1/staff", bearer=token)).json == {"unit": JUSTICE, "items": []}
    elsewhere = service.staff_list(_request(f"/api/v1/staff?unit={CONSTRUCTION}", bearer=token))
    assert elsewhere.status_code == 403
    service.workflow.check_province_admin.call_async.assert_not_called()  # not an admin: not even asked
    service.workflow.staff_get.call_async.return_value = _reply({"subject": "ld-9", "unit": CONSTRUCTION})
    hidden = service.staff_member(_request("/api/v1/staff/ld-9", bearer=token), "ld-9")
    assert hidden.status_code == 404 and hidden.json["code"] == "officer_not_found"
    directory.place("quantri-1", JUSTICE, roles=("admin",))
    admin = idp.issue("quantri-1", kind="officer")
    service.workflow.check_province_admin.call_async.return_value = _reply({"unit": JUSTICE})
    assert service.staff_member(_request("/api/v1/staff/ld-9", bearer=admin), "ld-9").status_code == 200
    listed = service.staff_list(
        _request(f"/api/v1/staff?unit={CONSTRUCTION}&include_ended=true", bearer=admin)
    )
    assert listed.status_code == 200
    assert service.workflow.staff_list.call_async.call_args.args == (CONSTRUCTION, True)


def test_the_administrators_pages_list_change_and_revoke_with_confirmation(world):
    service, idp, _, directory, _ = world
    directory.place("quantri-1", JUSTICE, roles=("admin",), name="Đỗ Minh Quản")
    admin = idp.issue("quantri-1", kind="officer")
    csrf = service.web.sessions.csrf_token(admin)
    workflow = service.workflow
    workflow.check_province_admin.call_async.return_value = _reply({"unit": JUSTICE})
    workflow.list_agencies.call_async.return_value = _reply(
        [{"code": JUSTICE, "name": "Sở Tư pháp"}, {"code": CONSTRUCTION, "name": "Sở Xây dựng"}]
    )
    officer = {
        "subject": "canbo-x",
        "full_name": "Trần Thị Mẫu",
        "title": "Chuyên viên",
        "unit": JUSTICE,
        "roles": ["receiver"],
        "email": "",
        "valid_from": None,
        "valid_to": None,
        "source": "admin",
        "status": "active",
        "revoked_at": None,
        "revoked_reason": "",
        "updated_at": "2026-12-14T03:00:00Z",
        "updated_by": "officer:quantri-1",
    }
    workflow.staff_list.call_async.return_value = _reply([officer])
    listing = service.staff_page(_request("/quan-tri/can-bo", cookie=admin))
    text = listing.get_data(as_text=True)
    assert listing.status_code == 200 and "Trần Thị Mẫu" in text and "Một cửa (tiếp nhận)" in text
    assert 'href="/quan-tri"' in text  # the administrator's menu (its home links the staff pages)
    workflow.staff_get.call_async.return_value = _reply({**officer, "history": []})
    assert (
        service.staff_member_page(_request("/quan-tri/can-bo/canbo-x", cookie=admin), "canbo-x").status_code
        == 200
    )

    form = {"csrf": csrf, "reason": "Nghỉ hưu"}
    unconfirmed = service.staff_revoke_page(
        _request("/quan-tri/can-bo/canbo-x/thu-hoi", "POST", cookie=admin, data=form), "canbo-x"
    )
    assert unconfirmed.status_code == 422
    forged = service.staff_revoke_page(
        _request(
            "/quan-tri/can-bo/canbo-x/thu-hoi",
            "POST",
            cookie=admin,
            data={**form, "confirm": "1", "csrf": "x"},
        ),
        "canbo-x",
    )
    assert forged.status_code == 403
    workflow.staff_revoke.call_async.assert_not_called()
    workflow.staff_upsert.call_async.return_value = _reply({"officer": officer, "change": "moved"})
    saved = service.staff_change(
        _request(
            "/quan-tri/can-bo/canbo-x",
            "POST",
            cookie=admin,
            data={
                "csrf": csrf,
                "full_name": "Trần Thị Mẫu",
                "unit": CONSTRUCTION,
                "roles": ["receiver", "leader"],
            },
        ),
        "canbo-x",
    )
    assert saved.status_code == 303 and saved.headers["Location"] == "/quan-tri/can-bo/canbo-x?tb=moved"
    assert workflow.staff_upsert.call_async.call_args.args[0]["roles"] == ["receiver", "leader"]

    workflow.check_province_admin.call_async.return_value = None
    workflow.check_province_admin.call_async.side_effect = Forbidden("role_not_allowed", "Chỉ quản trị viên.")
    directory.place("canbo-y", JUSTICE)
    refused = service.staff_page(_request("/quan-tri/can-bo", cookie=idp.issue("canbo-y", kind="officer")))
    assert refused.status_code == 403


def test_the_cache_is_bounded_and_forgets_every_claims_variant_of_an_officer():
    asked = []

    def ask(claims):
        asked.append(claims["subject"])
        return {"unit": claims["unit"], "roles": claims["roles"], "full_name": ""}

    officers = OfficerDirectory(30, ask=ask, size=3, now=Clock())

    def officer(subject, unit):
        return Principal(subject, "officer", "", unit, frozenset({"receiver"}), "http://idp")

    for unit in (JUSTICE, CONSTRUCTION, JUSTICE, CONSTRUCTION):  # claims mode: what the token says counts
        assert officers.effective(officer("canbo-x", unit)).unit == unit
    assert asked == ["canbo-x"] * 2 and len(officers) == 2
    officers.forget("canbo-x")
    assert len(officers) == 0
    for n in range(5):
        officers.effective(officer(f"canbo-{n}", JUSTICE))
    assert len(officers) == 3
    officers.effective(officer("canbo-0", JUSTICE))  # pushed out by the newer ones: asked again
    assert asked.count("canbo-0") == 2
    assert OfficerDirectory(0, ask=ask).effective(officer("x", JUSTICE)).unit == JUSTICE  # 0 s: nothing kept


def test_the_gateway_has_one_durable_queue_and_each_replica_one_of_its_own():
    assert handlers_of(GatewayService) == [
        ("motcua.workflow.v1.StaffMemberChanged", "on_staff_member_changed")
    ]
    [own] = GatewayService.forget_changed_officer.nameko_entrypoints
    [shared] = GatewayService.on_staff_member_changed.nameko_entrypoints
    assert own.broadcast and not shared.broadcast

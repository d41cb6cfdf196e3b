"""The staff directory: its rules (domain/staff.py) and its entrypoints through a WorkflowService worker on the real
catalogue files and real SQL (SQLite in memory): a province administrator adds, moves, renames and revokes
officers (audited, StaffMemberChanged on the outbox, assignment periods kept); nobody else can; a signing-in
officer is resolved by the directory (directory mode) or recorded from their token (claims mode)."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.testing.services import worker_factory

from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.chassis.events import build_event, parse_event
from services.workflow.adapters import storage
from services.workflow.domain import staff
from services.workflow.domain.staff import Claims, Entry, GroupMapping
from services.workflow.service import Catalogue, WorkflowService
from tests.support import FakeDatabase

JUSTICE = "000.00.07.H41"  # a province-level agency
CONSTRUCTION = "000.00.18.H41"
COMMUNE = "000.31.01.H41"
ADMIN = {"subject": "quantri-1", "kind": "officer", "unit": JUSTICE, "roles": ["admin"]}
TODAY = date(2026, 12, 14)


@pytest.fixture(scope="module")
def catalogue():
    loaded = Catalogue()
    loaded.setup()
    return loaded


def service(catalogue, mode="directory", mapping=GroupMapping()):
    return worker_factory(
        WorkflowService,
        db=FakeDatabase(storage.metadata, handler="workflow.on_dossier_submitted"),
        catalogue=catalogue,
        staff_settings=SimpleNamespace(mode=mode, mapping=mapping),
    )


@pytest.fixture
def workflow(catalogue):
    return service(catalogue)


def officer(subject="canbo-x", unit=JUSTICE, roles=("receiver",), **extra) -> dict:
    return {"subject": subject, "full_name": "Trần Văn Mẫu", "unit": unit, "roles": list(roles), **extra}


def events(workflow) -> list[dict]:
    return [
        json.loads(r["envelope"])["data"]
        for r in workflow.db.outbox()
        if r["event_type"] == "motcua.workflow.v1.StaffMemberChanged"
    ]


def audit(workflow, subject: str) -> list[tuple[str, dict]]:
    rows = workflow.db.rows("audit_log")
    return [(r["action"], json.loads(r["details"])) for r in rows if r["target"] == subject]


# -- rules ---------------------------------------------------------------------------------------------------------
def test_directory_mode_takes_the_directory_over_the_token_and_refuses_who_is_not_in_force():
    entry = Entry("canbo-x", "Trần Văn Mẫu", "Chuyên viên", JUSTICE, ("receiver",))
    token = Claims("canbo-x", unit=CONSTRUCTION, roles=frozenset({"leader", "admin"}))
    found = staff.resolve("directory", entry, token, GroupMapping(), TODAY)
    assert found.entry == entry and not found.record
    refusals = {
        "officer_not_in_directory": None,
        "officer_revoked": Entry("canbo-x", "", "", JUSTICE, ("receiver",), revoked=True),
        "officer_not_in_force": Entry(
            "canbo-x", "", "", JUSTICE, ("receiver",), valid_to=TODAY - timedelta(1)
        ),
    }
    for code, candidate in refusals.items():
        with pytest.raises(staff.Refused) as refused:
            staff.resolve("directory", candidate, token, GroupMapping(), TODAY)
        assert refused.value.code == code
    later = Entry("canbo-x", "", "", JUSTICE, ("receiver",), valid_from=TODAY + timedelta(1))
    with pytest.raises(staff.Refused, match="officer_not_in_force"):
        staff.resolve("directory", later, token, GroupMapping(), TODAY)
    assert Entry("canbo-x", "", "", JUSTICE, ("r",), valid_from=TODAY, valid_to=TODAY).in_force(TODAY)


def test_claims_mode_follows_the_token_unless_an_administrator_keeps_the_entry():
    token = Claims("canbo-x", name="Lê Thị Hoa", unit=JUSTICE, roles=frozenset({"receiver"}))
    first = staff.resolve("claims", None, token, GroupMapping(), TODAY)
    assert first.record and first.entry.source == "idp" and first.entry.unit == JUSTICE
    assert not staff.resolve("claims", first.entry, token, GroupMapping(), TODAY).record  # nothing new
    moved = staff.resolve(
        "claims", first.entry, Claims("canbo-x", unit=COMMUNE, roles=token.roles), GroupMapping(), TODAY
    )
    assert moved.record and moved.entry.unit == COMMUNE and moved.entry.full_name == "Lê Thị Hoa"
    kept = Entry("canbo-x", "Lê Thị Hoa", "", JUSTICE, ("receiver",), source="admin")
    assert (
        staff.resolve(
            "claims",
            kept,
            Claims("canbo-x", unit=COMMUNE, roles=frozenset({"leader"})),
            GroupMapping(),
            TODAY,
        ).entry
        == kept
    )
    with pytest.raises(staff.Refused, match="officer_revoked"):
        staff.resolve(
            "claims",
            Entry("canbo-x", "", "", JUSTICE, ("r",), source="idp", revoked=True),
            token,
            GroupMapping(),
            TODAY,
        )
    for claims, code in (
        (Claims("canbo-x", roles=frozenset({"receiver"})), "officer_without_unit"),
        (Claims("canbo-x", unit=JUSTICE), "officer_without_roles"),
    ):
        with pytest.raises(staff.Refused, match=code):
            staff.resolve("claims", None, claims, GroupMapping(), TODAY)


def test_groups_map_to_roles_and_an_agency():
    mapping = staff.parse_mapping(
        '{"MC-TiepNhan": "receiver", "MC-LanhDao": ["leader", "handler"]}',
        '{"STP": "000.00.07.H41", "SXD": "000.00.18.H41"}',
    )
    token = Claims("canbo-x", groups=frozenset({"MC-LanhDao", "STP", "unrelated"}))
    found = staff.resolve("claims", None, token, mapping, TODAY).entry
    assert (found.unit, found.roles) == (JUSTICE, ("handler", "leader"))
    with pytest.raises(staff.Refused, match="officer_unit_ambiguous"):
        staff.resolve(
            "claims", None, Claims("x", groups=frozenset({"STP", "SXD", "MC-TiepNhan"})), mapping, TODAY
        )
    for bad in ('["receiver"]', '{"g": 3}', "{not json", '{"g": []}'):
        with pytest.raises(ValueError, match="STAFF_ROLE_MAPPING"):
            staff.parse_mapping(bad, "")
    with pytest.raises(ValueError, match="STAFF_UNIT_MAPPING"):
        staff.parse_mapping("", '{"g": ""}')


def test_the_mode_defaults_to_the_directory_outside_a_developers_machine():
    assert staff.mode_of("", local=False) == "directory" and staff.mode_of("", local=True) == "claims"
    assert staff.mode_of(" Directory ", local=True) == "directory"
    with pytest.raises(ValueError, match="STAFF_DIRECTORY_MODE"):
        staff.mode_of("open", local=True)


def test_a_change_is_named_by_what_matters_most():
    base = Entry("x", "A", "T", JUSTICE, ("receiver",))
    assert staff.change_of(None, base) == "added"
    assert staff.change_of(Entry("x", "A", "T", JUSTICE, ("receiver",), revoked=True), base) == "added"
    assert staff.change_of(base, Entry("x", "B", "T", COMMUNE, ("leader",))) == "moved"
    assert staff.change_of(base, Entry("x", "B", "T", JUSTICE, ("leader",))) == "roles_changed"
    assert staff.change_of(base, Entry("x", "A", "T2", JUSTICE, ("receiver",))) == "renamed"
    assert staff.change_of(base, Entry("x", "A", "T", JUSTICE, ("receiver",), valid_to=TODAY)) == "renamed"
    assert staff.change_of(base, Entry("x", "A", "T", JUSTICE, ("receiver",), source="idp")) is None


# -- through the service -------------------------------------------------------------------------------------------
def test_an_administrator_adds_moves_and_revokes_an_officer_audited_and_published(workflow):
    added = workflow.staff_upsert(officer(title="Chuyên viên", email="x@example.vn"), ADMIN)
    assert added["change"] == "added" and added["officer"]["status"] == "active"
    assert workflow.staff_list(JUSTICE) == [added["officer"]]
    assert {k: added["officer"][k] for k in ("unit", "roles", "email", "source")} == {
        "unit": JUSTICE,
        "roles": ["receiver"],
        "email": "x@example.vn",
        "source": "admin",
    }
    assert workflow.staff_upsert(officer(title="Chuyên viên", email="x@example.vn"), ADMIN)["change"] is None
    moved = workflow.staff_upsert(officer(unit=CONSTRUCTION, title="Chuyên viên"), ADMIN)
    assert moved["change"] == "moved" and workflow.staff_list(JUSTICE) == []
    assert [o["subject"] for o in workflow.staff_list(CONSTRUCTION)] == ["canbo-x"]
    revoked = workflow.staff_revoke("canbo-x", "Nghỉ hưu", ADMIN)
    assert revoked["change"] == "revoked" and revoked["officer"]["status"] == "revoked"
    assert workflow.staff_revoke("canbo-x", "lần nữa", ADMIN)["change"] is None  # idempotent
    assert workflow.staff_list(CONSTRUCTION) == []
    assert [o["status"] for o in workflow.staff_list(CONSTRUCTION, True)] == ["revoked"]

    assert [(e["change"], e["unit"], e.get("previous_unit", "")) for e in events(workflow)] == [
        ("added", JUSTICE, ""),
        ("moved", CONSTRUCTION, JUSTICE),
        ("revoked", CONSTRUCTION, ""),
    ]
    assert all("full_name" not in e and "email" not in e for e in events(workflow))
    trail = audit(workflow, "canbo-x")
    assert [a for a, _ in trail] == ["staff.added", "staff.moved", "staff.revoked"]
    assert trail[1][1]["previous_unit"] == JUSTICE and trail[2][1]["reason"] == "Nghỉ hưu"
    assert {r["actor"] for r in workflow.db.rows("audit_log")} == {"officer:quantri-1"}
    history = workflow.staff_get("canbo-x", True)["history"]
    assert [(h["unit"], h["change"], h["ended_at"] is not None) for h in history] == [
        (JUSTICE, "added", True),
        (CONSTRUCTION, "moved", True),
    ]


def test_a_revoked_officer_is_admitted_again_by_an_administrator(workflow):
    workflow.staff_upsert(officer(), ADMIN)
    workflow.staff_revoke("canbo-x", "Chuyển công tác", ADMIN)
    again = workflow.staff_upsert(officer(roles=("handler",)), ADMIN)
    assert again["change"] == "added" and again["officer"]["status"] == "active"
    assert again["officer"]["revoked_at"] is None and again["officer"]["roles"] == ["handler"]


@pytest.mark.parametrize(
    "actor, code",
    [
        ({"subject": "ld-1", "kind": "officer", "unit": JUSTICE, "roles": ["leader"]}, "role_not_allowed"),
        ({"subject": "qt-xa", "kind": "officer", "unit": COMMUNE, "roles": ["admin"]}, "province_only"),
        (
            {"subject": "037090000001", "kind": "citizen", "unit": None, "roles": ["admin"]},
            "role_not_allowed",
        ),
    ],
)
def test_only_a_province_administrator_changes_the_directory(workflow, actor, code):
    workflow.staff_upsert(officer(), ADMIN)
    before = (workflow.db.rows("officers"), workflow.db.rows("audit_log"), workflow.db.outbox())
    for attempt in (
        lambda: workflow.staff_upsert(officer(unit=CONSTRUCTION), actor),
        lambda: workflow.staff_revoke("canbo-x", "không được", actor),
    ):
        with pytest.raises(Forbidden) as refused:
            attempt()
        assert refused.value.code == code
    assert (workflow.db.rows("officers"), workflow.db.rows("audit_log"), workflow.db.outbox()) == before


def test_bad_entries_and_self_lockout_are_refused_and_change_nothing(workflow):
    cases = [
        (officer(unit="000.99.99.H41"), InvalidInput, "unknown_unit"),
        (officer(roles=("receiver", "citizen")), InvalidInput, "unknown_role"),
        (officer(valid_to="2020-01-01"), InvalidInput, "invalid_dates"),
        (officer(valid_from="2030-02-01", valid_to="2030-01-01"), InvalidInput, "invalid_dates"),
        (officer(subject="có dấu cách"), InvalidInput, "invalid_request"),
        (officer(roles=()), InvalidInput, "invalid_request"),
        (officer(subject="quantri-1", roles=("leader",)), Conflict, "own_admin_role"),
    ]
    for body, error, code in cases:
        with pytest.raises(error) as refused:
            workflow.staff_upsert(body, ADMIN)
        assert refused.value.code == code, body
    with pytest.raises(Conflict, match="own_entry"):
        workflow.staff_revoke("quantri-1", "tự thu hồi", ADMIN)
    with pytest.raises(NotFound, match="officer_not_found"):
        workflow.staff_revoke("khong-co", "không có", ADMIN)
    assert workflow.db.rows("officers") == [] and workflow.db.outbox() == []


def test_an_officer_starting_later_is_listed_only_from_their_first_day(workflow):
    start = (datetime.now(timezone.utc) + timedelta(days=3)).date().isoformat()
    workflow.staff_upsert(officer(valid_from=start), ADMIN)
    assert workflow.staff_list(JUSTICE) == []
    assert workflow.staff_get("canbo-x")["status"] == "not_in_force"
    with pytest.raises(Forbidden, match="officer_not_in_force"):
        workflow.resolve_officer({"subject": "canbo-x", "unit": JUSTICE, "roles": ["receiver"]})


def test_resolution_in_directory_mode_gives_the_directorys_unit_roles_and_name(workflow):
    token = {"subject": "canbo-x", "name": "Tên trong mã", "unit": COMMUNE, "roles": ["admin", "leader"]}
    with pytest.raises(Forbidden, match="officer_not_in_directory"):
        workflow.resolve_officer(token)
    workflow.staff_upsert(officer(title="Chuyên viên một cửa"), ADMIN)
    assert workflow.resolve_officer(token) == {
        "subject": "canbo-x",
        "unit": JUSTICE,
        "roles": ["receiver"],
        "full_name": "Trần Văn Mẫu",
        "title": "Chuyên viên một cửa",
    }
    workflow.staff_revoke("canbo-x", "Nghỉ việc", ADMIN)
    with pytest.raises(Forbidden, match="officer_revoked"):
        workflow.resolve_officer(token)
    assert len(events(workflow)) == 2  # the resolutions wrote nothing


def test_claims_mode_records_an_officer_once_and_follows_their_token(catalogue):
    workflow = service(catalogue, mode="claims")
    token = {"subject": "canbo-y", "name": "Phạm Văn Tín", "unit": JUSTICE, "roles": ["receiver"]}
    for _ in range(3):
        assert workflow.resolve_officer(token)["unit"] == JUSTICE
    assert [e["change"] for e in events(workflow)] == ["added"]
    assert workflow.staff_get("canbo-y")["source"] == "idp"
    assert workflow.resolve_officer({**token, "unit": COMMUNE})["unit"] == COMMUNE
    assert [(e["change"], e.get("previous_unit")) for e in events(workflow)][-1] == ("moved", JUSTICE)
    assert {r["actor"] for r in workflow.db.rows("audit_log")} == {"system:idp"}
    # An administrator takes the entry over: from now on the token's unit no longer counts.
    workflow.staff_upsert(officer(subject="canbo-y", unit=CONSTRUCTION), ADMIN)
    assert workflow.resolve_officer(token)["unit"] == CONSTRUCTION


def received_case(workflow, assignee: str = "") -> str:
    code = f"X{uuid.uuid4().hex[:8].upper()}-261201-0001"
    data = {
        "dossier_code": code,
        "procedure_code": "1.000656",
        "procedure_version": 1,
        "receiving_agency_code": JUSTICE,
        "applicant_unit_code": "NB.HL.NT",
        "applicant_ref": "ref",
        "channel": "online",
        "submitted_at": "2026-12-01T01:00:00Z",
    }
    workflow.on_dossier_submitted(
        parse_event(build_event(DossierSubmitted, data, source="intake", subject=code))
    )
    if assignee:
        leader = {"subject": "ld-1", "kind": "officer", "unit": JUSTICE, "roles": ["receiver", "leader"]}
        workflow.act(code, {"action": "receive"}, leader)
        workflow.act(code, {"action": "assign", "params": {"assignee": assignee}}, leader)
    return code


def test_contacts_of_a_case_are_its_assignee_and_the_leaders_of_its_agency_in_force(workflow):
    workflow.staff_upsert(officer(subject="cv-1", roles=("handler",)), ADMIN)
    workflow.staff_upsert(officer(subject="ld-1", roles=("leader", "receiver")), ADMIN)
    workflow.staff_upsert(officer(subject="ld-2", roles=("leader",)), ADMIN)
    workflow.staff_upsert(officer(subject="ld-9", unit=CONSTRUCTION, roles=("leader",)), ADMIN)
    workflow.staff_revoke("ld-2", "Nghỉ hưu", ADMIN)
    code = received_case(workflow, assignee="cv-1")
    found = workflow.staff_contacts(code)
    assert found["assignee"]["subject"] == "cv-1"
    assert [o["subject"] for o in found["leaders"]] == ["ld-1"]
    workflow.staff_revoke("cv-1", "Nghỉ việc", ADMIN)
    assert workflow.staff_contacts(code)["assignee"] is None
    assert workflow.staff_contacts(received_case(workflow))["assignee"] is None
    with pytest.raises(NotFound):
        workflow.staff_contacts("KHONG-CO-261201-0001")
    assert workflow.staff_get("khong-co") is None


def test_the_import_records_a_file_all_or_nothing_and_again_changes_nothing(tmp_path, monkeypatch, capsys):
    from sqlalchemy import create_engine, text

    from services.chassis.migrate import upgrade
    from services.workflow import staff_import

    url = f"sqlite:///{tmp_path}/workflow.db"
    upgrade("workflow", url)
    monkeypatch.setenv("WORKFLOW_DATABASE_URL", url)
    monkeypatch.setenv("MOTCUA_ENV", "local")
    good = tmp_path / "officers.yaml"
    good.write_text(
        "officers:\n"
        f"  - {{subject: qt-1, full_name: Lê Quản Trị, unit: '{JUSTICE}', roles: [admin]}}\n"
        f"  - {{subject: cv-1, full_name: Võ Chuyên Viên, unit: '{COMMUNE}', roles: [handler], "
        "valid_to: 2099-12-31}\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "officers:\n"
        f"  - {{subject: qt-2, full_name: Hợp Lệ, unit: '{JUSTICE}', roles: [admin]}}\n"
        "  - {subject: cv-2, full_name: Sai Đơn Vị, unit: '000.99.99.H41', roles: [handler]}\n",
        encoding="utf-8",
    )
    assert staff_import.main([str(bad)]) == 1
    assert "officer 2" in capsys.readouterr().err
    assert staff_import.main([str(good), "--reason", "Danh sách ban đầu"]) == 0
    assert staff_import.main([str(good)]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    engine = create_engine(url)
    with engine.connect() as conn:
        officers = conn.execute(
            text("SELECT subject, source, updated_by FROM officers ORDER BY subject")
        ).all()
        trail = conn.execute(text("SELECT actor, action, details FROM audit_log ORDER BY seq")).all()
    engine.dispose()
    assert [tuple(o) for o in officers] == [
        ("cv-1", "admin", "system:import"),
        ("qt-1", "admin", "system:import"),
    ]
    assert [(a, b) for a, b, _ in trail] == [("system:import", "staff.added")] * 2
    assert all(json.loads(d)["reason"] == "Danh sách ban đầu" for _, _, d in trail)

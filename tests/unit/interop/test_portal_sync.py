"""National portal sync with worker_factory against the real sandbox portal (HTTP on loopback): records are
written with each status change, sent in order per dossier, retried while the portal is down or failing, and
acknowledged once; the reconciliation tells what is missing."""

import json
import uuid

import pytest
import requests
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.testing.services import worker_factory

from devtools.portal_sandbox import PortalSandbox
from services.chassis.errors import Forbidden
from services.chassis.events import build_event, parse_event
from services.workflow.adapters import portal as portal_sync
from services.workflow.adapters import signing, storage
from services.workflow.service import Catalogue, WorkflowService
from tests.support import FakeDatabase

JUSTICE = "000.00.07.H41"


def _provider(cls):
    provider = cls()
    provider.setup()
    return provider


@pytest.fixture
def portal(monkeypatch):
    sandbox = PortalSandbox(0)
    sandbox.start()
    monkeypatch.setenv("PORTAL_SYNC_URL", sandbox.url)
    monkeypatch.setenv("PORTAL_SYNC_RETRY_MAX_SECONDS", "0")
    monkeypatch.delenv("MOTCUA_SIGNING_P12", raising=False)
    yield sandbox
    sandbox.stop()


def _workflow():
    return worker_factory(
        WorkflowService,
        db=FakeDatabase(storage.metadata, handler="workflow.on_dossier_submitted"),
        catalogue=_provider(Catalogue),
        signing=_provider(signing.ResultSigning),
        portal=_provider(portal_sync.PortalSync),
    )


def _officer(role, unit=JUSTICE):
    return {"subject": f"{role}-1", "kind": "officer", "unit": unit, "roles": [role]}


def _submit(workflow, code):
    workflow.on_dossier_submitted(
        parse_event(
            build_event(
                DossierSubmitted,
                {
                    "dossier_code": code,
                    "procedure_code": "1.000656",
                    "procedure_version": 1,
                    "receiving_agency_code": JUSTICE,
                    "applicant_unit_code": "NB.HL.NT",
                    "applicant_ref": "ref-abc",
                    "channel": "online",
                    "submitted_at": "2026-11-20T01:00:00Z",
                },
                source="intake",
                subject=code,
                event_id=str(uuid.uuid4()),
            )
        )
    )
    _act(workflow, code, "receiver", "receive")  # a filed dossier waits for a receiving officer


def _act(workflow, code, role, action, **extra):
    workflow.act(code, {"action": action, **extra}, _officer(role))


def test_status_changes_are_sent_in_order_after_the_portal_recovers(portal):
    workflow = _workflow()
    first, second = "000.00.07.H41-261122-0001", "000.00.07.H41-261122-0002"
    portal.mode = "down"
    _submit(workflow, first)
    _submit(workflow, second)
    _act(workflow, first, "leader", "assign", params={"assignee": "handler-1"})
    _act(workflow, first, "handler", "process_step", reason="Đã thẩm định")
    _act(workflow, first, "leader", "reject", reason="Thiếu giấy tờ")
    assert portal_sync.send_due(workflow.db, workflow.portal)["failed"] == 2  # one head per dossier tried
    report = workflow.portal_reconciliation(_officer("leader"))
    assert report["in_sync"] is False and report["acknowledged"] == 0
    assert {d["dossier_code"]: d["sync_status"] for d in report["not_acknowledged"]} == {
        first: "retrying",
        second: "retrying",
    }

    portal.mode = "500"
    assert portal_sync.send_due(workflow.db, workflow.portal)["sent"] == 0
    assert portal.records == []

    portal.mode = "ok"
    result = portal_sync.send_due(workflow.db, workflow.portal)
    rows = workflow.db.rows("portal_sync")
    assert result == {"sent": len(rows), "failed": 0} and all(r["state"] == "acked" for r in rows)
    mine = [r for r in portal.records if r["dossier_code"] == first]
    assert [r["sequence"] for r in mine] == list(range(1, len(mine) + 1))
    history = [
        (h["from_status"], h["to_status"]) for h in storage.history(workflow.db.engine.connect(), first)
    ]
    assert [r["status"] for r in mine] == [to for frm, to in history if frm != to]
    assert mine[-1]["status"] == "rejected" and mine[0]["received_at"] and mine[0]["due_at"]
    assert all(r["applicant_ref"] == "ref-abc" for r in portal.records)
    assert portal.deliveries == len(portal.records)
    assert workflow.portal_reconciliation(_officer("leader"))["in_sync"] is True
    assert portal_sync.send_due(workflow.db, workflow.portal) == {"sent": 0, "failed": 0}


def test_a_later_change_waits_for_the_earlier_one(portal):
    workflow = _workflow()
    code = "000.00.07.H41-261122-0003"
    _submit(workflow, code)
    portal_sync.send_due(workflow.db, workflow.portal)
    portal.mode = "500"
    _act(workflow, code, "leader", "assign", params={"assignee": "handler-1"})
    _act(workflow, code, "handler", "process_step", reason="Đã thẩm định")
    _act(workflow, code, "leader", "reject", reason="Thiếu giấy tờ")
    pending = [r for r in workflow.db.rows("portal_sync") if r["state"] == "pending"]
    assert len(pending) >= 1
    portal_sync.send_due(workflow.db, workflow.portal)
    # the head failed: nothing behind it was attempted
    pending = sorted(
        (r for r in workflow.db.rows("portal_sync") if r["state"] == "pending"), key=lambda r: r["seq"]
    )
    assert pending[0]["attempts"] == 1 and all(r["attempts"] == 0 for r in pending[1:])
    portal.mode = "ok"
    portal_sync.send_due(workflow.db, workflow.portal)
    assert [r["sequence"] for r in portal.records] == list(range(1, len(portal.records) + 1))


def test_the_sandbox_deduplicates_and_the_report_is_for_province_officers_only(portal):
    record = {
        "dossier_code": "X",
        "sequence": 1,
        "procedure_code": "p",
        "agency_code": "a",
        "status": "received",
        "applicant_ref": "r",
        "received_at": "",
        "due_at": "",
        "finished_at": "",
        "changed_at": "",
    }
    for _ in range(2):
        answer = requests.post(f"{portal.url}/api/dossier-sync", data=json.dumps(record), timeout=5).json()
    assert answer == {"accepted": True, "duplicate": True}
    held = requests.get(f"{portal.url}/sandbox/received", timeout=5).json()
    assert len(held["records"]) == 1 and held["deliveries"] == 2
    assert requests.post(f"{portal.url}/api/dossier-sync", data="{}", timeout=5).status_code == 400
    workflow = _workflow()
    with pytest.raises(Forbidden):
        workflow.portal_reconciliation({"subject": "c", "kind": "citizen", "unit": "", "roles": []})
    with pytest.raises(Forbidden):
        workflow.portal_reconciliation(_officer("leader", "000.31.01.H41"))

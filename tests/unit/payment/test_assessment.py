"""Payment opens a fee request when a dossier is received (worker_factory, SQLite): assessed from the dossier's
form, once per dossier however often the event comes (the unique dossier code deduplicates, no inbox row)."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from nameko.testing.services import worker_factory

from services.chassis.clock import legal_day, utcnow
from services.chassis.errors import Forbidden, InvalidInput
from services.chassis.events import build_event, parse_event
from services.payment.adapters import storage
from services.payment.adapters.fee_book import FeeBook
from services.payment.adapters.fees import load_schedules
from services.payment.service import PaymentService
from tests.support import FakeDatabase

CODE = "000.00.07.H41-261130-0001"


@pytest.fixture
def payment():
    service = worker_factory(
        PaymentService, db=FakeDatabase(storage.metadata), schedules=FeeBook(load_schedules())
    )
    reply = MagicMock()
    reply.result.return_value = {
        "code": CODE,
        "applicant": {"full_name": "Nguyễn Văn An"},
        "form": {"so_phieu_them": 2},
    }
    service.intake.get_dossier.call_async.return_value = reply
    return service


def _changed(to_status: str = "received", action: str = "receive", code: str = CODE):
    return parse_event(
        build_event(
            DossierStatusChanged,
            {
                "dossier_code": code,
                "procedure_code": "1.000656",
                "agency_code": "000.00.07.H41",
                "from_status": "submitted",
                "to_status": to_status,
                "action": action,
                "level": "province",
                "actor": "system",
                "reason": "",
                "due_at": "2026-12-10T10:00:00Z",
            },
            source="workflow",
            subject=code,
        )
    )


def test_a_received_dossier_gets_one_fee_request_however_often_the_event_comes(payment):
    received = _changed()
    for event in (received, received, _changed()):  # a redelivery, then the same change as a new event
        payment.on_dossier_status_changed(event)
    [row] = payment.db.rows("payments")
    assert (row["dossier_code"], row["amount_vnd"], row["status"], row["payer_name"]) == (
        CODE,
        200000 + 2 * 5000,
        "pending",
        "Nguyễn Văn An",
    )
    published = [r for r in payment.db.outbox() if r["event_type"].endswith("PaymentRequested")]
    assert len(published) == 1 and row["id"] in published[0]["envelope"]
    assert payment.db.rows("inbox") == []


def test_other_status_changes_open_nothing(payment):
    payment.on_dossier_status_changed(_changed(to_status="processing", action="assign"))
    assert payment.db.rows("payments") == [] and payment.db.outbox() == []
    payment.intake.get_dossier.call_async.assert_not_called()


def test_a_new_fee_version_from_today_applies_to_the_next_dossier_and_the_first_keeps_its_amount(payment):
    payment.on_dossier_status_changed(_changed())
    admin = {"kind": "officer", "subject": "quantri-1", "roles": ["admin"], "unit": "000.00.07.H41"}
    today = legal_day(utcnow()).isoformat()
    body = {
        "valid_from": today,
        "basis": "Thông tư 999/2026/TT-BTC (kiểm thử)",
        "lines": [{"code": "LP", "name": "Lệ phí", "type": "fixed", "amount": 300000}],
        "reductions": [],
    }
    with pytest.raises(Forbidden):
        payment.change_fee("1.000656", body, {**admin, "roles": ["receiver"]})
    changed = payment.change_fee("1.000656", body, admin)
    [current] = [v for v in changed["versions"] if v["in_force"]]
    assert (current["valid_from"], current["base_vnd"], current["created_by"]) == (today, 300000, "quantri-1")
    assert len(changed["versions"]) >= 2 and changed["versions"][0]["valid_from"] is None  # the file's, first
    listed = {s["procedure_code"]: s for s in payment.fee_schedules()}
    assert listed["1.000656"]["current"] == current["id"]
    with pytest.raises(InvalidInput):
        payment.change_fee("1.000656", {**body, "valid_from": "2020-01-01"}, admin)

    payment.on_dossier_status_changed(_changed(code="000.00.07.H41-261130-0002"))
    amounts = {r["dossier_code"]: r["amount_vnd"] for r in payment.db.rows("payments")}
    assert amounts == {CODE: 200000 + 2 * 5000, "000.00.07.H41-261130-0002": 300000}
    assert [r["action"] for r in payment.db.rows("audit_log")] == ["fee.changed"]

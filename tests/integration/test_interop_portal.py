"""National portal sync on the real platform: dossiers move while the portal is down (then erroring), the portal
comes back, and every status change arrives exactly once, in order per dossier; reconciliation shows nothing
missing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import wait_for

pytestmark = pytest.mark.integration
JUSTICE = "000.00.07.H41"


def officer(running, role: str, unit: str = JUSTICE) -> dict:
    return running.headers(f"{role}-1", "officer", unit=unit, roles=[role])


def _history(running, code: str) -> tuple[list[dict], str]:
    """The case's action log and status as the workflow service stored them."""
    engine = create_engine(running.db_url("workflow"))
    try:
        with engine.connect() as conn:
            rows = (
                conn.execute(
                    text(
                        "SELECT from_status, to_status FROM case_actions WHERE dossier_code = :c ORDER BY seq"
                    ),
                    {"c": code},
                )
                .mappings()
                .all()
            )
            status = conn.execute(
                text("SELECT status FROM cases WHERE dossier_code = :c"), {"c": code}
            ).scalar()
        return [dict(r) for r in rows], status
    finally:
        engine.dispose()


def _reconciliation(running, **params) -> dict:
    response = running.session.get(
        f"{running.base_url}/api/v1/portal-sync/reconciliation",
        params=params,
        headers=officer(running, "leader"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_every_status_change_reaches_the_portal_once_and_in_order_after_an_outage(running):
    portal = running.portal
    portal.mode = "down"
    codes = [running.submit("1.000656", "037090000001").json()["code"] for _ in range(3)]
    for code in codes:
        running.receive(code)
    steps = [
        ("leader", "assign", {"params": {"assignee": "handler-1"}}),
        ("handler", "process_step", {"reason": "Đã thẩm định"}),
        ("leader", "approve", {}),
        ("handler", "result_ready", {}),
        ("receiver", "return_result", {}),
    ]
    for index, code in enumerate(codes):
        for role, action, extra in steps[: 2 + index * 2]:  # 2, 4 and all 5 actions
            if index == 1 and action == "approve":
                portal.mode = "500"  # the portal answers again, but with errors
            response = running.session.post(
                f"{running.base_url}/api/v1/dossiers/{code}/actions",
                headers=officer(running, role),
                json={"action": action, **extra},
            )
            assert response.status_code == 200, response.text

    before = _reconciliation(running)
    assert (
        before["in_sync"] is False and before["pending"] == before["records"] and before["acknowledged"] == 0
    )
    assert {d["dossier_code"] for d in before["not_acknowledged"]} >= set(codes)
    assert portal.records == []
    assert all(d["sync_status"] in ("queued", "retrying") for d in before["not_acknowledged"])

    portal.mode = "ok"
    after = wait_for(
        lambda: (r := _reconciliation(running))["in_sync"] and r["pending"] == 0 and r,
        60,
        message="portal in sync",
    )
    assert after["not_acknowledged"] == [] and after["acknowledged"] == after["records"]

    received = portal.records
    assert portal.deliveries == len(received) == after["records"] >= before["records"]  # nothing sent twice
    assert "037090000001" not in json.dumps(received)  # applicant as a keyed reference only
    for code in codes:
        mine = [r for r in received if r["dossier_code"] == code]
        assert [r["sequence"] for r in mine] == list(range(1, len(mine) + 1))
        history, status = _history(running, code)
        changes = [h["to_status"] for h in history if h["from_status"] != h["to_status"]]
        assert [r["status"] for r in mine] == changes
        assert mine[-1]["status"] == status
        assert all(
            r["procedure_code"] == "1.000656"
            and r["agency_code"] == JUSTICE
            and r["applicant_ref"]
            and r["received_at"]
            for r in mine
        )
        one = _reconciliation(running, dossier_code=code)["items"]
        assert one == [
            {
                **one[0],
                "dossier_code": code,
                "acked_seq": len(mine),
                "last_seq": len(mine),
                "pending": 0,
                "sync_status": "synced",
            }
        ]
    assert any(r["finished_at"] for r in received if r["status"] == "returned")

    denied = running.session.get(
        f"{running.base_url}/api/v1/portal-sync/reconciliation", headers=running.headers()
    )
    assert denied.status_code == 403
    assert running.session.get(f"{running.base_url}/api/v1/portal-sync/reconciliation").status_code == 401

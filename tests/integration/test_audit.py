"""The audit chain on the real platform: officer actions and personal-data reads are chained in workflow's and
registry's databases; the ops check (`python -m services.chassis.audit verify <service>`) passes, then fails at
the exact entry after someone edits one row with SQL."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from services.chassis.config import REPO_ROOT

pytestmark = pytest.mark.integration
JUSTICE = "000.00.07.H41"


def _verify(running, service: str) -> tuple[int, dict]:
    env = running.platform.service_env(service)
    env["DATABASE_URL"] = running.database_url
    result = subprocess.run(
        [sys.executable, "-m", "services.chassis.audit", "verify", service],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, json.loads(result.stdout.strip().splitlines()[-1])


def _sql(running, service: str, statement: str, **params):
    engine = create_engine(running.db_url(service))
    try:
        with engine.begin() as conn:
            return (
                conn.execute(text(statement), params).all()
                if statement.startswith("SELECT")
                else conn.execute(text(statement), params)
            )
    finally:
        engine.dispose()


def test_officer_actions_and_reads_are_chained_and_tampering_is_found(running):
    code = running.submit("1.000656", "037090000001").json()["code"]
    base = f"{running.base_url}/api/v1/dossiers/{code}"
    running.receive(code)  # the receiving officer's act is chained too
    for role, action, body in [
        ("leader", "assign", {"params": {"assignee": "handler-1"}}),
        ("handler", "process_step", {"reason": "Đã thẩm định"}),
        ("leader", "approve", {}),
    ]:
        headers = running.headers(f"{role}-1", "officer", unit=JUSTICE, roles=[role])
        answer = running.session.post(f"{base}/actions", headers=headers, json={"action": action, **body})
        assert answer.status_code == 200, answer.text

    status, workflow = _verify(running, "workflow")
    assert status == 0 and workflow["ok"], workflow
    chained = _sql(
        running,
        "workflow",
        "SELECT seq, actor, action, details FROM audit_log WHERE target = :c ORDER BY seq",
        c=code,
    )
    assert [r.action for r in chained] == ["case.receive", "case.assign", "case.process_step", "case.approve"]
    chained = chained[1:]
    assert (
        chained[1].actor == "officer:handler-1" and json.loads(chained[1].details)["reason"] == "Đã thẩm định"
    )

    status, registry = _verify(running, "registry")
    assert status == 0 and registry["ok"] and registry["entries"] >= 3, registry  # the submission's reads
    reads = _sql(running, "registry", "SELECT target, details FROM audit_log ORDER BY seq")
    assert all(
        "037090000001" not in r.target + r.details for r in reads
    )  # the person by keyed reference only

    # Someone with database access softens the handler's reason.
    _sql(
        running,
        "workflow",
        "UPDATE audit_log SET details = replace(details, 'Đã thẩm định', 'Chưa thẩm định') WHERE seq = :s",
        s=chained[1].seq,
    )
    status, workflow = _verify(running, "workflow")
    print(f"\n[audit/{running.backend}] after editing entry {chained[1].seq}: {workflow}")
    assert status == 1 and not workflow["ok"] and workflow["first_bad_seq"] == chained[1].seq

    # ... and someone else removes the last read in the registry.
    last = registry["head_seq"]
    _sql(running, "registry", "DELETE FROM audit_log WHERE seq = :s", s=last)
    status, registry = _verify(running, "registry")
    print(f"[audit/{running.backend}] after deleting entry {last}: {registry}")
    assert status == 1 and not registry["ok"] and registry["first_bad_seq"] == last

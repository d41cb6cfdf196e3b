"""Back up the running platform, destroy its data, restore, and find everything again (every dossier, payment and
audit entry, the audit chains verifying, uploaded files and signed results readable), on SQLite (the embedded
default) and PostgreSQL, through `python -m devtools.backup` as an operator runs it. A backup that is damaged or
unfinished, or a database in use, is refused and nothing changes."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from services.chassis.config import REPO_ROOT
from services.chassis.migrate import services_with_database
from services.chassis.registry import storage_metadata
from tests.conftest import wait_for
from tests.integration.test_payment import file_business_registration, officer, pay, payment

pytestmark = pytest.mark.integration
CITIZEN = "037090000001"
JUSTICE = "000.00.07.H41"
LAND = "8a0d5a2e-0000-4000-8000-000000000001"  # demo: the citizen's land use right certificate
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n% ban ve thiet ke\n%%EOF\n"
)
PASSWORD = "S3cret-of-the-backup-test"  # in the tool's PostgreSQL URL: must never be printed or stored


def _tool(running, *args: str) -> subprocess.CompletedProcess:
    """`python -m devtools.backup ...` with the platform's settings, as an operator beside it would run it; on
    PostgreSQL the URL carries a password (the test server trusts loopback, so it is accepted and ignored)."""
    env = running.platform.service_env("intake")
    if running.backend == "postgresql":
        env["DATABASE_URL"] = running.database_url.replace("//postgres@", f"//postgres:{PASSWORD}@")
    result = subprocess.run(
        [sys.executable, "-m", "devtools.backup", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert PASSWORD not in result.stdout + result.stderr
    return result


def _rows(running, service: str, sql: str) -> set[tuple]:
    engine = create_engine(running.db_url(service))
    try:
        with engine.connect() as conn:
            return {tuple(row) for row in conn.execute(text(sql))}
    finally:
        engine.dispose()


def _audited() -> list[str]:
    return [s for s in services_with_database() if "audit_log" in storage_metadata(s).tables]


def _state(running) -> dict:
    """What must survive: dossiers, uploads, payments, receipts, refunds, every audit entry of every chain."""
    state = {
        "dossiers": _rows(running, "intake", "SELECT code, procedure_code FROM dossiers"),
        "uploads": _rows(running, "intake", "SELECT id, sha256 FROM uploads"),
        "payments": _rows(
            running, "payment", "SELECT id, dossier_code, status, amount_vnd, refunded_vnd FROM payments"
        ),
        "receipts": _rows(running, "payment", "SELECT number, amount_vnd FROM receipts"),
        "refunds": _rows(running, "payment", "SELECT id, amount_vnd, status FROM refunds"),
    }
    for service in _audited():
        state[f"audit:{service}"] = _rows(running, service, "SELECT seq, action, target, hash FROM audit_log")
    return state


def _act(running, code: str, role: str, action: str, unit: str = JUSTICE, **body) -> None:
    answer = running.session.post(
        f"{running.base_url}/api/v1/dossiers/{code}/actions",
        headers=running.headers(f"{role}-1", "officer", unit=unit, roles=[role]),
        json={"action": action, **body},
    )
    assert answer.status_code == 200, answer.text


def _file_with_upload(running) -> tuple[str, str]:
    uploaded = running.session.post(
        f"{running.base_url}/api/v1/uploads",
        data=PDF,
        headers={**running.headers(CITIZEN), "Content-Type": "application/pdf", "X-File-Name": "ban-ve.pdf"},
    )
    assert uploaded.status_code == 201, uploaded.text
    filed = running.session.post(
        f"{running.base_url}/api/v1/dossiers",
        headers=running.headers(CITIZEN),
        json={
            "procedure_code": "1.004227",
            "applicant": {"id_number": CITIZEN},
            "documents": [{"code": "QSDD", "reuse": LAND}, {"code": "BVTK", "upload": uploaded.json()["id"]}],
        },
    )
    assert filed.status_code == 201, filed.text
    return filed.json()["code"], uploaded.json()["id"]


def _returned_with_signed_result(running) -> str:
    code = running.submit("1.000656", CITIZEN).json()["code"]
    running.receive(code)
    for role, action, extra in (
        ("leader", "assign", {"params": {"assignee": "handler-1"}}),
        ("handler", "process_step", {"reason": "Đã thẩm định"}),
        ("leader", "approve", {}),
        ("handler", "result_ready", {}),
        ("receiver", "return_result", {}),
    ):
        _act(running, code, role, action, **extra)
    wait_for(
        lambda: _rows(
            running,
            "workflow",
            f"SELECT 1 FROM result_documents WHERE dossier_code = '{code}' AND status = 'signed'",
        ),
        30,
        message="result signed",
    )
    return code


def _paid_and_partly_refunded(running) -> str:
    code = file_business_registration(running)
    pay(running, code)
    wait_for(lambda: payment(running, code)["status"] == "paid", 30, message="fee paid")
    refund = running.session.post(
        f"{running.base_url}/api/v1/dossiers/{code}/refunds",
        headers=officer(running, "leader"),
        json={"amount_vnd": 30000, "reason": "Thu thừa"},
    )
    assert refund.status_code == 201, refund.text
    return code


def _officer_sessions_revoked(running) -> None:
    """A province administrator revokes an officer's sessions: the gateway's audit chain gets its entry."""
    revoked = running.session.post(
        f"{running.base_url}/api/v1/sessions/revocations",
        json={"subject": "handler-1", "reason": "Chuyển công tác"},
        headers=running.headers("quan-tri-1", "officer", unit="000.00.07.H41", roles=["admin"]),
    )
    assert revoked.status_code == 200, revoked.text


def _file_store_content(running) -> dict[str, bytes]:
    root = Path(running.file_store)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _destroy(running) -> None:
    """What a lost disk or a wrong command does: every service's database and the file store gone."""
    for service in services_with_database():
        url = make_url(running.db_url(service))
        if url.get_backend_name() == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{url.database}{suffix}").unlink(missing_ok=True)
            assert not Path(url.database).exists()
            continue
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
            assert not conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": url.database}
            ).first()
        admin.dispose()
    shutil.rmtree(running.file_store)


def _restarted(running) -> None:
    running.platform.start_all()
    wait_for(
        lambda: running.session.get(f"{running.base_url}/readyz").status_code == 200,
        60,
        message="gateway ready",
    )


def _chain_verifies(running, service: str) -> dict:
    env = running.platform.service_env(service)
    result = subprocess.run(
        [sys.executable, "-m", "services.chassis.audit", "verify", service],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    verdict = json.loads(result.stdout.strip().splitlines()[-1])
    assert result.returncode == 0 and verdict["ok"], verdict
    return verdict


def test_backup_destroy_restore_and_every_dossier_payment_audit_entry_and_file_is_back(running, tmp_path):
    uploaded_code, upload_id = _file_with_upload(running)
    returned_code = _returned_with_signed_result(running)
    paid_code = _paid_and_partly_refunded(running)
    _officer_sessions_revoked(running)
    before = _state(running)
    files_before = _file_store_content(running)
    assert {uploaded_code, returned_code, paid_code} <= {code for code, _ in before["dossiers"]}
    assert before["receipts"] and before["refunds"] and all(before[f"audit:{s}"] for s in _audited())
    assert any(name.startswith("results/") for name in files_before) and upload_id in str(files_before)

    started = time.monotonic()
    backup = _tool(running, "backup", "--to", str(tmp_path / "backup"))  # online: the services keep running
    assert backup.returncode == 0, backup.stderr
    took = time.monotonic() - started
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert set(manifest["services"]) == set(services_with_database())
    assert all(e["audit_verified"]["ok"] for e in manifest["services"].values() if e["audit_head"])
    assert PASSWORD not in json.dumps(manifest)
    assert all(p.stat().st_mode & 0o077 == 0 for p in [tmp_path / "backup", *(tmp_path / "backup").iterdir()])

    # After the backup: a dossier the restore must take away again, so a restore that did nothing cannot pass.
    later = running.submit("1.000656", CITIZEN).json()["code"]
    refused = _tool(running, "restore", "--from", str(tmp_path / "backup"))
    assert refused.returncode != 0 and "in use" in refused.stderr and "make run" in refused.stderr, (
        refused.stderr
    )
    assert (later, "1.000656") in _rows(running, "intake", "SELECT code, procedure_code FROM dossiers")

    running.platform.stop_all()
    _destroy(running)
    started = time.monotonic()
    restored = _tool(running, "restore", "--from", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    size = sum(p.stat().st_size for p in (tmp_path / "backup").iterdir())
    print(
        f"\n[backup/{running.backend}] backup {took:.1f} s, {size / 1024:.0f} KiB; restore "
        f"{time.monotonic() - started:.1f} s\n{restored.stdout}"
    )
    _restarted(running)

    after = _state(running)
    for kind, rows in before.items():
        assert rows <= after[kind], f"{kind}: {sorted(rows - after[kind])[:5]} not restored"
    assert later not in {code for code, _ in after["dossiers"]}
    for service in _audited():
        assert _chain_verifies(running, service)["entries"] >= len(before[f"audit:{service}"])
    assert _file_store_content(running) == files_before
    _readable_again(running, uploaded_code, upload_id, returned_code, paid_code)


def _readable_again(running, uploaded_code: str, upload_id: str, returned_code: str, paid_code: str) -> None:
    """Through the platform, not only in the tables: the documents, the signed result, the receipt."""
    citizen = {"motcua_session": running.token(CITIZEN)}
    document = running.session.get(
        f"{running.base_url}/ho-so/{uploaded_code}/tai-lieu/{upload_id}", cookies=citizen
    )
    assert document.status_code == 200 and document.content == PDF
    result = running.session.get(f"{running.base_url}/ho-so/{returned_code}/ket-qua", cookies=citizen)
    assert result.status_code == 200 and result.content.startswith(b"%PDF")
    receipt = running.session.get(
        f"{running.base_url}/api/v1/dossiers/{paid_code}/receipt", headers=running.headers(CITIZEN)
    )
    assert receipt.status_code == 200 and receipt.json()["amount_vnd"] == 100000
    assert payment(running, paid_code)["refunded_vnd"] == 30000
    # The platform goes on from the restored data: a new dossier gets a code of its own.
    new = running.submit("1.000656", CITIZEN)
    assert new.status_code == 201, new.text
    assert new.json()["code"] not in {uploaded_code, returned_code, paid_code}


def _copy_of(good: Path, name: str) -> Path:
    copy = good.with_name(name)
    shutil.copytree(good, copy)
    return copy


def _resign_manifest(folder: Path, change) -> None:
    """Edit the manifest and write SHA256SUMS again, as a wrong manifest would be: only the restored copy can
    tell."""
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    sums = [
        line
        for line in (folder / "SHA256SUMS").read_text().splitlines()
        if not line.endswith("manifest.json")
    ]
    sums.append(f"{hashlib.sha256((folder / 'manifest.json').read_bytes()).hexdigest()}  manifest.json")
    (folder / "SHA256SUMS").write_text("\n".join(sums) + "\n")


def _leftovers(running) -> list[str]:
    """What a refused restore could have left beside the live data: staged databases, an unpacked file store."""
    found = [str(p) for p in [Path(running.file_store).with_name("files.restoring")] if p.exists()]
    for service in services_with_database():
        url = make_url(running.db_url(service))
        if url.get_backend_name() == "sqlite":
            found += [str(p) for p in Path(url.database).parent.glob(".*.restoring")]
    if running.backend == "postgresql":
        found += [
            name
            for (name,) in _rows(
                running, "intake", "SELECT datname FROM pg_database WHERE datname LIKE '%\\_\\_restore'"
            )
        ]
    return found


def test_a_damaged_unfinished_or_wrong_backup_is_refused_and_nothing_changes(running, tmp_path):
    good = tmp_path / "good"
    assert _tool(running, "backup", "--to", str(good)).returncode == 0
    assert _tool(running, "verify", "--from", str(good)).returncode == 0
    later = running.submit("1.000656", CITIZEN).json()[
        "code"
    ]  # a restore that went through would take it away

    flipped = _copy_of(good, "flipped")
    [copy] = flipped.glob("workflow.*")
    damaged = bytearray(copy.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    copy.write_bytes(bytes(damaged))
    missing = _copy_of(good, "missing")
    (missing / "files.tar").unlink()
    unfinished = _copy_of(good, "unfinished")
    (unfinished / "SHA256SUMS").unlink()  # a backup interrupted before its last step
    wrong = _copy_of(good, "wrong")
    _resign_manifest(
        wrong,
        lambda m: m["services"]["intake"]["rows"].update(
            dossiers=m["services"]["intake"]["rows"]["dossiers"] + 1
        ),
    )

    for folder, named in [
        (flipped, "workflow"),
        (missing, "files.tar"),
        (unfinished, "SHA256SUMS"),
        (wrong, "dossiers"),
    ]:
        # --force: refused for what is wrong with the backup, not because the services are running.
        refused = _tool(running, "restore", "--force", "--from", str(folder))
        assert refused.returncode != 0 and named in refused.stderr, refused.stdout + refused.stderr
        assert "nothing was" in refused.stderr.lower(), refused.stderr
    assert _tool(running, "verify", "--from", str(flipped)).returncode != 0
    assert later in {
        code for code, _ in _rows(running, "intake", "SELECT code, procedure_code FROM dossiers")
    }
    assert _leftovers(running) == []

    # The intact backup under the running services (--force): the backup's data at once, and the services go on.
    forced = _tool(running, "restore", "--force", "--from", str(good))
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert later not in {
        code for code, _ in _rows(running, "intake", "SELECT code, procedure_code FROM dossiers")
    }
    assert _leftovers(running) == []
    wait_for(
        lambda: running.submit("1.000656", CITIZEN).status_code == 201, 30, message="filing after the restore"
    )

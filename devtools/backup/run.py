"""Taking a backup and restoring one: every service's database and the file store, with the manifest checked
before anything is touched and every restored copy checked before it replaces the live data."""

from __future__ import annotations

import shutil
import socket
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import make_url

from devtools.backup import BackupError, facts, manifest
from devtools.backup.files import FileStoreCopy
from devtools.backup.pg import PgDatabase
from devtools.backup.sqlite import SqliteDatabase
from services.chassis import config
from services.chassis.config import REPO_ROOT
from services.chassis.migrate import services_with_database

ENGINES = {"sqlite": SqliteDatabase, "postgresql": PgDatabase}
STOP_FIRST = (
    "Stop the platform first: Ctrl-C in the terminal running `make run` (or stop the services that use "
    "these databases), then restore again. --force (make restore ... FORCE=1) restores under running "
    "services: PostgreSQL connections are cut, SQLite readers see the restored data at once, and work "
    "in flight between the services may be lost."
)


def database(service: str, url: str):
    backend = make_url(url).get_backend_name()
    if backend not in ENGINES:
        raise BackupError(
            f"{service}: no backup for {backend} databases (SQLite and PostgreSQL are supported)"
        )
    return ENGINES[backend](service, url)


def _rows(found: dict) -> str:
    return f"{sum(found['rows'].values())} rows in {len(found['rows'])} tables"


def default_folder() -> Path:
    return REPO_ROOT / "var" / "backups" / datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _code_revision() -> str | None:
    result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def take(folder: Path | None = None, say: Callable[[str], None] = print) -> tuple[Path, dict]:
    """Back up every service's database, then the file store (in that order: a file a backed-up row points to
    was stored before the row was written, so it is in the archive too)."""
    folder = Path(folder or default_folder())
    if folder.exists() and any(folder.iterdir()):
        raise BackupError(f"{folder} is not empty: back up into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # the copies hold personal data: for the owner's eyes only
    try:
        return folder, _take(folder, say)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # an unfinished backup must not look like one
        raise


def _take(folder: Path, say: Callable[[str], None]) -> dict:
    started = datetime.now(timezone.utc)
    services = {}
    for service in services_with_database():
        db = database(service, config.database_url(service))
        file = f"{service}{db.suffix}"
        found = db.backup(folder / file, facts.audit_key(service))
        services[service] = {"engine": db.engine, "database": db.location, "file": file, **found}
        say(f"  {service:<9} {db.engine:<10} {db.location} -> {file} ({_rows(found)})")
    store = FileStoreCopy()
    stored = store.backup(folder / store.file)
    say(f"  {'files':<9} {'':<10} {stored['directory']} -> {store.file} ({stored['files']} files)")
    content = {
        "format": manifest.FORMAT,
        "tool": manifest.TOOL,
        "created_at": started.isoformat(),
        "finished_at": datetime.now(timezone.utc).isoformat(),
        "host": socket.gethostname(),
        "code_revision": _code_revision(),
        "services": services,
        "file_store": stored,
    }
    manifest.write(folder, content)
    return content


def restore(folder: Path, force: bool = False, say: Callable[[str], None] = print) -> dict:
    """Restore the backup in `folder` over the databases and the file store the services use now.

    Refused, with nothing changed, when the backup is damaged or incomplete, when a database is in use (unless
    `force`), or when a restored copy differs from what the manifest recorded."""
    try:
        content = manifest.load_checked(Path(folder))
    except BackupError as exc:
        raise BackupError(f"{exc}\nNothing was restored.") from None
    targets = _targets(content, say)
    if not force:
        busy = [f"{db.service}: {reason}" for db in targets if (reason := db.in_use())]
        if busy:
            raise BackupError(
                "databases in use, nothing was restored:\n  " + "\n  ".join(busy) + "\n" + STOP_FIRST
            )
    store = FileStoreCopy()
    staged = []
    try:
        problems = []
        for db in targets:
            staged.append(db)
            problems += _stage(db, Path(folder), content["services"][db.service], say)
        staged.append(store)
        problems += store.stage(Path(folder) / store.file, content["file_store"])
        if problems:
            raise BackupError(
                "the restored copies differ from the backup, nothing was replaced:\n  "
                + "\n  ".join(problems)
            )
    except BaseException:
        for part in staged:
            part.discard()
        raise
    _switch(targets, store, force, say)
    say(f"  {'files':<9} restored into {store.root} ({content['file_store']['files']} files)")
    return content


def _switch(targets: list, store: FileStoreCopy, force: bool, say: Callable[[str], None]) -> None:
    done = []
    try:
        for db in targets:
            db.switch(force)
            done.append(db.service)
            say(f"  {db.service:<9} restored into {db.location}")
        store.switch()
    except Exception as exc:  # noqa: BLE001 - whatever stopped it, say what is restored and what is not
        raise BackupError(
            f"the restore stopped half-way ({exc}): restored {', '.join(done) or 'nothing'}, "
            "not the rest; run the same restore again"
        ) from exc


def _targets(content: dict, say: Callable[[str], None]) -> list:
    targets = []
    for service, entry in content["services"].items():
        db = database(service, config.database_url(service))
        if db.engine != entry["engine"]:
            raise BackupError(
                f"{service}: the backup holds a {entry['engine']} database, the service now uses "
                f"{db.engine} ({db.location}); restore where it came from"
            )
        targets.append(db)
    for service in sorted(set(services_with_database()) - set(content["services"])):
        say(f"  {service}: not in this backup (taken before it had a database), left as it is")
    return targets


def _stage(db, folder: Path, entry: dict, say: Callable[[str], None]) -> list[str]:
    key = facts.audit_key(db.service)
    found = db.stage(folder / entry["file"], key)
    problems = [f"{db.service}: {p}" for p in facts.differences(entry, found)]
    verdict = found["audit_verified"]
    if verdict is not None and not verdict["ok"] and (entry["audit_verified"] or {}).get("ok", True):
        problems.append(
            f"{db.service}: the audit chain does not verify ({verdict['reason']} at entry "
            f"{verdict['first_bad_seq']}): is MOTCUA_APPLICANT_REF_KEY the platform's key?"
        )
    chain = (
        "no audit chain"
        if found["audit_head"] is None
        else "audit chain not verified (no key)"
        if verdict is None
        else f"audit chain {'verified' if verdict['ok'] else 'BROKEN'}, {verdict['entries']} entries"
    )
    say(f"  {db.service:<9} checked: {_rows(found)} as backed up, {chain}")
    return problems

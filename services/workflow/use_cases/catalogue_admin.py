"""The procedure catalogue administered at run time (issue #22; docs/catalogue-import.md): imports from the national
database's fields (CSV, XLSX) or the platform's YAML, every version of a procedure with its status, publication (now
or from a date) and withdrawal, by a province administrator; every change audited in the workflow's chain.

Where the catalogue lives: the `procedure_versions` table. procedures.yaml seeds it at the first start (`seed`,
run by an eager timer on every replica; the first to commit wins, the others find it seeded); until then, and in a
database that was never seeded, the file is the catalogue. Each replica holds the versions that are or were in force
in memory and compares a mark (the catalogue changes' count and newest id) before each use (Catalogue.refresh), so
a publication holds on every replica at its next request. A dossier keeps the version it was filed under: its case
names (code, version), and a withdrawn version stays loaded for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.chassis.clock import iso_utc, legal_day, utcnow
from services.chassis.errors import Conflict, InvalidInput, NotFound
from services.workflow.adapters import catalogue_files, catalogue_store, datafiles, storage
from services.workflow.domain import catalogue_import
from services.workflow.domain.catalogue import DRAFT, PUBLISHED, WITHDRAWN, Procedure, from_definition
from services.workflow.domain.catalogue_import import Problem
from services.workflow.domain.indicators import TERMINAL
from services.workflow.use_cases.calendar import check_admin

TASK = "quản lý danh mục thủ tục hành chính"
SEED_BY = "system:seed"
MAX_PROBLEMS = 1000  # listed in a refusal (all are counted)


def _today(now: datetime) -> date:
    return legal_day(now)


def _who(actor: dict) -> str:
    return f"officer:{actor.get('subject') or ''}"


# -- the seed --------------------------------------------------------------------------------------------------------
def seed(uow, catalogue, now: datetime | None = None) -> int:
    """An empty catalogue gets the procedures file's versions as the file says them (published, their numbers and
    dates kept: dossiers already filed name them). How many were written (0: seeded before)."""
    session = uow.session
    if not catalogue_store.empty(session):
        return 0
    at = now or utcnow()
    versions = [v for _, v in sorted(catalogue.seed.items())]
    details = {
        "file": catalogue.seed_file.name,
        "file_sha256": datafiles.sha256(catalogue.seed_file),
        "versions": len(versions),
    }
    change = catalogue_store.add_change(session, "seed", SEED_BY, at, details)
    catalogue_store.add_versions(session, versions, change, SEED_BY, at)
    uow.audit(SEED_BY, "catalogue.seeded", f"change:{change}", details)
    return len(versions)


def seed_once(db, catalogue, log) -> None:
    """The eager timer's work: seed an empty catalogue (another replica seeding at the same moment wins: ours rolls
    back); tell the operator when the procedures file differs from what the catalogue was seeded from."""
    try:
        with db.unit() as uow:
            written = seed(uow, catalogue)
    except IntegrityError:
        log.info("catalogue_seeded_elsewhere")
        return
    if written:
        log.info("catalogue_seeded", versions=written)
        return
    with db.unit() as uow:
        seeded = catalogue_store.seed_change(uow.session)
    if seeded and seeded["details"].get("file_sha256") != datafiles.sha256(catalogue.seed_file):
        log.warning(
            "procedures_file_not_applied",
            hint="procedures.yaml only seeds an empty catalogue; import it at /quan-tri/thu-tuc "
            "(POST /api/v1/catalogue/imports) to change the catalogue",
        )


# -- import ----------------------------------------------------------------------------------------------------------
def _content(body: dict) -> bytes:
    try:
        return base64.b64decode(body["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_content", "Nội dung tệp không đúng mã base64.") from None


def _parse(
    content: bytes, media_type: str, ctx
) -> tuple[list[tuple[int, Procedure]], list[Problem], list[str]]:
    """The file's procedures, the problems of every bad row, the columns ignored."""
    try:
        read = catalogue_files.read(content, media_type)
    except catalogue_files.Unreadable as exc:
        return [], [Problem(exc.line, "", "unreadable", exc.vi, exc.en)], []
    if isinstance(read, catalogue_files.Table):
        return catalogue_import.parse_table(read.header, catalogue_files.rows(read), ctx, read.header_line)
    procedures, problems = catalogue_import.parse_entries(read, ctx)
    return procedures, problems, []


def _from_table(
    media_type: str, procedures: list[tuple[int, Procedure]], catalogue, today: date
) -> list[Procedure]:
    """The file's procedures as they compare with the store: a table's carry the English names of the version in
    force where their Vietnamese text is unchanged (a table holds Vietnamese only)."""
    if media_type == catalogue_files.YAML:
        return [p for _, p in procedures]
    return [catalogue_import.with_english(p, catalogue.search.current(p.code, today)) for _, p in procedures]


def _refused(problems: list[Problem]) -> InvalidInput:
    lines = sorted({p.line for p in problems})
    named = ", ".join(str(n) for n in lines[:10]) + (" ..." if len(lines) > 10 else "")
    return InvalidInput(
        "catalogue_rows_invalid",
        f"Tệp có {len(lines)} dòng sai (dòng {named}); chưa nhập thủ tục nào. Sửa các dòng này rồi nhập lại cả tệp.",
        {
            "problems": [p.to_dict() for p in problems[:MAX_PROBLEMS]],
            "problem_count": len(problems),
            "bad_lines": len(lines),
        },
    )


def import_file(uow, catalogue, body: dict, actor: dict, now: datetime | None = None) -> dict:
    """Validate a whole file; if every row is good (and not `dry_run`), write a new version of each changed or new
    procedure (published or draft, as `publish` says) in this one transaction: one catalogue change, an audit entry
    for the import (counts, the file's SHA-256) and one per version created. InvalidInput lists every bad row."""
    check_admin(catalogue, actor, TASK)
    at = now or utcnow()
    content = _content(body)
    ctx = catalogue_import.context_of(catalogue.territory, catalogue.processes, _today(at))
    procedures, problems, ignored = _parse(content, body["media_type"], ctx)
    if problems:
        raise _refused(problems)
    session = uow.session
    if not body["dry_run"]:
        seed(uow, catalogue, at)
    stored = (
        catalogue_store.stored(session) if not catalogue_store.empty(session) else _seed_stored(catalogue)
    )
    incoming = _from_table(body["media_type"], procedures, catalogue, ctx.today)
    plan = catalogue_import.plan(incoming, stored, body["publish"], ctx.today)
    report = {
        "dry_run": body["dry_run"],
        "publish": body["publish"],
        "file_name": body.get("file_name") or "",
        "media_type": body["media_type"],
        "file_sha256": hashlib.sha256(content).hexdigest(),
        "rows": len(procedures),
        "created_count": len(plan.created),
        "unchanged_count": len(plan.unchanged),
        "ignored_columns": ignored,
        "created": [_created(catalogue, p, ctx.today) for p in plan.created],
        "import_id": None,
    }
    if not body["dry_run"]:
        report["import_id"] = _write_import(uow, plan.created, report, actor, at)
    return report


def _seed_stored(catalogue) -> list[catalogue_import.Stored]:
    return [
        catalogue_import.Stored(p.code, p.version, p.status, catalogue_import.digest(p))
        for p in catalogue.seed.values()
    ]


def _created(catalogue, procedure: Procedure, today: date) -> dict:
    before = catalogue.search.current(procedure.code, today)
    return {
        "code": procedure.code,
        "version": procedure.version,
        "status": procedure.status,
        "valid_from": procedure.valid_from.isoformat(),
        "name": procedure.name.get("vi", ""),
        "in_force_version": before.version if before else None,
        "changes": _changes(before, procedure),
    }


def _changes(before: Procedure | None, after: Procedure) -> list[dict]:
    """What `after` changes from `before`: each field's key and its name in both languages."""
    return [
        {"field": key, "name": dict(zip(("vi", "en"), catalogue_import.FIELD_NAMES[key], strict=True))}
        for key in catalogue_import.changes(before, after)
    ]


def _write_import(uow, created: list[Procedure], report: dict, actor: dict, at: datetime) -> int:
    session = uow.session
    who = _who(actor)
    counts = {k: report[k] for k in ("rows", "created_count", "unchanged_count", "file_sha256", "media_type")}
    change = catalogue_store.add_change(
        session, "import", who, at, {**counts, "file_name": report["file_name"], "publish": report["publish"]}
    )
    try:
        catalogue_store.add_versions(session, created, change, who, at)
    except IntegrityError:
        raise Conflict(
            "catalogue_changed_meanwhile",
            "Danh mục vừa được thay đổi bởi một lần nhập khác; hãy nhập lại tệp.",
        ) from None
    uow.audit(who, "catalogue.imported", f"import:{change}", {**counts, "publish": report["publish"]})
    for p in created:
        uow.audit(
            who,
            "catalogue.version_created",
            f"{p.code}@{p.version}",
            {"status": p.status, "valid_from": p.valid_from.isoformat(), "import": change},
        )
    return change


# -- reading -----------------------------------------------------------------------------------------------------------
def procedures(uow, catalogue, body: dict, actor: dict, now: datetime | None = None) -> dict:
    """The administrators' list: every procedure (drafts too) matching `q` (code or name, with or without
    diacritics), a page of `limit` after `offset`, each with its version in force and its newest version."""
    check_admin(catalogue, actor, TASK)
    today = _today(now or utcnow())
    seed(uow, catalogue, now)
    by_code: dict[str, list[dict]] = {}
    for row in catalogue_store.summaries(uow.session):
        by_code.setdefault(row["code"], []).append(row)
    words = catalogue_import.fold(body.get("q") or "").split()
    found = []
    for code in sorted(by_code):
        rows = by_code[code]
        newest = max(rows, key=lambda r: r["version"])
        text = catalogue_import.fold(f"{code} {newest['name']} {newest['field']}")
        if all(w in text for w in words):
            found.append(_summary(code, rows, newest, today))
    offset, limit = body.get("offset") or 0, body.get("limit") or 50
    return {"items": found[offset : offset + limit], "total": len(found), "offset": offset, "limit": limit}


def _summary(code: str, rows: list[dict], newest: dict, today: date) -> dict:
    current = _in_force_row(rows, today)
    return {
        "code": code,
        "name": (current or newest)["name"],
        "field": (current or newest)["field"],
        "versions": len(rows),
        "in_force_version": current["version"] if current else None,
        "newest": {
            "version": newest["version"],
            "status": newest["status"],
            "state": _state(newest, current, today),
        },
        "drafts": sum(1 for r in rows if r["status"] == DRAFT),
        "scheduled": sum(1 for r in rows if r["status"] == PUBLISHED and r["valid_from"] > today),
    }


def _in_force_row(rows: list[dict], today: date) -> dict | None:
    published = [r for r in rows if r["status"] == PUBLISHED and r["valid_from"] <= today]
    return max(published, key=lambda r: (r["valid_from"], r["version"]), default=None)


def _state(row: dict, current: dict | None, today: date) -> str:
    """draft | scheduled (published, from a later day) | in_force | superseded (published, replaced) | withdrawn."""
    if row["status"] != PUBLISHED:
        return str(row["status"])
    if row["valid_from"] > today:
        return "scheduled"
    return "in_force" if current is not None and current["version"] == row["version"] else "superseded"


def versions(uow, catalogue, code: str, actor: dict, now: datetime | None = None) -> dict:
    """Every version of a procedure, newest first: status and state, dates, who did what, what it says, what it
    changed from the version before, and how many open dossiers follow it. NotFound for an unknown code."""
    check_admin(catalogue, actor, TASK)
    today = _today(now or utcnow())
    seed(uow, catalogue, now)
    rows = catalogue_store.versions(uow.session, code)
    if not rows:
        raise NotFound("procedure_not_found", f"Không có thủ tục {code} trong danh mục.")
    current = _in_force_row(rows, today)
    open_cases = _open_cases(uow.session, code)
    items = []
    for index, row in enumerate(rows):
        before = _procedure(rows[index + 1]) if index + 1 < len(rows) else None
        items.append(_version_view(row, current, today, before, open_cases.get(row["version"], 0)))
    return {"code": code, "in_force_version": current["version"] if current else None, "versions": items}


def _procedure(row: dict) -> Procedure:
    return from_definition(
        {**json.loads(row["definition"]), "valid_from": row["valid_from"].isoformat()}, row["status"]
    )


def _version_view(
    row: dict, current: dict | None, today: date, before: Procedure | None, open_cases: int
) -> dict:
    procedure = _procedure(row)
    return {
        "code": row["code"],
        "version": row["version"],
        "status": row["status"],
        "state": _state(row, current, today),
        "valid_from": row["valid_from"].isoformat(),
        "name": procedure.name,
        "definition": procedure.to_dict() | {"agency_kind": procedure.agency_kind},
        "changes": _changes(before, procedure),
        "open_cases": open_cases,
        "created_at": iso_utc(row["created_at"]),
        "created_by": row["created_by"],
        "published_at": iso_utc(row["published_at"]),
        "published_by": row["published_by"],
        "withdrawn_at": iso_utc(row["withdrawn_at"]),
        "withdrawn_by": row["withdrawn_by"],
        "withdrawn_reason": row["withdrawn_reason"],
    }


def _open_cases(session, code: str) -> dict[int, int]:
    cases = storage.cases
    rows = session.execute(
        select(cases.c.procedure_version, func.count())
        .where(cases.c.procedure_code == code, cases.c.status.not_in(sorted(TERMINAL)))
        .group_by(cases.c.procedure_version)
    )
    return {int(version): int(count) for version, count in rows}


# -- publication and withdrawal ------------------------------------------------------------------------------------------
def _version(uow, code: str, version: int) -> dict:
    row = catalogue_store.version_for_update(uow.session, code, version)
    if row is None:
        raise NotFound("version_not_found", f"Không có phiên bản {version} của thủ tục {code}.")
    return row


def publish(
    uow, catalogue, code: str, version: int, body: dict, actor: dict, now: datetime | None = None
) -> dict:
    """Publish a draft (or move a scheduled version's date): in force from `effective_from` (today by default, or
    the draft's own date when it is later; never a past day). The versions before it stay for the dossiers filed
    under them. Conflict for a version in force already, superseded or withdrawn."""
    check_admin(catalogue, actor, TASK)
    at = now or utcnow()
    today = _today(at)
    seed(uow, catalogue, at)
    row = _version(uow, code, version)
    if row["status"] == WITHDRAWN or (row["status"] == PUBLISHED and row["valid_from"] <= today):
        raise Conflict(
            "version_not_publishable",
            f"Phiên bản {version} của thủ tục {code} đã {_STATE_WORDS[row['status']]}; chỉ công bố được bản nháp "
            "hoặc đổi ngày của phiên bản chưa có hiệu lực.",
            {"status": row["status"]},
        )
    effective = body.get("effective_from") or max(today, row["valid_from"])
    if effective < today:
        raise InvalidInput(
            "effective_date_past",
            "Ngày có hiệu lực không được trước hôm nay.",
            {"field": "effective_from", "today": today.isoformat()},
        )
    who = _who(actor)
    catalogue_store.set_published(uow.session, code, version, effective, who, at)
    change = catalogue_store.add_change(
        uow.session,
        "publish",
        who,
        at,
        {"code": code, "version": version, "valid_from": effective.isoformat()},
    )
    uow.audit(
        who,
        "catalogue.version_published",
        f"{code}@{version}",
        {"valid_from": effective.isoformat(), "was": row["status"], "change": change},
    )
    return versions(uow, catalogue, code, actor, at)


_STATE_WORDS = {WITHDRAWN: "bị thu hồi", PUBLISHED: "có hiệu lực", DRAFT: "là bản nháp"}


def withdraw(
    uow, catalogue, code: str, version: int, body: dict, actor: dict, now: datetime | None = None
) -> dict:
    """Withdraw a version (a draft given up, a scheduled one cancelled, or one in force: then the published version
    before it, if any, is in force again; none: new filings are refused). Open dossiers filed under it keep it.
    A reason is required. Withdrawing a withdrawn version changes nothing (`changed` false)."""
    check_admin(catalogue, actor, TASK)
    at = now or utcnow()
    seed(uow, catalogue, at)
    row = _version(uow, code, version)
    if row["status"] == WITHDRAWN:
        return {**versions(uow, catalogue, code, actor, at), "changed": False}
    who = _who(actor)
    reason = body["reason"].strip()
    catalogue_store.set_withdrawn(uow.session, code, version, reason, who, at)
    change = catalogue_store.add_change(uow.session, "withdraw", who, at, {"code": code, "version": version})
    uow.audit(
        who,
        "catalogue.version_withdrawn",
        f"{code}@{version}",
        {"reason": reason, "was": row["status"], "change": change},
    )
    return {**versions(uow, catalogue, code, actor, at), "changed": True}

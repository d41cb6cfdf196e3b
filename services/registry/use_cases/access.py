"""Every read of personal data, allowed or refused, is recorded twice in the reading transaction: in the
access log the citizen sees (`access_log` RPC), and in the tamper-evident audit chain
(services/chassis/audit.py), where the person appears only as a keyed reference."""

from __future__ import annotations

import json
from collections.abc import Sequence

from services.chassis import audit
from services.chassis.clock import utcnow
from services.chassis.errors import InvalidInput
from services.registry.adapters import storage
from services.registry.domain.consent import CATEGORIES
from services.registry.use_cases import checked, well_formed


def record(
    uow,
    ref_key: str,
    id_number: str,
    requester: str,
    categories: Sequence[str],
    purpose: str,
    dossier_code: str,
    allowed: bool,
    detail: str = "",
) -> None:
    """One access-log row and one audit entry per category (the rows in one statement)."""
    at = utcnow()
    storage.log_access(
        uow.session,
        [
            dict(
                id_number=id_number,
                requester=requester,
                category=category,
                purpose=purpose,
                dossier_code=dossier_code or "",
                allowed=allowed,
                at=at,
                detail=detail,
            )
            for category in categories
        ],
    )
    ref = audit.person_ref(ref_key, id_number)
    for category in categories:
        uow.audit(
            requester,
            "personal_data.read" if allowed else "personal_data.read_refused",
            ref,
            {"category": category, "purpose": purpose, "dossier_code": dossier_code or "", "detail": detail},
        )


def record_many(
    db, ref_key: str, reads: list[dict], requester: str, category: str, purpose: str, detail: str
) -> dict:
    """Reads made by another service on an officer's behalf (`reads`: [{id_number, dossier_code}]), logged in one
    transaction. InvalidInput for an ID number without the form of one (12 digits: these are numbers the platform
    holds, checked in full when taken) or an unknown category (nothing is logged then)."""
    if category not in CATEGORIES or not isinstance(reads, list) or len(reads) > 1000:
        raise InvalidInput("invalid_request", "Cần danh sách lượt đọc và loại dữ liệu hợp lệ.")
    rows = [(well_formed(str(r.get("id_number", ""))), str(r.get("dossier_code") or "")[:60]) for r in reads]
    with db.unit() as uow:
        for id_number, code in rows:
            record(
                uow,
                ref_key,
                id_number,
                str(requester)[:60],
                [category],
                str(purpose)[:40],
                code,
                True,
                detail,
            )
    return {"recorded": len(rows)}


def record_document_read(
    db, ref_key: str, id_number: str, dossier_code: str, reader: dict, document: dict
) -> dict:
    """An officer opened one of the citizen's documents in a dossier (a file they uploaded, one reused from this
    registry, a supplement version): one access-log row the citizen sees, with the officer's name, title and unit,
    and the document; and its audit entry."""
    who = {k: str(reader.get(k) or "")[:200] for k in ("subject", "name", "title", "unit", "unit_name")}
    if not who["subject"]:
        raise InvalidInput("invalid_request", "Cần biết cán bộ đã xem giấy tờ.", {"field": "reader.subject"})
    what = {k: str(document.get(k) or "")[:300] for k in ("code", "name", "version", "source")}
    detail = json.dumps({"reader": who, "document": what}, ensure_ascii=False)
    with db.unit() as uow:
        record(
            uow,
            ref_key,
            checked(id_number),
            f"officer:{who['subject']}"[:60],
            ("documents",),
            "dossier_processing",
            str(dossier_code)[:60],
            True,
            detail,
        )
    return {"logged": True}


def log_of(db, id_number: str) -> list[dict]:
    """Who read the citizen's data (the last 500 reads), when, why, for which dossier, and whether allowed; an
    officer's read of a document also says who they are (`reader`) and which document (`document`)."""
    with db.unit() as uow:
        rows = storage.access_log_of(uow.session, checked(id_number), 500)
    return [
        {
            "requester": r["requester"],
            "category": r["category"],
            "purpose": r["purpose"],
            "dossier_code": r["dossier_code"],
            "allowed": r["allowed"],
            "at": r["at"].isoformat(),
            **_officer_read(r["detail"]),
        }
        for r in rows
    ]


def _officer_read(detail: str) -> dict:
    """{reader, document} of an officer's document read (record_document_read's detail), else nothing."""
    if not (detail or "").startswith("{"):
        return {}
    try:
        found = json.loads(detail)
    except ValueError:
        return {}
    if not isinstance(found, dict) or not isinstance(found.get("reader"), dict):
        return {}
    return {"reader": found["reader"], "document": found.get("document") or {}}

"""Dossiers as filed: one read in full (with every version of its documents), a citizen's list, the
applicant's contact for notify, and the answer kept for a submission's Idempotency-Key."""

from __future__ import annotations

import json
from datetime import datetime

from services.chassis import idempotency
from services.chassis.clock import iso_utc
from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.intake.adapters import storage


def get(db, code: str, who: dict) -> dict:
    """The dossier as submitted, if `who` may see it (a citizen: their own; an officer: their unit's, checked
    again by the gateway against the case). Unknown and not-yours look the same (NotFound)."""
    # Two reads, each committing on its own: a dossier is written once, and its documents only grow (later
    # versions are added, never changed), so they need no shared snapshot.
    with db.autocommit() as conn:
        dossier = storage.find_dossier(conn, code)
        if dossier is None or (who["kind"] == "citizen" and dossier["applicant_id_number"] != who["subject"]):
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        rows = storage.documents_of(conn, dossier["code"])
    return {
        "documents": _documents(rows),
        "code": dossier["code"],
        "procedure_code": dossier["procedure_code"],
        "procedure_version": dossier["procedure_version"],
        "receiving_agency_code": dossier["receiving_agency_code"],
        "applicant": {
            "id_number": dossier["applicant_id_number"],
            "full_name": dossier["applicant_name"],
            "address_unit_code": dossier["applicant_unit_code"],
        },
        "contact": {
            "email": dossier["contact_email"],
            "phone": dossier["contact_phone"],
            "language": dossier["language"],
        },
        "channel": dossier["channel"],
        "form": json.loads(dossier["form_data"]),
        "submitted_at": iso_utc(dossier["submitted_at"]),
    }


def _documents(rows: list[dict]) -> list[dict]:
    """Every version of every document; the highest version of each is the one in force (`current`)."""
    latest: dict[str, int] = {}
    for d in rows:
        latest[d["requirement_code"]] = max(latest.get(d["requirement_code"], 0), d["version"])
    return [
        {
            "code": d["requirement_code"],
            "source": d["source"],
            "sha256": d["sha256"],
            "registry_document_id": d["registry_document_id"],
            "upload_id": d["upload_id"],
            "file_name": d["file_name"],
            "media_type": d["media_type"],
            "size_bytes": d["size_bytes"],
            "version": d["version"],
            "origin": d["origin"],
            "added_at": iso_utc(d["added_at"]) if d["added_at"] else None,
            "current": d["version"] == latest[d["requirement_code"]],
        }
        for d in rows
    ]


def list_own(db, who: dict, limit: int, before: str | None) -> dict:
    """A citizen's own dossiers, newest first, `limit` (1-100) a page; `next` is the next page's cursor."""
    if who["kind"] != "citizen":
        raise Forbidden("citizens_only", "Chức năng dành cho công dân.")
    limit = min(max(int(limit), 1), 100)
    with db.unit() as uow:
        rows = storage.dossiers_of(uow.session, who["subject"], limit + 1, _cursor(before))
    items = [
        {
            "code": r["code"],
            "procedure_code": r["procedure_code"],
            "receiving_agency_code": r["receiving_agency_code"],
            "channel": r["channel"],
            "submitted_at": iso_utc(r["submitted_at"]),
        }
        for r in rows[:limit]
    ]
    nxt = f"{items[-1]['submitted_at']}|{items[-1]['code']}" if len(rows) > limit else None
    return {"items": items, "next": nxt}


def _cursor(before: str | None) -> tuple[datetime, str] | None:
    """`{submitted_at}|{code}` of the last dossier of the page before."""
    if not before:
        return None
    stamp, _, code = str(before).partition("|")
    try:
        return datetime.fromisoformat(stamp), code
    except ValueError:
        raise InvalidInput("invalid_cursor", "Con trỏ phân trang không hợp lệ.") from None


def contact(db, code: str) -> dict:
    """How to reach the applicant of a dossier (for notify, when a status change overtook
    ApplicantContactRecorded)."""
    with db.autocommit() as conn:
        dossier = storage.find_dossier(conn, code)
    if dossier is None:
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
    return {
        "full_name": dossier["applicant_name"],
        "email": dossier["contact_email"],
        "phone": dossier["contact_phone"],
        "language": dossier["language"],
    }


def filed_with_key(db, owner: str, idempotency_key: str) -> dict:
    """The answer of the submission `owner` made with this key ({code, status, ..., replayed: true}).
    Raises NotFound when nothing was filed with it."""
    key = idempotency.checked_key(idempotency_key)
    answer = None
    if key:
        with db.autocommit() as conn:
            answer = idempotency.kept_answer(conn, owner, key)
    if not answer or "code" not in answer or answer.get("status") != "submitted":
        raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ đã nộp với khóa này.")
    return answer

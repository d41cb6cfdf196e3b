"""Later versions of a dossier's documents: a file the applicant sends with a completion (Form 02, before
receipt) or a supplement answer becomes the next version of the document it names. Earlier versions stay
readable; the highest version is the one in force."""

from __future__ import annotations

from datetime import datetime

from services.chassis.clock import utcnow
from services.chassis.errors import InvalidInput, NotFound
from services.intake.adapters import storage

MAX_FILES = 10


def add(db, code: str, who: dict, items: list[dict], log) -> dict:
    """Link each `{code, upload}` as the next version of that document of the citizen's own dossier `code`.
    Returns {documents: [{code, version, upload_id, sha256, file_name, media_type, size_bytes}]}.

    Raises NotFound (not their dossier), InvalidInput (too many files, unknown document, upload not theirs
    or used)."""
    with db.unit() as uow:
        dossier = storage.find_dossier(uow.session, code)
        if dossier is None or who["kind"] != "citizen" or dossier["applicant_id_number"] != who["subject"]:
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        added = add_versions(uow.session, dossier, who["subject"], items, utcnow())
    log.info("documents_added", dossier_code=code, count=len(added))
    return {"documents": added}


def _row(doc: dict, upload: dict | None) -> dict:
    return {
        "code": doc["requirement_code"],
        "version": doc["version"],
        "upload_id": doc["upload_id"],
        "sha256": doc["sha256"],
        "file_name": (upload or {}).get("file_name"),
        "media_type": (upload or {}).get("media_type"),
        "size_bytes": (upload or {}).get("size_bytes"),
    }


def add_versions(session, dossier: dict, owner: str, items: list[dict], now: datetime) -> list[dict]:
    """In the caller's transaction. The upload must be the owner's and unused; an upload already linked to
    this dossier answers with its version (a retried answer adds nothing twice). Raises InvalidInput naming
    the document that cannot take the file."""
    if len(items) > MAX_FILES:
        raise InvalidInput("too_many_files", f"Gửi tối đa {MAX_FILES} tệp mỗi lần.")
    code = dossier["code"]
    existing = storage.document_rows(session, code)
    known = {d["requirement_code"] for d in existing}
    answered = []
    errors: dict[str, str] = {}
    for item in items:
        requirement, upload_id = item["code"], item["upload"]
        if requirement not in known:
            errors[requirement] = "Thành phần này không thuộc hồ sơ."
            continue
        linked = next((d for d in existing if d["upload_id"] == upload_id), None)
        upload = storage.owned_upload(session, upload_id, owner)
        if linked is not None and upload is not None:
            answered.append(_row(linked, upload))
            continue
        if upload is None or upload["used_by"] is not None:
            errors[requirement] = "Tệp tải lên không tồn tại, không phải của bạn hoặc đã được dùng."
            continue
        version = storage.last_version(session, code, requirement) + 1
        row = dict(
            dossier_code=code,
            requirement_code=requirement,
            source="uploaded",
            registry_document_id=None,
            upload_id=upload_id,
            sha256=upload["sha256"],
            version=version,
            origin="supplement",
            added_at=now,
        )
        storage.insert_document_version(session, row)
        storage.mark_upload_used(session, upload_id, code)
        existing.append(row)
        answered.append(_row(row, upload))
    if errors:
        raise InvalidInput("documents_invalid", "Tệp bổ sung không hợp lệ.", {"documents": errors})
    return answered

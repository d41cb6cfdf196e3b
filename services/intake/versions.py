"""Later versions of a dossier's documents: a file the applicant sends with a completion (Form 02, before receipt)
or a supplement answer becomes the next version of the document it names. Earlier versions stay readable; the
highest version is the one in force. Reads and writes intake's tables inside the caller's transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from services.chassis.errors import InvalidInput
from services.intake import storage

MAX_FILES = 10


def _row(doc: dict, upload: dict | None) -> dict:
    return {"code": doc["requirement_code"], "version": doc["version"], "upload_id": doc["upload_id"],
            "sha256": doc["sha256"], "file_name": (upload or {}).get("file_name"),
            "media_type": (upload or {}).get("media_type"), "size_bytes": (upload or {}).get("size_bytes")}


def add(session, dossier: dict, owner: str, items: list[dict], now: datetime) -> list[dict]:
    """Link each `{code, upload}` as the next version of that document of `dossier`. The upload must be the
    owner's and unused; an upload already linked to this dossier answers with its version (a retried answer
    adds nothing twice). Raises InvalidInput naming the document that cannot take the file."""
    if len(items) > MAX_FILES:
        raise InvalidInput("too_many_files", f"Gửi tối đa {MAX_FILES} tệp mỗi lần.")
    docs, ups = storage.dossier_documents, storage.uploads
    code = dossier["code"]
    existing = [dict(r) for r in session.execute(select(docs).where(docs.c.dossier_code == code)).mappings()]
    known = {d["requirement_code"] for d in existing}
    answered = []
    errors: dict[str, str] = {}
    for item in items:
        requirement, upload_id = item["code"], item["upload"]
        if requirement not in known:
            errors[requirement] = "Thành phần này không thuộc hồ sơ."
            continue
        linked = next((d for d in existing if d["upload_id"] == upload_id), None)
        upload = session.execute(select(ups).where(ups.c.id == upload_id, ups.c.owner == owner)).mappings().first()
        if linked is not None and upload is not None:
            answered.append(_row(linked, dict(upload)))
            continue
        if upload is None or upload["used_by"] is not None:
            errors[requirement] = "Tệp tải lên không tồn tại, không phải của bạn hoặc đã được dùng."
            continue
        version = (session.execute(select(func.coalesce(func.max(docs.c.version), 0)).where(
            docs.c.dossier_code == code, docs.c.requirement_code == requirement)).scalar_one()) + 1
        row = dict(dossier_code=code, requirement_code=requirement, source="uploaded", registry_document_id=None,
                   upload_id=upload_id, sha256=upload["sha256"], version=version, origin="supplement", added_at=now)
        session.execute(docs.insert().values(**row))
        session.execute(update(ups).where(ups.c.id == upload_id).values(used_by=code))
        existing.append(row)
        answered.append(_row(row, dict(upload)))
    if errors:
        raise InvalidInput("documents_invalid", "Tệp bổ sung không hợp lệ.", {"documents": errors})
    return answered

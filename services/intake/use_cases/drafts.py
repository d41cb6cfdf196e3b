"""Drafts: a partly filled dossier (any JSON object up to 64 KB) kept for its owner to resume later."""

from __future__ import annotations

import json
import uuid

from services.chassis import idempotency
from services.chassis.clock import iso_utc, utcnow
from services.chassis.errors import InvalidInput, NotFound
from services.intake.adapters import storage

MAX_DRAFT_BYTES = 65536


def save(db, draft_id: str | None, body: dict, owner: str, idempotency_key: str | None) -> dict:
    """A new draft when `draft_id` is None (once per Idempotency-Key), else replace that draft's content.
    Returns {id, updated_at} (and `replayed: True` for a retried create)."""
    if not isinstance(body, dict):
        raise InvalidInput("invalid_request", "Bản nháp phải là một đối tượng JSON.")
    text = json.dumps(body, ensure_ascii=False)
    if len(text) > MAX_DRAFT_BYTES:
        raise InvalidInput("draft_too_large", "Bản nháp vượt quá 64 KB.")
    now = utcnow()
    procedure_code = str(body.get("procedure_code") or "")[:30]
    if draft_id:
        with db.unit() as uow:
            done = storage.update_draft(
                uow.session, draft_id, owner, body=text, procedure_code=procedure_code, updated_at=now
            )
        if not done:
            raise NotFound("draft_not_found", "Không tìm thấy bản nháp.")
        return {"id": draft_id, "updated_at": iso_utc(now)}
    key = idempotency.checked_key(idempotency_key)

    def create(uow) -> dict:
        new_id = str(uuid.uuid4())
        storage.insert_draft(
            uow.session,
            dict(
                id=new_id,
                owner=owner,
                procedure_code=procedure_code,
                body=text,
                created_at=now,
                updated_at=now,
            ),
        )
        return {"id": new_id, "updated_at": iso_utc(now)}

    return idempotency.perform(db, owner, key, idempotency.request_hash(body, "save_draft"), create)


def get(db, draft_id: str, owner: str) -> dict:
    with db.unit() as uow:
        row = storage.find_draft(uow.session, draft_id, owner)
    if row is None:
        raise NotFound("draft_not_found", "Không tìm thấy bản nháp.")
    return {"id": row["id"], "body": json.loads(row["body"]), "updated_at": iso_utc(row["updated_at"])}


def list_of(db, owner: str) -> list[dict]:
    with db.unit() as uow:
        rows = storage.drafts_of(uow.session, owner)
    return [
        {"id": r["id"], "procedure_code": r["procedure_code"], "updated_at": iso_utc(r["updated_at"])}
        for r in rows
    ]


def delete(db, draft_id: str, owner: str) -> dict:
    with db.unit() as uow:
        done = storage.delete_draft(uow.session, draft_id, owner)
    if not done:
        raise NotFound("draft_not_found", "Không tìm thấy bản nháp.")
    return {"id": draft_id, "deleted": True}

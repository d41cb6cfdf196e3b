"""The citizen document store: verified documents a person holds (imported, checked by an officer, or a
dossier's result), found for reuse in later procedures so a citizen never submits again what the state issued."""

from __future__ import annotations

import uuid
from datetime import date

from services.chassis.clock import utcnow
from services.chassis.errors import NotFound
from services.registry.adapters import storage
from services.registry.domain import documents
from services.registry.use_cases import access, checked, today


def find_valid(
    db, ref_key: str, id_number: str, doc_types: list[str], requester: str, dossier_code: str
) -> list[dict]:
    """The person's valid (not expired, not revoked) documents of these types, newest first; those found past
    their expiry date are marked expired on the way. The read is logged (category `documents`)."""
    with db.unit() as uow:
        rows = storage.valid_documents(uow.session, checked(id_number), list(doc_types))
        expired = documents.expired(rows, today())
        if expired:
            storage.mark_expired(uow.session, expired)
        access.record(
            uow, ref_key, id_number, requester, ("documents",), "dossier_processing", dossier_code, True
        )
    return [documents.view(r) for r in rows if r["id"] not in expired]


def all_types(db) -> list[str]:
    with db.unit() as uow:
        return storage.document_types(uow.session)


def get_owned(db, document_id: str, owner_id_number: str) -> dict:
    """One document, if it belongs to `owner_id_number`; NotFound otherwise (unknown and not-theirs alike)."""
    with db.unit() as uow:
        row = storage.find_document(uow.session, document_id)
    if row is None or row["owner_id_number"] != owner_id_number:
        raise NotFound("document_not_found", "Không tìm thấy giấy tờ trong kho dữ liệu của công dân.")
    return documents.view(row)


def store(db, document: dict) -> dict:
    """Keep a verified document (an upload checked by an officer, or an import). Returns {id}."""
    with db.unit() as uow:
        doc_id = str(uuid.uuid4())
        storage.insert_document(
            uow.session,
            dict(
                id=doc_id,
                owner_id_number=checked(document["owner_id_number"]),
                doc_type=document["doc_type"],
                title=document["title"],
                issuer=document["issuer"],
                number=document.get("number", ""),
                issued_on=date.fromisoformat(document["issued_on"]),
                expires_on=date.fromisoformat(document["expires_on"]) if document.get("expires_on") else None,
                sha256=document["sha256"],
                provenance=document.get("provenance", "imported"),
                status="valid",
                source_dossier_code=document.get("source_dossier_code"),
                created_at=utcnow(),
            ),
        )
    return {"id": doc_id}


def store_result(db, event, log) -> None:
    """A dossier's result (ResultIssued) becomes a verified document of its applicant, once per event."""
    data = event.data
    with db.unit(event) as uow:
        if uow.duplicate:
            return
        owner = storage.owner_of_ref(uow.session, data.applicant_ref)
        if owner is None:
            log.warning("result_owner_unknown", dossier_code=data.dossier_code)
            return
        storage.insert_document(
            uow.session,
            dict(
                id=str(uuid.uuid4()),
                owner_id_number=owner,
                doc_type=data.result_type,
                title=data.title,
                issuer=data.issuer_name,
                number=data.dossier_code,
                issued_on=date.fromisoformat(data.issued_on),
                expires_on=date.fromisoformat(data.expires_on) if data.expires_on else None,
                sha256=data.document_sha256 or "0" * 64,
                provenance="issued",
                status="valid",
                source_dossier_code=data.dossier_code,
                created_at=utcnow(),
            ),
        )

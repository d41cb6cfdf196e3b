"""Uploads: a file the gateway stored (content already checked), recorded so a submission can cite it."""

from __future__ import annotations

from services.chassis import idempotency
from services.chassis.clock import utcnow
from services.intake.adapters import storage


def register(db, record: dict, owner: str, idempotency_key: str | None) -> dict:
    """Record `record` (a loaded UploadRecord) for `owner`. Returns {id, sha256, size_bytes, media_type}.

    With a key, a retry of the same content answers with the first upload's record (`replayed: True`; the
    caller then discards the copy it just stored); other content: Conflict."""
    key = idempotency.checked_key(idempotency_key)
    # The content, not the stored copy (its id and path are new on every retry) nor a defaulted name.
    digest = idempotency.request_hash(
        {k: record[k] for k in ("media_type", "size_bytes", "sha256")}, "register_upload"
    )

    def create(uow) -> dict:
        storage.insert_upload(
            uow.session, {**record, "owner": owner, "used_by": None, "created_at": utcnow()}
        )
        return {
            "id": record["id"],
            "sha256": record["sha256"],
            "size_bytes": record["size_bytes"],
            "media_type": record["media_type"],
        }

    return idempotency.perform(db, owner, key, digest, create)

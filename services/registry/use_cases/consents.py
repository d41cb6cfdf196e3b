"""Consents (Law 91/2025/QH15 on personal data protection): a citizen lets an agency read a category of their
data for a purpose until a date, sees their consents, and revokes one."""

from __future__ import annotations

from services.chassis import idempotency
from services.chassis.clock import utcnow
from services.chassis.errors import InvalidInput, NotFound
from services.registry.adapters import storage
from services.registry.domain.consent import InvalidGrant, parse_grant
from services.registry.use_cases import checked


def grant(db, id_number: str, request: dict, idempotency_key: str | None) -> dict:
    """Grant the consent `request` asks for. Returns {id, agency_code, category, purpose, valid_until}.

    With a key, a retry of the same request answers with the consent the first one granted (`replayed: True`)
    instead of granting another; another request: Conflict. Raises InvalidInput (`invalid_request`), NotFound
    (`person_not_found`)."""
    try:
        asked = parse_grant(request, utcnow())
    except InvalidGrant as exc:
        raise InvalidInput("invalid_request", exc.message, exc.details) from None
    key = idempotency.checked_key(idempotency_key)

    def create(uow) -> dict:
        if storage.find_person(uow.session, checked(id_number)) is None:
            raise NotFound("person_not_found", "Không tìm thấy công dân.")
        consent_id = storage.insert_consent(
            uow.session,
            dict(
                id_number=id_number,
                agency_code=asked.agency_code,
                category=asked.category,
                purpose=asked.purpose,
                valid_until=asked.valid_until,
                granted_at=utcnow(),
                revoked_at=None,
            ),
        )
        return {
            "id": consent_id,
            "agency_code": asked.agency_code,
            "category": asked.category,
            "purpose": asked.purpose,
            "valid_until": asked.valid_until.isoformat(),
        }

    return idempotency.perform(db, id_number, key, idempotency.request_hash(request, "grant_consent"), create)


def revoke(db, id_number: str, consent_id: int) -> dict:
    with db.unit() as uow:
        done = storage.revoke_consent(uow.session, consent_id, id_number, utcnow())
    if not done:
        raise NotFound("consent_not_found", "Không tìm thấy sự đồng ý.")
    return {"id": consent_id, "revoked": True}


def list_of(db, id_number: str) -> list[dict]:
    with db.unit() as uow:
        return [
            {
                "id": c.id,
                "agency_code": c.agency_code,
                "category": c.category,
                "purpose": c.purpose,
                "valid_until": c.valid_until.isoformat(),
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            }
            for c in storage.consents_of(uow.session, checked(id_number))
        ]

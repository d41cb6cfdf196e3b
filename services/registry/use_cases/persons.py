"""Reads of a person's data: by trusted services inside the platform (every read logged), by agencies through
the gateway (consent and purpose enforced, refusals logged too), and the development sign-in page's samples."""

from __future__ import annotations

from services.chassis.clock import utcnow
from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.registry.adapters import storage
from services.registry.domain import consent, person
from services.registry.domain.identity import check_id_number
from services.registry.use_cases import access, checked, documents, today


def get(db, ref_key: str, id_number: str, requester: str, purpose: str, dossier_code: str) -> dict:
    """The person (identity, address, contact) and the province of birth their ID number encodes.
    Raises InvalidInput (`invalid_id_number`), NotFound (`person_not_found`)."""
    info = check_id_number(checked(id_number), today())
    with db.unit() as uow:
        row = storage.find_person(uow.session, id_number)
        if row is not None:
            access.record(uow, ref_key, id_number, requester, person.ALL, purpose, dossier_code, True)
    if row is None:
        raise NotFound(
            "person_not_found",
            "Không tìm thấy công dân trong cơ sở dữ liệu.",
            {"field": "applicant.id_number"},
        )
    return {**person.disclosed(row, person.ALL), "province_of_birth_code": info.province_code}


def agency_read(
    db, ref_key: str, agency_code: str, id_number: str, category: str, purpose: str, dossier_code: str
) -> dict:
    """One category of a person's data for an agency, if the person consented to that agency reading it for
    that purpose. Every attempt is logged. Raises Forbidden(`no_consent`), for an ID number the registry does
    not hold as well: one answer for both (no existence oracle)."""
    if category not in consent.CATEGORIES or purpose not in consent.PURPOSES:
        raise InvalidInput(
            "invalid_request",
            "Loại dữ liệu hoặc mục đích không hợp lệ.",
            {"categories": list(consent.CATEGORIES), "purposes": list(consent.PURPOSES)},
        )
    now = utcnow()
    with db.unit() as uow:
        row = storage.find_person(uow.session, checked(id_number))
        allowing, detail = consent.for_read(
            storage.consents_of(uow.session, id_number), row is not None, agency_code, category, purpose, now
        )
        access.record(
            uow,
            ref_key,
            id_number,
            agency_code,
            (category,),
            purpose,
            dossier_code,
            allowing is not None,
            detail,
        )
    if allowing is None or row is None:
        raise Forbidden("no_consent", "Công dân chưa đồng ý cho cơ quan đọc dữ liệu này cho mục đích này.")
    if category == "documents":
        return {
            "id_number": id_number,
            "documents": documents.find_valid(
                db, ref_key, id_number, documents.all_types(db), agency_code, dossier_code
            ),
        }
    return person.disclosed(row, (category,))


def sign_in_samples(db, is_local: bool, limit: int) -> list[dict]:
    """Local mode only: a few people the registry holds (ID number and name), for the development sign-in page
    to offer (at most 50). Forbidden in any other mode."""
    if not is_local:
        raise Forbidden("local_only", "Chỉ dùng trong môi trường phát triển.")
    with db.autocommit() as conn:
        return storage.some_persons(conn, min(int(limit), 50))

"""Signed results (adapters/signing.py): signing the ones a failure left pending, showing them to the applicant
and officers, verifying a file anyone holds, revoking one."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import select, update

from services.chassis.clock import utcnow
from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.workflow.adapters import signing, storage

DOCS = storage.result_documents


def retry_signing(db, signer, log) -> None:
    """Sign results left pending by a signing failure. Each row is claimed by a conditional update, so two
    replicas never issue the same result twice."""
    if not signer.enabled:
        return
    with db.unit() as uow:
        pending = uow.session.execute(
            select(DOCS.c.verification_code, DOCS.c.attempts).where(DOCS.c.status == "pending").limit(20)
        ).all()
    for code, attempts in pending:
        claim = (
            update(DOCS)
            .where(DOCS.c.verification_code == code, DOCS.c.status == "pending", DOCS.c.attempts == attempts)
            .values(attempts=attempts + 1)
        )
        try:
            with db.unit() as uow:
                if uow.session.execute(claim).rowcount:
                    signing.sign_and_issue(uow, signer, code, utcnow())
        except Exception as exc:  # noqa: BLE001 - stays pending; retried at the next tick
            log.warning("result_signing_failed", error=type(exc).__name__)
            with db.unit() as uow:  # the claim rolled back with the failure: count the attempt
                uow.session.execute(claim)


def result_document(session, dossier_code: str) -> dict:
    row = (
        session.execute(select(DOCS).where(DOCS.c.dossier_code == str(dossier_code)[:60])).mappings().first()
    )
    if row is None or row["status"] != "signed":
        raise Conflict("result_not_ready", "Kết quả điện tử chưa sẵn sàng.")
    return {
        "verification_code": row["verification_code"],
        "file": f"results/{row['verification_code']}.pdf",
        "sha256": row["sha256"],
        "signed_at": row["signed_at"].isoformat() if row["signed_at"] else None,
        "revoked": row["revoked_at"] is not None,
    }


def verification(session, code: str) -> dict:
    row = storage.find_result_document(session, code)
    if row is None or row["status"] != "signed":
        raise NotFound("document_not_found", "Không tìm thấy văn bản với mã xác thực này.")
    return signing.public_view(row)


def verify(db, signer, pdf_base64: str) -> dict:
    """A signed result's bytes: signature intact over the whole file, certificate trusted, document known here
    (by hash) and not revoked."""
    try:
        pdf = base64.b64decode(pdf_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("invalid_document", "Tệp gửi lên không đọc được.") from None
    checked = signer.verify(pdf)  # outside the transaction: no connection held while the signature is checked
    with db.unit() as uow:
        row = uow.session.execute(select(DOCS).where(DOCS.c.sha256 == signing.sha256(pdf))).mappings().first()
    document = signing.public_view(row) if row is not None else None
    valid = bool(
        checked["intact"]
        and checked["trusted"]
        and checked["covers_whole_document"]
        and document is not None
        and not document["revoked"]
    )
    return {
        "valid": valid,
        "intact": checked["intact"] and checked["covers_whole_document"],
        "trusted": checked["trusted"],
        "known": document is not None,
        "revoked": bool(document and document["revoked"]),
        "signer": checked["signer"],
        "signed_at": checked["signed_at"],
        "verification_code": checked["verification_code"],
        "document": document,
    }


def is_admin(catalogue, actor: dict) -> bool:
    """Whether `actor` acts as an administrator. The `admin` role counts only for an agency the catalogue
    holds: a token naming a unit that does not exist is refused, never trusted for every unit."""
    if actor.get("kind") != "officer" or "admin" not in set(actor.get("roles") or []):
        return False
    if catalogue.territory.agencies.get(str(actor.get("unit") or "")) is None:
        raise Forbidden(
            "unit_unknown",
            "Đơn vị trong phiên đăng nhập không có trong danh mục cơ quan.",
            {"unit": str(actor.get("unit") or "")},
        )
    return True


def revoke(uow, catalogue, code: str, reason: str, actor: dict) -> dict:
    """Revoke a signed result (a leader of the issuing agency, or an administrator of an existing agency).
    Idempotent; audited, with whether the administrator's right was used."""
    admin = is_admin(catalogue, actor)
    if actor.get("kind") != "officer" or not ("leader" in set(actor.get("roles") or []) or admin):
        raise Forbidden("role_not_allowed", "Chỉ lãnh đạo cơ quan cấp được thu hồi văn bản.")
    if not (reason or "").strip():
        raise InvalidInput("reason_required", "Phải nêu lý do thu hồi.", {"field": "reason"})
    row = storage.find_result_document(uow.session, code)
    if row is None or row["status"] != "signed":
        raise NotFound("document_not_found", "Không tìm thấy văn bản với mã xác thực này.")
    if not admin and actor.get("unit") != row["agency_code"]:
        raise Forbidden("unit_not_allowed", "Văn bản do cơ quan khác cấp.")
    revoked = uow.session.execute(
        update(DOCS)
        .where(DOCS.c.verification_code == code, DOCS.c.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason.strip())
    ).rowcount
    if revoked:
        uow.audit(
            f"officer:{actor.get('subject')}",
            "result.revoked",
            row["dossier_code"],
            {
                "verification_code": code,
                "unit": actor.get("unit"),
                "as_admin": admin,
                "issuing_agency": row["agency_code"],
                "reason": reason.strip(),
            },
        )
    return signing.public_view(storage.find_result_document(uow.session, code))

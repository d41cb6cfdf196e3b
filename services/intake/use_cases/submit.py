"""Submitting a dossier, the once-only rule at work: the registry says who the applicant is and which
documents they already hold, workflow which agency receives the filing; the dossier is stored with its code,
and DossierSubmitted (public) and ApplicantContactRecorded (private, for notify) are written to the outbox in
the same transaction.

With an Idempotency-Key the same request answers the same (`replayed: True`), another request is refused
(Conflict), and two identical requests at once file once (services/chassis/idempotency.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from motcua.intake.v1.events_pb2 import ApplicantContactRecorded, DossierSubmitted
from sqlalchemy.exc import IntegrityError

from services.chassis import idempotency
from services.chassis.clock import iso_utc, utcnow
from services.chassis.errors import Forbidden, InvalidInput
from services.intake import metrics
from services.intake.adapters import storage
from services.intake.domain import codes, documents, search, submission
from services.intake.domain.documents import Resolved
from services.intake.use_cases import Ports


@dataclass(frozen=True)
class _Known:
    """What the other services answered before anything is written."""

    person: dict
    route: dict
    requirements: list[dict]
    reusable: dict[str, dict]  # registry document id → the applicant's valid document


@dataclass(frozen=True)
class _Filed:
    dossier: dict[str, Any]  # the row as stored
    resolved: list[Resolved]
    answer: dict


def submit(ports: Ports, body: dict, who: dict, idempotency_key: str | None) -> dict:
    """File `body` (a loaded SubmitDossierRequest) for `who` (a loaded Viewer). Returns the answer
    {code, status, submitted_at, procedure, agency_code, agency_name, documents}.

    Raises Forbidden (`not_own_dossier`, `agency_cannot_submit`), InvalidInput (`documents_incomplete`, and
    what the registry and workflow refuse), NotFound (person), Conflict (a key reused for another request)."""
    id_number = body["applicant"]["id_number"]
    try:
        submission.check_submitter(who["kind"], who["subject"], id_number)
    except submission.NotAllowed as refused:
        raise Forbidden(refused.code, refused.message) from None
    key = idempotency.checked_key(idempotency_key)
    digest = idempotency.request_hash(body)
    earlier = _kept_answer(ports.db, who["subject"], key, digest)
    if earlier is not None:
        return earlier
    known = _ask(ports, body, id_number)
    try:
        with ports.db.unit() as uow:
            filed = _file(uow, ports, body, who, known)
            if key:
                idempotency.remember(uow.session, who["subject"], key, digest, filed.answer)
    except IntegrityError as exc:
        # The same key committed by a concurrent request first: answer as it did (or refuse another body).
        return idempotency.after_race(ports.db, who["subject"], key, digest, exc)
    _report(ports.log, body, filed)
    return filed.answer


def _kept_answer(db, owner: str, key: str | None, digest: str) -> dict | None:
    if not key:
        return None
    with db.autocommit() as conn:
        return idempotency.find(conn, owner, key, digest)


def _ask(ports: Ports, body: dict, id_number: str) -> _Known:
    # Ask the registry first: the citizen never types what the state holds.
    person = ports.registry.person(id_number, "intake")
    route = ports.workflow.route(body["procedure_code"], person["address_unit_code"])
    requirements = route["procedure"].get("documents") or []
    held = ports.registry.valid_documents(id_number, documents.wanted(requirements), "intake")
    return _Known(person, route, requirements, {d["id"]: d for d in held})


def _file(uow, ports: Ports, body: dict, who: dict, known: _Known) -> _Filed:
    """Store the dossier with its code and documents, and record both events, in `uow`'s transaction."""
    resolved = _resolve_documents(uow.session, body, who, known)
    now = utcnow()
    agency = known.route["receiving_agency_code"]
    day = codes.legal_day(now)
    code = codes.dossier_code(agency, day, storage.take_number(ports.db, uow.session, agency, day))
    ref = codes.applicant_ref(ports.applicant_ref_key, body["applicant"]["id_number"])
    dossier = _dossier_row(code, body, who, known, ref, now)
    storage.insert_dossier(uow.session, dossier)
    found_by = search.terms_for(
        dossier["applicant_name"], dossier["applicant_id_number"], dossier["contact_phone"]
    )
    storage.insert_search_terms(uow.session, code, agency, found_by)  # the officers' queue search
    storage.insert_documents(uow.session, code, resolved)
    if body.get("draft_id"):
        storage.delete_draft(uow.session, body["draft_id"], who["subject"])
    _publish(uow, dossier, who)
    return _Filed(dossier, resolved, _answer(dossier, known, resolved))


def _resolve_documents(session, body: dict, who: dict, known: _Known) -> list[Resolved]:
    cited = [c["upload"] for c in body["documents"] if c.get("upload")]
    uploads = storage.unused_uploads(session, who["subject"], cited)
    resolved, errors = documents.resolve(known.requirements, body["documents"], known.reusable, uploads)
    if errors:
        raise InvalidInput(
            "documents_incomplete",
            "Thành phần hồ sơ chưa đầy đủ hoặc không hợp lệ.",
            {"documents": errors, "reusable": {d["doc_type"]: d["id"] for d in known.reusable.values()}},
        )
    return resolved


def _dossier_row(code: str, body: dict, who: dict, known: _Known, ref: str, now: datetime) -> dict[str, Any]:
    procedure, person = known.route["procedure"], known.person
    reach = submission.contact(body["contact"], person)
    return dict(
        code=code,
        procedure_code=procedure["code"],
        procedure_version=procedure["version"],
        receiving_agency_code=known.route["receiving_agency_code"],
        applicant_id_number=body["applicant"]["id_number"],
        applicant_ref=ref,
        applicant_name=reach.full_name,
        applicant_unit_code=person["address_unit_code"],
        contact_email=reach.email,
        contact_phone=reach.phone,
        language=reach.language,
        channel=body["channel"],
        form_data=json.dumps(body["form"], ensure_ascii=False),
        submitted_by=who["subject"],
        submitted_at=now,
    )


def _publish(uow, dossier: dict[str, Any], who: dict) -> None:
    code = dossier["code"]
    submitted = {
        "dossier_code": code,
        "procedure_code": dossier["procedure_code"],
        "procedure_version": dossier["procedure_version"],
        "receiving_agency_code": dossier["receiving_agency_code"],
        "applicant_unit_code": dossier["applicant_unit_code"],
        "applicant_ref": dossier["applicant_ref"],
        "channel": dossier["channel"],
        "submitted_at": iso_utc(dossier["submitted_at"]),
    }
    if submission.received_at_desk(dossier["channel"], who["kind"], who["roles"]):
        submitted.update(counter_officer=who["subject"], counter_unit=who["unit"] or "")
    uow.publish(DossierSubmitted, submitted, subject=code)
    # How to reach the applicant goes to notify alone, on intake's private exchange (never public).
    uow.publish(
        ApplicantContactRecorded,
        {
            "dossier_code": code,
            "contact": {
                "full_name": dossier["applicant_name"],
                "email": dossier["contact_email"],
                "phone": dossier["contact_phone"],
                "language": dossier["language"],
            },
        },
        subject=code,
    )


def _answer(dossier: dict[str, Any], known: _Known, resolved: list[Resolved]) -> dict:
    procedure = known.route["procedure"]
    return {
        "code": dossier["code"],
        "status": "submitted",
        "submitted_at": iso_utc(dossier["submitted_at"]),
        "procedure": {"code": procedure["code"], "version": procedure["version"], "name": procedure["name"]},
        "agency_code": known.route["agency_code"],
        "agency_name": known.route["agency_name"],
        "documents": [{"code": r.requirement_code, "source": r.source} for r in resolved],
    }


def _report(log, body: dict, filed: _Filed) -> None:
    """Count and log a filing once it committed (the log masks the ID number)."""
    metrics.count_submission(body["channel"], filed.resolved)
    dossier = filed.dossier
    structlog.contextvars.bind_contextvars(dossier_code=dossier["code"])
    log.info(
        "dossier_submitted",
        procedure_code=dossier["procedure_code"],
        agency_code=dossier["receiving_agency_code"],
        channel=dossier["channel"],
        applicant=dossier["applicant_id_number"],
        reused=sum(r.source == "reused" for r in filed.resolved),
    )

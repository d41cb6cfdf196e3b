"""Registry service: what the state already holds about people (persons, businesses, verified documents),
who may read it (consents), and who did (access log)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

from motcua.workflow.v1.events_pb2 import ResultIssued
from nameko.rpc import rpc
from sqlalchemy import select, update

from services.chassis import audit, idempotency
from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.registry.adapters import storage
from services.registry.domain.business import InvalidTaxCode, normalise_tax_code
from services.registry.domain.consent import CATEGORIES, PURPOSES, Consent, permits
from services.registry.domain.identity import InvalidIdNumber, check_id_number


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _checked(id_number: str) -> str:
    try:
        check_id_number(id_number)
    except InvalidIdNumber as exc:
        raise InvalidInput("invalid_id_number", exc.message, {"field": "applicant.id_number",
                                                               "reason": exc.reason}) from None
    return id_number


def _document(row) -> dict:
    return {"id": row["id"], "doc_type": row["doc_type"], "title": row["title"], "issuer": row["issuer"],
            "number": row["number"], "issued_on": row["issued_on"].isoformat(),
            "expires_on": row["expires_on"].isoformat() if row["expires_on"] else None, "sha256": row["sha256"],
            "provenance": row["provenance"], "status": row["status"],
            "source_dossier_code": row["source_dossier_code"]}


def _person(row: dict, categories: tuple[str, ...]) -> dict:
    out = {"id_number": row["id_number"]}
    if "identity" in categories:
        out.update(full_name=row["full_name"], birth_date=row["birth_date"].isoformat(), sex=row["sex"])
    if "address" in categories:
        out.update(address_unit_code=row["address_unit_code"], address_line=row["address_line"])
    if "contact" in categories:
        out.update(email=row["email"], phone=row["phone"], language=row["language"])
    return out


class RegistryService(audit.AuditChainRpc):
    name = "registry"

    db = Database(storage.metadata)
    settings = SettingsProvider()
    log = LogContext()
    metrics = EntrypointMetrics()

    def _log_read(self, uow, id_number, requester, category, purpose, dossier_code, allowed, detail=""):
        """Every read of personal data: in the access log the citizen sees, and in the audit chain."""
        self._log_reads(uow, id_number, requester, (category,), purpose, dossier_code, allowed, detail)

    def _log_reads(self, uow, id_number, requester, categories, purpose, dossier_code, allowed, detail=""):
        """A read of several categories at once: one access-log row and one audit entry each, one statement."""
        at = _now()
        uow.session.execute(storage.access_log.insert(), [
            dict(id_number=id_number, requester=requester, category=category, purpose=purpose,
                 dossier_code=dossier_code or "", allowed=allowed, at=at, detail=detail)
            for category in categories])
        ref = audit.person_ref(self.settings.applicant_ref_key, id_number)
        for category in categories:
            uow.audit(requester, "personal_data.read" if allowed else "personal_data.read_refused", ref,
                      {"category": category, "purpose": purpose, "dossier_code": dossier_code or "",
                       "detail": detail})

    # -- for services (trusted callers inside the platform) -----------------------------------------------
    @rpc
    def get_person(self, id_number: str, requester: str = "intake", purpose: str = "dossier_processing",
                   dossier_code: str = "") -> dict:
        """The person with this ID number (identity, address, contact). Every read is logged.

        Raises InvalidInput(`invalid_id_number`) for a malformed number and NotFound(`person_not_found`)."""
        info = check_id_number(_checked(id_number))
        with self.db.unit() as uow:
            row = storage.find_person(uow.session, id_number)
            if row is not None:
                self._log_reads(uow, id_number, requester, ("identity", "address", "contact"), purpose,
                                dossier_code, True)
        if row is None:
            raise NotFound("person_not_found", "Không tìm thấy công dân trong cơ sở dữ liệu.",
                           {"field": "applicant.id_number"})
        person = _person(row, ("identity", "address", "contact"))
        person["province_of_birth_code"] = info.province_code
        return person

    @rpc
    def find_documents(self, id_number: str, doc_types: list[str], requester: str = "intake",
                       dossier_code: str = "") -> list[dict]:
        """Valid (not expired, not revoked) documents of these types the person holds, newest first."""
        today = date.today()
        table = storage.documents
        with self.db.unit() as uow:
            rows = uow.session.execute(select(table).where(
                table.c.owner_id_number == _checked(id_number), table.c.doc_type.in_(list(doc_types)),
                table.c.status == "valid").order_by(table.c.issued_on.desc())).mappings().all()
            expired = [r["id"] for r in rows if r["expires_on"] and r["expires_on"] < today]
            if expired:
                uow.session.execute(update(table).where(table.c.id.in_(expired)).values(status="expired"))
            self._log_read(uow, id_number, requester, "documents", "dossier_processing", dossier_code, True)
        return [_document(r) for r in rows if r["id"] not in expired]

    @rpc
    def get_document(self, document_id: str, owner_id_number: str) -> dict:
        """One document, if it belongs to `owner_id_number` (intake checks a reuse against it)."""
        with self.db.unit() as uow:
            row = uow.session.execute(select(storage.documents).where(
                storage.documents.c.id == document_id)).mappings().first()
        if row is None or row["owner_id_number"] != owner_id_number:
            raise NotFound("document_not_found", "Không tìm thấy giấy tờ trong kho dữ liệu của công dân.")
        return _document(row)

    @rpc
    def store_document(self, document: dict) -> dict:
        """Keep a verified document (an upload checked by an officer, or an import)."""
        with self.db.unit() as uow:
            doc_id = str(uuid.uuid4())
            uow.session.execute(storage.documents.insert().values(
                id=doc_id, owner_id_number=_checked(document["owner_id_number"]), doc_type=document["doc_type"],
                title=document["title"], issuer=document["issuer"], number=document.get("number", ""),
                issued_on=date.fromisoformat(document["issued_on"]),
                expires_on=date.fromisoformat(document["expires_on"]) if document.get("expires_on") else None,
                sha256=document["sha256"], provenance=document.get("provenance", "imported"), status="valid",
                source_dossier_code=document.get("source_dossier_code"), created_at=_now()))
        return {"id": doc_id}

    @on_event(ResultIssued)
    def on_result_issued(self, event):
        """A dossier's result becomes a verified document of its applicant, reusable in later procedures."""
        data = event.data
        with self.db.unit(event) as uow:
            if uow.duplicate:
                return
            owner = uow.session.execute(select(storage.persons.c.id_number).where(
                storage.persons.c.ref == data.applicant_ref)).scalar_one_or_none()
            if owner is None:
                self.log.warning("result_owner_unknown", dossier_code=data.dossier_code)
                return
            uow.session.execute(storage.documents.insert().values(
                id=str(uuid.uuid4()), owner_id_number=owner, doc_type=data.result_type, title=data.title,
                issuer=data.issuer_name, number=data.dossier_code, issued_on=date.fromisoformat(data.issued_on),
                expires_on=date.fromisoformat(data.expires_on) if data.expires_on else None, sha256=data.document_sha256 or "0" * 64,
                provenance="issued", status="valid", source_dossier_code=data.dossier_code, created_at=_now()))

    # -- for agencies, through the gateway: consent and purpose enforced ------------------------------------------
    @rpc
    def agency_read(self, agency_code: str, id_number: str, category: str, purpose: str, dossier_code: str = "") -> dict:
        """An agency reads one category of a person's data for a purpose the person consented to; every
        attempt is logged, refused ones too. Raises Forbidden(`no_consent`), for an ID number the registry does
        not hold as well: an agency without consent must not learn whether a person exists (no existence oracle)."""
        if category not in CATEGORIES or purpose not in PURPOSES:
            raise InvalidInput("invalid_request", "Loại dữ liệu hoặc mục đích không hợp lệ.",
                               {"categories": list(CATEGORIES), "purposes": list(PURPOSES)})
        now = _now()
        with self.db.unit() as uow:
            row = storage.find_person(uow.session, _checked(id_number))
            consent = permits(self._consents(uow.session, id_number), agency_code, category, purpose, now)
            if row is None:
                consent = None  # a consent cannot outlive its person; the same answer as "no consent" below
            self._log_read(uow, id_number, agency_code, category, purpose, dossier_code, consent is not None,
                           "" if consent else ("no consent" if row is not None else "unknown person"))
        if consent is None:
            raise Forbidden("no_consent", "Công dân chưa đồng ý cho cơ quan đọc dữ liệu này cho mục đích này.")
        if category == "documents":
            return {"id_number": id_number, "documents": self.find_documents(id_number, self._all_types(),
                                                                             agency_code, dossier_code)}
        return _person(row, (category,))

    def _all_types(self) -> list[str]:
        with self.db.unit() as uow:
            return [r[0] for r in uow.session.execute(select(storage.documents.c.doc_type).distinct()).all()]

    def _consents(self, session, id_number: str) -> list[Consent]:
        rows = session.execute(select(storage.consents).where(storage.consents.c.id_number == id_number)).mappings()
        return [Consent(r["id"], r["agency_code"], r["category"], r["purpose"], r["valid_until"], r["revoked_at"])
                for r in rows]

    # -- for the citizen ------------------------------------------------------------------------------------------
    @rpc
    def grant_consent(self, id_number: str, request: dict, idempotency_key: str | None = None) -> dict:
        """The citizen lets an agency read a category of their data for a purpose until a date.

        With `idempotency_key`, a retry of the same request answers with the consent the first one granted
        (`replayed: True`) instead of granting another; another request: Conflict."""
        if not isinstance(request, dict):
            raise InvalidInput("invalid_request", "Cần một đối tượng JSON.")
        agency, category, purpose = request.get("agency_code"), request.get("category"), request.get("purpose")
        try:
            valid_until = datetime.fromisoformat(str(request.get("valid_until")).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput("invalid_request", "valid_until phải là thời điểm ISO 8601.") from None
        if valid_until.tzinfo is None:
            raise InvalidInput("invalid_request", "valid_until cần múi giờ.")
        if not isinstance(agency, str) or not agency or category not in CATEGORIES or purpose not in PURPOSES:
            raise InvalidInput("invalid_request", "Cần agency_code, category và purpose hợp lệ.",
                               {"categories": list(CATEGORIES), "purposes": list(PURPOSES)})
        if valid_until <= _now():
            raise InvalidInput("invalid_request", "Thời hạn đồng ý phải ở tương lai.")
        key = idempotency.checked_key(idempotency_key)

        def create(uow) -> dict:
            if storage.find_person(uow.session, _checked(id_number)) is None:
                raise NotFound("person_not_found", "Không tìm thấy công dân.")
            result = uow.session.execute(storage.consents.insert().values(
                id_number=id_number, agency_code=agency, category=category, purpose=purpose,
                valid_until=valid_until, granted_at=_now(), revoked_at=None))
            return {"id": result.inserted_primary_key[0], "agency_code": agency, "category": category,
                    "purpose": purpose, "valid_until": valid_until.isoformat()}

        return idempotency.perform(self.db, id_number, key, idempotency.request_hash(request, "grant_consent"),
                                   create)

    @rpc
    def revoke_consent(self, id_number: str, consent_id: int) -> dict:
        with self.db.unit() as uow:
            done = uow.session.execute(update(storage.consents).where(
                storage.consents.c.id == consent_id, storage.consents.c.id_number == id_number,
                storage.consents.c.revoked_at.is_(None)).values(revoked_at=_now())).rowcount
        if not done:
            raise NotFound("consent_not_found", "Không tìm thấy sự đồng ý.")
        return {"id": consent_id, "revoked": True}

    @rpc
    def list_consents(self, id_number: str) -> list[dict]:
        with self.db.unit() as uow:
            return [{"id": c.id, "agency_code": c.agency_code, "category": c.category, "purpose": c.purpose,
                     "valid_until": c.valid_until.isoformat(),
                     "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None}
                    for c in self._consents(uow.session, _checked(id_number))]

    @rpc
    def access_log(self, id_number: str) -> list[dict]:
        """Who read the citizen's data, when, why, for which dossier, and whether it was allowed."""
        table = storage.access_log
        with self.db.unit() as uow:
            rows = uow.session.execute(select(table).where(table.c.id_number == _checked(id_number))
                                       .order_by(table.c.id.desc()).limit(500)).mappings().all()
        return [{"requester": r["requester"], "category": r["category"], "purpose": r["purpose"],
                 "dossier_code": r["dossier_code"], "allowed": r["allowed"], "at": r["at"].isoformat()} for r in rows]

    @rpc
    def sign_in_samples(self, limit: int = 8) -> list[dict]:
        """Local mode only: a few people the registry holds (ID number and name), for the development sign-in
        page to offer. Forbidden in any other mode."""
        if not self.settings.is_local:
            raise Forbidden("local_only", "Chỉ dùng trong môi trường phát triển.")
        with self.db.autocommit() as conn:
            rows = conn.execute(select(storage.persons.c.id_number, storage.persons.c.full_name)
                                .order_by(storage.persons.c.id_number).limit(min(int(limit), 50))).mappings().all()
        return [dict(r) for r in rows]

    @rpc
    def check_tax_code(self, tax_code: str) -> dict:
        try:
            return {"tax_code": normalise_tax_code(tax_code)}
        except InvalidTaxCode as exc:
            raise InvalidInput("invalid_tax_code", exc.message, {"reason": exc.reason}) from None

    @rpc
    def health(self) -> dict:
        """Database reachable."""
        self.db.engine.connect().close()
        return {"status": "ok"}

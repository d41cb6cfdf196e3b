"""Intake service: validates and stores dossiers with their codes, and reports them as submitted."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import structlog
from motcua.intake.v1.events_pb2 import ApplicantContactRecorded, DossierSubmitted
from nameko.rpc import RpcProxy, rpc
from prometheus_client import Counter, Gauge
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from services.chassis import idempotency
from services.chassis.clock import iso_utc
from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.chassis.rpc import call
from services.chassis.statements import prebuilt
from services.chassis.validation import load
from services.intake import storage, versions
from services.intake.dependencies import RouteCache
from services.intake.domain import codes
from services.intake.domain.documents import resolve
from services.intake.schemas import AddDocumentsRequest, SubmitDossierRequest, UploadRecord, Viewer

SUBMITTED = Counter(
    "motcua_intake_dossiers_submitted_total", "Dossiers stored with a code, by channel.", ["channel"]
)
DOCUMENTS = Counter(
    "motcua_intake_documents_total", "Required documents of submitted dossiers, by where they came from.",
    ["source"],  # reused (from the registry) | uploaded
)
REUSE_RATIO = Gauge(
    "motcua_intake_document_reuse_ratio",
    "Share of required documents (not forms) reused from the registry instead of uploaded, since start.",
)



class IntakeService:
    name = "intake"

    db = Database(storage.metadata)
    settings = SettingsProvider()
    registry = RpcProxy("registry")
    workflow = RpcProxy("workflow")
    routes = RouteCache()
    log = LogContext()
    metrics = EntrypointMetrics()

    @rpc
    def submit_dossier(self, request: dict, submitter: dict, idempotency_key: str | None = None) -> dict:
        """Validate, look up the applicant in the registry, store the dossier with its code, emit
        DossierSubmitted through the outbox. Returns {code, status, submitted_at}.

        A citizen files for themself; an officer at a one-stop desk files for the applicant (channel counter).
        Raises InvalidInput (bad fields, invalid ID number, unknown procedure), NotFound (person), Forbidden."""
        body = load(SubmitDossierRequest, request)
        who = load(Viewer, submitter)
        id_number = body["applicant"]["id_number"]
        if who["kind"] == "citizen" and who["subject"] != id_number:
            raise Forbidden("not_own_dossier", "Công dân chỉ nộp hồ sơ cho chính mình.")
        if who["kind"] == "agency":
            raise Forbidden("agency_cannot_submit", "Tài khoản cơ quan không nộp hồ sơ thay công dân.")
        key = idempotency.checked_key(idempotency_key)
        digest = idempotency.request_hash(body)
        if key:
            with self.db.autocommit() as conn:
                earlier = idempotency.find(conn, who["subject"], key, digest)
            if earlier is not None:
                return earlier
        # Ask the registry first: the citizen never types what the state holds.
        person = call(self.registry.get_person, id_number, "intake", "dossier_processing")
        route = self.routes.route(body["procedure_code"], person["address_unit_code"],
                                  lambda *args: call(self.workflow.route, *args))
        procedure = route["procedure"]
        requirements = procedure.get("documents") or []
        wanted = [r["code"] for r in requirements if r.get("kind") == "document"]
        reusable = {d["id"]: d for d in call(self.registry.find_documents, id_number, wanted)} if wanted else {}
        contact = body["contact"]
        now = datetime.now(timezone.utc)
        ref = codes.applicant_ref(self.settings.applicant_ref_key, id_number)
        try:
            with self.db.unit() as uow:
                uploads = self._unused_uploads(uow.session, who["subject"],
                                               [c["upload"] for c in body["documents"] if c.get("upload")])
                resolved, errors = resolve(requirements, body["documents"], reusable, uploads)
                if errors:
                    raise InvalidInput("documents_incomplete", "Thành phần hồ sơ chưa đầy đủ hoặc không hợp lệ.",
                                       {"documents": errors,
                                        "reusable": {d["doc_type"]: d["id"] for d in reusable.values()}})
                agency = route["receiving_agency_code"]
                sequence = self._take_number(uow.session, agency, codes.legal_day(now))
                code = codes.dossier_code(agency, codes.legal_day(now), sequence)
                values = dict(
                    code=code, procedure_code=procedure["code"], procedure_version=procedure["version"],
                    receiving_agency_code=agency, applicant_id_number=id_number, applicant_ref=ref,
                    applicant_name=person["full_name"], applicant_unit_code=person["address_unit_code"],
                    contact_email=contact.get("email") or person.get("email") or "",
                    contact_phone=contact.get("phone") or person.get("phone") or "",
                    language=contact.get("language") or person.get("language") or "vi",
                    channel=body["channel"], form_data=json.dumps(body["form"], ensure_ascii=False),
                    submitted_by=who["subject"], submitted_at=now,
                )
                uow.session.execute(prebuilt(("intake.dossiers.insert",), storage.dossiers.insert), values)
                for item in resolved:
                    uow.session.execute(prebuilt(("intake.documents.insert",), storage.dossier_documents.insert), dict(
                        dossier_code=code, requirement_code=item.requirement_code, source=item.source,
                        registry_document_id=item.registry_document_id, upload_id=item.upload_id, sha256=item.sha256))
                    if item.upload_id:
                        uow.session.execute(update(storage.uploads).where(storage.uploads.c.id == item.upload_id)
                                            .values(used_by=code))
                if body.get("draft_id"):
                    uow.session.execute(storage.drafts.delete().where(
                        storage.drafts.c.id == body["draft_id"], storage.drafts.c.owner == who["subject"]))
                submitted = {
                    "dossier_code": code, "procedure_code": procedure["code"],
                    "procedure_version": procedure["version"], "receiving_agency_code": agency,
                    "applicant_unit_code": values["applicant_unit_code"], "applicant_ref": ref,
                    "channel": body["channel"], "submitted_at": iso_utc(now),
                }
                if body["channel"] == "counter" and who["kind"] == "officer" and "receiver" in who["roles"]:
                    # Filed at the desk by a receiving officer: received at once by them (workflow checks the
                    # unit may receive it; otherwise it waits in the receipt queue like an online filing).
                    submitted.update(counter_officer=who["subject"], counter_unit=who["unit"] or "")
                uow.publish(DossierSubmitted, submitted, subject=code)
                # How to reach the applicant goes to notify alone, on intake's private exchange (never public).
                uow.publish(ApplicantContactRecorded, {"dossier_code": code, "contact": {
                    "full_name": values["applicant_name"], "email": values["contact_email"],
                    "phone": values["contact_phone"], "language": values["language"]}}, subject=code)
                answer = {"code": code, "status": "submitted", "submitted_at": iso_utc(now),
                          "procedure": {"code": procedure["code"], "version": procedure["version"],
                                        "name": procedure["name"]},
                          "agency_code": route["agency_code"], "agency_name": route["agency_name"],
                          "documents": [{"code": r.requirement_code, "source": r.source} for r in resolved]}
                if key:
                    idempotency.remember(uow.session, who["subject"], key, digest, answer)
        except IntegrityError as exc:
            # The same key committed by a concurrent request first: answer as it did (or refuse another body).
            return idempotency.after_race(self.db, who["subject"], key, digest, exc)
        SUBMITTED.labels(body["channel"]).inc()
        self._count_documents(resolved)
        structlog.contextvars.bind_contextvars(dossier_code=code)
        self.log.info("dossier_submitted", procedure_code=procedure["code"], agency_code=agency,
                      channel=body["channel"], applicant=id_number,
                      reused=sum(r.source == "reused" for r in resolved))
        return answer

    def _take_number(self, session, agency: str, day) -> int:
        """The dossier's daily number. On PostgreSQL in a short transaction of its own (autocommit, one
        statement): the counter row is locked for one round trip, not for the whole submission, which would make
        every submission to the agency wait for the one before it to commit. SQLite serialises writers anyway and
        has one connection: there it is taken in the submission's transaction."""
        if self.db.engine.dialect.name != "postgresql":
            return storage.next_sequence(session, agency, day)
        with self.db.autocommit() as conn:
            return storage.next_sequence(conn, agency, day)

    def _unused_uploads(self, session, owner: str, ids: list[str]) -> dict[str, dict]:
        if not ids:
            return {}
        rows = session.execute(select(storage.uploads).where(
            storage.uploads.c.id.in_(ids), storage.uploads.c.owner == owner,
            storage.uploads.c.used_by.is_(None))).mappings().all()
        return {r["id"]: dict(r) for r in rows}

    _counted = {"reused": 0, "uploaded": 0}

    def _count_documents(self, resolved) -> None:
        for item in resolved:
            if item.source in ("reused", "uploaded"):
                DOCUMENTS.labels(item.source).inc()
                IntakeService._counted[item.source] += 1
        total = sum(IntakeService._counted.values())
        if total:
            REUSE_RATIO.set(IntakeService._counted["reused"] / total)

    @rpc
    def prepare(self, procedure_code: str, submitter: dict) -> dict:
        """What the submission form needs: the applicant's data from the registry (never typed again) and,
        for each required document, the valid ones the citizen already holds."""
        who = load(Viewer, submitter)
        if who["kind"] != "citizen":
            raise Forbidden("citizens_only", "Chỉ công dân chuẩn bị hồ sơ cho chính mình.")
        person = call(self.registry.get_person, who["subject"], "self", "dossier_processing")
        route = self.routes.route(procedure_code, person["address_unit_code"],
                                  lambda *args: call(self.workflow.route, *args))
        requirements = route["procedure"].get("documents") or []
        wanted = [r["code"] for r in requirements if r.get("kind") == "document"]
        held = call(self.registry.find_documents, who["subject"], wanted, "self") if wanted else []
        return {
            "applicant": person,
            "procedure": route["procedure"],
            "agency_code": route["agency_code"], "agency_name": route["agency_name"],
            "documents": [{**r, "reusable": [d for d in held if d["doc_type"] == r["code"]]} for r in requirements],
        }

    @rpc
    def register_upload(self, record: dict, submitter: dict, idempotency_key: str | None = None) -> dict:
        """Record a file the gateway stored (content already checked): it can then be cited in a submission.

        With `idempotency_key`, a retry of the same content answers with the first upload's record
        (`replayed: True`; the caller then discards the copy it just stored); other content: Conflict."""
        who = load(Viewer, submitter)
        data = load(UploadRecord, record)
        key = idempotency.checked_key(idempotency_key)
        # The content, not the stored copy (its id and path are new on every retry) nor a defaulted name.
        digest = idempotency.request_hash({k: data[k] for k in ("media_type", "size_bytes", "sha256")},
                                          "register_upload")

        def create(uow) -> dict:
            uow.session.execute(storage.uploads.insert().values(**data, owner=who["subject"], used_by=None,
                                                               created_at=datetime.now(timezone.utc)))
            return {"id": data["id"], "sha256": data["sha256"], "size_bytes": data["size_bytes"],
                    "media_type": data["media_type"]}

        return idempotency.perform(self.db, who["subject"], key, digest, create)

    @rpc
    def save_draft(self, draft_id: str | None, body: dict, submitter: dict,
                   idempotency_key: str | None = None) -> dict:
        """Save a partly filled dossier (any JSON object up to 64 KB) to resume later: a new one when
        `draft_id` is None, else replace that draft's content.

        With `idempotency_key` (new drafts only), a retry of the same body answers with the draft the first
        one created (`replayed: True`); another body: Conflict."""
        who = load(Viewer, submitter)
        if not isinstance(body, dict):
            raise InvalidInput("invalid_request", "Bản nháp phải là một đối tượng JSON.")
        text = json.dumps(body, ensure_ascii=False)
        if len(text) > 65536:
            raise InvalidInput("draft_too_large", "Bản nháp vượt quá 64 KB.")
        now = datetime.now(timezone.utc)
        procedure_code = str(body.get("procedure_code") or "")[:30]
        if draft_id:
            with self.db.unit() as uow:
                done = uow.session.execute(update(storage.drafts).where(
                    storage.drafts.c.id == draft_id, storage.drafts.c.owner == who["subject"]).values(
                    body=text, procedure_code=procedure_code, updated_at=now)).rowcount
            if not done:
                raise NotFound("draft_not_found", "Không tìm thấy bản nháp.")
            return {"id": draft_id, "updated_at": iso_utc(now)}
        key = idempotency.checked_key(idempotency_key)

        def create(uow) -> dict:
            new_id = str(uuid.uuid4())
            uow.session.execute(storage.drafts.insert().values(
                id=new_id, owner=who["subject"], procedure_code=procedure_code, body=text, created_at=now,
                updated_at=now))
            return {"id": new_id, "updated_at": iso_utc(now)}

        return idempotency.perform(self.db, who["subject"], key, idempotency.request_hash(body, "save_draft"),
                                   create)

    @rpc
    def get_draft(self, draft_id: str, submitter: dict) -> dict:
        who = load(Viewer, submitter)
        with self.db.unit() as uow:
            row = uow.session.execute(select(storage.drafts).where(
                storage.drafts.c.id == draft_id, storage.drafts.c.owner == who["subject"])).mappings().first()
        if row is None:
            raise NotFound("draft_not_found", "Không tìm thấy bản nháp.")
        return {"id": row["id"], "body": json.loads(row["body"]), "updated_at": iso_utc(row["updated_at"])}

    @rpc
    def filed_with_key(self, idempotency_key: str, submitter: dict) -> dict:
        """The answer of the submission this caller made with `idempotency_key` ({code, status, ...,
        replayed: true}), for a retry that no longer has its request (the web wizard's draft is deleted by the
        filing). Raises NotFound when nothing was filed with that key."""
        who = load(Viewer, submitter)
        key = idempotency.checked_key(idempotency_key)
        answer = None
        if key:
            with self.db.autocommit() as conn:
                answer = idempotency.kept_answer(conn, who["subject"], key)
        if not answer or "code" not in answer or answer.get("status") != "submitted":
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ đã nộp với khóa này.")
        return answer

    @rpc
    def list_drafts(self, submitter: dict) -> list[dict]:
        who = load(Viewer, submitter)
        with self.db.unit() as uow:
            rows = uow.session.execute(select(storage.drafts).where(storage.drafts.c.owner == who["subject"])
                                       .order_by(storage.drafts.c.updated_at.desc())).mappings().all()
        return [{"id": r["id"], "procedure_code": r["procedure_code"], "updated_at": iso_utc(r["updated_at"])}
                for r in rows]

    @rpc
    def delete_draft(self, draft_id: str, submitter: dict) -> dict:
        who = load(Viewer, submitter)
        with self.db.unit() as uow:
            done = uow.session.execute(storage.drafts.delete().where(
                storage.drafts.c.id == draft_id, storage.drafts.c.owner == who["subject"])).rowcount
        if not done:
            raise NotFound("draft_not_found", "Không tìm thấy bản nháp.")
        return {"id": draft_id, "deleted": True}

    @rpc
    def get_dossier(self, code: str, viewer: dict) -> dict:
        """The dossier as submitted, if `viewer` may see it (a citizen: their own; an officer: their unit's,
        checked again by the gateway against the case). Unknown and not-yours look the same (NotFound)."""
        who = load(Viewer, viewer)
        # Two reads, each committing on its own: a dossier is written once, and its documents only grow (later
        # versions are added, never changed), so they need no shared snapshot.
        with self.db.autocommit() as conn:
            dossier = storage.find_dossier(conn, code)
            if dossier is None or (who["kind"] == "citizen" and dossier["applicant_id_number"] != who["subject"]):
                raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
            docs, ups = storage.dossier_documents, storage.uploads
            query = prebuilt(("intake.dossier_documents",), lambda: (
                select(docs, ups.c.file_name, ups.c.media_type, ups.c.size_bytes)
                .select_from(docs.outerjoin(ups, ups.c.id == docs.c.upload_id))
                .where(docs.c.dossier_code == bindparam("code")).order_by(docs.c.id)))
            rows = list(conn.execute(query, {"code": dossier["code"]}).mappings())
            latest = {}
            for d in rows:
                latest[d["requirement_code"]] = max(latest.get(d["requirement_code"], 0), d["version"])
            documents = [{"code": d["requirement_code"], "source": d["source"], "sha256": d["sha256"],
                          "registry_document_id": d["registry_document_id"], "upload_id": d["upload_id"],
                          "file_name": d["file_name"], "media_type": d["media_type"], "size_bytes": d["size_bytes"],
                          "version": d["version"], "origin": d["origin"],
                          "added_at": iso_utc(d["added_at"]) if d["added_at"] else None,
                          "current": d["version"] == latest[d["requirement_code"]]} for d in rows]
        return {
            "documents": documents,
            "code": dossier["code"], "procedure_code": dossier["procedure_code"],
            "procedure_version": dossier["procedure_version"],
            "receiving_agency_code": dossier["receiving_agency_code"],
            "applicant": {"id_number": dossier["applicant_id_number"], "full_name": dossier["applicant_name"],
                          "address_unit_code": dossier["applicant_unit_code"]},
            "contact": {"email": dossier["contact_email"], "phone": dossier["contact_phone"],
                        "language": dossier["language"]},
            "channel": dossier["channel"], "form": json.loads(dossier["form_data"]),
            "submitted_at": iso_utc(dossier["submitted_at"]),
        }

    @rpc
    def add_documents(self, code: str, request: dict, submitter: dict) -> dict:
        """The applicant sends files for named documents of their dossier (a completion before receipt, or a
        supplement answer): each becomes the next version of that document. Idempotent per upload. Returns
        {documents: [{code, version, upload_id, sha256, file_name, media_type, size_bytes}]}.

        Raises NotFound (not their dossier), InvalidInput (unknown document, upload not theirs or used)."""
        who = load(Viewer, submitter)
        body = load(AddDocumentsRequest, request)
        with self.db.unit() as uow:
            dossier = storage.find_dossier(uow.session, code)
            if dossier is None or who["kind"] != "citizen" or dossier["applicant_id_number"] != who["subject"]:
                raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
            added = versions.add(uow.session, dossier, who["subject"], body["documents"], datetime.now(timezone.utc))
        self.log.info("documents_added", dossier_code=code, count=len(added))
        return {"documents": added}

    @rpc
    def list_dossiers(self, viewer: dict, limit: int = 20, before: str | None = None) -> dict:
        """A citizen's own dossiers, newest first (cursor: pass the returned `next` as `before`)."""
        who = load(Viewer, viewer)
        if who["kind"] != "citizen":
            raise Forbidden("citizens_only", "Chức năng dành cho công dân.")
        limit = min(max(int(limit), 1), 100)
        table = storage.dossiers
        query = select(table.c.code, table.c.procedure_code, table.c.receiving_agency_code, table.c.channel,
                       table.c.submitted_at).where(table.c.applicant_id_number == who["subject"])
        if before:
            stamp, _, code = str(before).partition("|")
            try:
                at = datetime.fromisoformat(stamp)
            except ValueError:
                raise InvalidInput("invalid_cursor", "Con trỏ phân trang không hợp lệ.") from None
            query = query.where((table.c.submitted_at < at) | ((table.c.submitted_at == at) & (table.c.code < code)))
        with self.db.unit() as uow:
            rows = uow.session.execute(query.order_by(table.c.submitted_at.desc(), table.c.code.desc())
                                       .limit(limit + 1)).mappings().all()
        items = [{"code": r["code"], "procedure_code": r["procedure_code"],
                  "receiving_agency_code": r["receiving_agency_code"], "channel": r["channel"],
                  "submitted_at": iso_utc(r["submitted_at"])} for r in rows[:limit]]
        nxt = f"{items[-1]['submitted_at']}|{items[-1]['code']}" if len(rows) > limit else None
        return {"items": items, "next": nxt}

    @rpc
    def get_contact(self, code: str) -> dict:
        """How to reach the applicant of a dossier (for notify, when a status change overtook
        ApplicantContactRecorded)."""
        with self.db.autocommit() as conn:
            dossier = storage.find_dossier(conn, code)
        if dossier is None:
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        return {"full_name": dossier["applicant_name"], "email": dossier["contact_email"],
                "phone": dossier["contact_phone"], "language": dossier["language"]}

    @rpc
    def health(self) -> dict:
        self.db.engine.connect().close()
        return {"status": "ok"}

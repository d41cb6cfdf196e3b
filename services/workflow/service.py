"""Workflow service: the one-stop engine. Opens a case for each submitted dossier, routes it to the competent
agency, runs the legal clock, takes officer and citizen actions, renders the forms, counts the statistics."""
from __future__ import annotations

import os
from datetime import date, datetime, time, timezone
from pathlib import Path

from motcua.intake.v1.events_pb2 import DossierSubmitted
from motcua.payment.v1.events_pb2 import PaymentCompleted
from motcua.workflow.v1.events_pb2 import CaseDueSoon, CaseOverdue, DossierStatusChanged
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from nameko.timer import timer
from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import select, update

from services.chassis import audit
from services.chassis.clock import iso_utc
from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.workflow import (
    calendar_admin,
    catalogue_query,
    forms,
    portal_sync,
    receipt,
    signing,
    stats,
    storage,
)
from services.workflow.cases import CaseHandler, actor_roles, case_view
from services.workflow.domain import catalogue, legal_time, process, search
from services.workflow.schemas import (
    ActRequest,
    CalendarCorrectionRequest,
    MergeRequest,
    RateRequest,
    SearchProceduresRequest,
    StatisticsRequest,
    load,
)

DATA_DIR = Path(__file__).parent / "data"
OPEN = ("received", "in_progress", "awaiting_supplement", "approved", "rejected", "result_ready", "coordination",
        "submitted")
TRANSITIONS = Counter(
    "motcua_workflow_dossier_transitions_total",
    "Dossiers entering a status, by status and administrative level.",
    ["status", "level"],
)
RECEIVED = Counter("motcua_workflow_dossiers_received_total", "Dossiers received (legal clock started).",
                   ["level", "unit"])
FINISHED = Counter("motcua_workflow_dossiers_finished_total",
                   "Dossiers whose result was returned, by outcome against the due date.", ["level", "unit", "outcome"])
PROCESSING_SECONDS = Histogram(
    "motcua_workflow_processing_duration_seconds", "Time from receipt to returned result.", ["level"],
    buckets=(3600, 4 * 3600, 86400, 2 * 86400, 3 * 86400, 5 * 86400, 7 * 86400, 10 * 86400, 15 * 86400,
             20 * 86400, 30 * 86400, 60 * 86400),
)
CASES_OPEN = Gauge("motcua_workflow_cases_open", "Open cases by level, agency and status.",
                   ["level", "unit", "status"])
RECEIPTS_OVERDUE = Gauge("motcua_workflow_receipts_overdue",
                         "Filed dossiers still waiting for receipt past the time the unit has to answer, by agency.",
                         ["unit"])
CASES_OVERDUE = Gauge("motcua_workflow_cases_overdue", "Open cases past their due date, by level and agency.",
                      ["level", "unit"])


class Catalogue(DependencyProvider):
    """Units, agencies, procedures, process definitions and the legal calendar, loaded and validated once
    per container: a bad file stops the service at start with a message naming the file."""

    def setup(self):
        model = os.environ.get("MOTCUA_ADMIN_MODEL", "2level").replace("-", "")
        data_dir = Path(os.environ.get("MOTCUA_CATALOGUE_DIR", str(DATA_DIR)))
        self.territory = catalogue.load_territory(data_dir / f"units-{model}.yaml")
        self.procedures = catalogue.load_procedures(data_dir / "procedures.yaml")
        self.processes = {p.name: p for p in (process.load_process(f)
                                              for f in sorted((data_dir / "processes").glob("*.yaml")))}
        self.officer_roles = frozenset().union(*(p.officer_roles() for p in self.processes.values()))
        for procedure in self.procedures.values():
            if procedure.process not in self.processes:
                raise catalogue.CatalogueError(data_dir / "procedures.yaml",
                                               f"{procedure.code}: unknown process {procedure.process!r}")
        self.search = search.CatalogueIndex.build(self.procedures, self.territory.levels)
        calendar = legal_time.load_calendar(data_dir / "calendars", os.environ.get("MOTCUA_PROVINCE_CODE", "NB"))
        # A province's own cut-off hour, if it decided one (legal_time's docstring: none found in national law).
        cutoff_text = os.environ.get("MOTCUA_CUTOFF", "").strip()
        cutoff = time.fromisoformat(cutoff_text) if cutoff_text else legal_time.DEFAULT_CUTOFF
        self.base_calendar = calendar
        self.corrections_seen: tuple = ()
        self.clock = legal_time.LegalClock(calendar, cutoff=cutoff)

    def refresh(self, session, force: bool = False) -> None:
        """Put the calendar corrections published at run time (by any replica) into the clock: one small query,
        a new clock only when they changed (services/workflow/calendar_admin.py)."""
        mark = storage.calendar_corrections_mark(session)
        if not force and mark == self.corrections_seen:
            return
        corrections = storage.calendar_corrections_list(session)
        self.clock = legal_time.LegalClock(self.base_calendar.corrected(corrections), cutoff=self.clock.cutoff,
                                           end_of_day=self.clock.end_of_day)
        self.corrections_seen = mark

    def get_dependency(self, worker_ctx):
        return self


class WorkflowService(audit.AuditChainRpc):
    name = "workflow"

    db = Database(storage.metadata)
    catalogue = Catalogue()
    log = LogContext()
    metrics = EntrypointMetrics()
    signing = signing.ResultSigning()
    portal = portal_sync.PortalSync()

    # -- catalogue ------------------------------------------------------------------------------------------
    @rpc
    def list_procedures(self) -> list[dict]:
        """Procedures in force today, with documents, fee and processing time."""
        return [p.to_dict() for p in self.catalogue.search.in_force(_legal_today())]

    @rpc
    def search_procedures(self, request: dict) -> dict:
        """Procedures in force today matching `q` (code or words, with or without diacritics), decided at `level`,
        in `field` (its Vietnamese or English name) and filed online as `online` (full, partial); with the levels,
        fields and online modes a client may filter by. Raises InvalidInput for an unknown level, field or mode."""
        body = load(SearchProceduresRequest, request)
        return catalogue_query.search(self.catalogue, body, _legal_today())

    @rpc
    def list_agencies(self) -> list[dict]:
        """The province's agencies under the administrative model in force: code, name, kind, unit, level."""
        territory = self.catalogue.territory
        return [{"code": a.code, "name": a.name, "kind": a.kind, "unit": a.unit, "level": territory.level_of(a)}
                for a in sorted(territory.agencies.values(), key=lambda a: a.code)]

    @rpc
    def route(self, procedure_code: str, applicant_unit_code: str) -> dict:
        """The procedure version in force and the competent agency for an applicant living in a unit.

        Raises InvalidInput(`unknown_procedure`) or InvalidInput(`unknown_unit`)."""
        procedure = catalogue.in_force(self.catalogue.procedures, procedure_code, date.today())
        if procedure is None:
            raise InvalidInput("unknown_procedure", f"Thủ tục {procedure_code} không tồn tại hoặc chưa có hiệu lực.",
                               {"field": "procedure_code"})
        territory = self.catalogue.territory
        if applicant_unit_code not in territory.units:
            raise InvalidInput("unknown_unit", "Địa chỉ của người nộp không thuộc đơn vị hành chính nào của tỉnh.",
                               {"field": "applicant.address_unit_code"})
        agency = (territory.chain_agency(procedure.chain[0], applicant_unit_code) if procedure.chain
                  else territory.competent_agency(procedure, applicant_unit_code))
        service_centre = next((a for a in territory.agencies.values() if a.kind == "service_centre"), None)
        return {
            "procedure": procedure.to_dict(),
            "agency_code": agency.code if agency else "",
            "agency_name": agency.name if agency else "",
            "level": territory.level_of(agency) if agency else "",
            # Dossiers nobody can route are received by the province's service centre for coordination.
            "receiving_agency_code": agency.code if agency else (service_centre.code if service_centre else "000"),
        }

    # -- cases ------------------------------------------------------------------------------------------------
    @on_event(DossierSubmitted)
    def on_dossier_submitted(self, event):
        """Open the case in the competent unit's receipt queue (a receiving officer receives it; automatic only
        where the procedure says so, at once when a receiver filed it at the counter) or hold it for
        coordination."""
        with self.db.unit() as uow:
            self.catalogue.refresh(uow.session)
            opened = CaseHandler(self.catalogue, uow).open_case(event.data)
            if opened is None:
                return  # a redelivery: the case exists (one case per dossier code, no inbox entry needed)
            status, level, agency = opened
            portal_sync.record_changes(uow, self.portal)
        if status == "received":
            RECEIVED.labels(level or "none", agency or "none").inc()
        TRANSITIONS.labels(status, level or "none").inc()
        self.log.info("case_opened", status=status, level=level)

    @on_event(PaymentCompleted)
    def on_payment_completed(self, event):
        """The fee is paid: the case's log says so, and a result held for payment may now be returned."""
        with self.db.unit(event) as uow:
            if uow.duplicate:
                return
            if storage.find_case(uow.session, event.data.dossier_code) is None:
                raise Unavailable("case_not_open_yet", "payment arrived before the case; retried")
            CaseHandler(self.catalogue, uow).record_payment(event.data.dossier_code, event.data.receipt_number,
                                                             event.data.amount_vnd)

    @rpc
    def act(self, dossier_code: str, request: dict, actor: dict) -> dict:
        """Take an action on a case (receive, refuse_receipt, assign, process_step, request_supplement, resubmit,
        transfer, approve, reject, extend_with_apology, stop, result_ready, return_result, withdraw).

        `request`: {action, reason, params, attachments, client_txn_id}. Idempotent by client_txn_id: the same
        id for the same action answers again without acting twice. Raises Forbidden (role or unit), InvalidInput
        (not allowed now, reason or params missing), NotFound, Conflict (transaction id reused)."""
        body = load(ActRequest, request)
        with self.db.unit() as uow:
            self.catalogue.refresh(uow.session)
            result = CaseHandler(self.catalogue, uow, signing=self.signing).act(
                dossier_code, body["action"], actor, body["params"], body["client_txn_id"], body["reason"],
                body["attachments"])
            portal_sync.record_changes(uow, self.portal)
            roles = actor_roles(actor, self.catalogue.officer_roles)
            view = case_view(uow.session, self.catalogue, dossier_code, roles)
        if not result["replayed"]:
            TRANSITIONS.labels(view["status"], view["level"] or "none").inc()
            self._observe(view["status"], body["action"], view)
        view["replayed"] = result["replayed"]
        return view

    def _observe(self, status: str, action: str, view: dict | None) -> None:
        if action == "receive" and status == "received" and view is not None:
            RECEIVED.labels(view["level"] or "none", view["agency_code"] or "none").inc()
        if action == "return_result" and view is not None and view["received_at"] and view["finished_at"]:
            FINISHED.labels(view["level"] or "none", view["agency_code"] or "none", view["outcome"] or "unknown").inc()
            seconds = (datetime.fromisoformat(view["finished_at"].replace("Z", "+00:00"))
                       - datetime.fromisoformat(view["received_at"].replace("Z", "+00:00"))).total_seconds()
            PROCESSING_SECONDS.labels(view["level"] or "none").observe(max(seconds, 0))

    @rpc
    def get_case(self, dossier_code: str, actor: dict | None = None) -> dict:
        """Status, due date with its explanation, steps, clock stops, the action log, and the actions the
        `actor` may take now."""
        with self.db.unit() as uow:
            roles = actor_roles(actor, self.catalogue.officer_roles) if actor else None
            return case_view(uow.session, self.catalogue, dossier_code, roles)

    @rpc
    def public_status(self, dossier_code: str) -> dict:
        """What anyone holding a dossier code may know without signing in: where it is and when it is due.
        Nothing about the applicant, no history, no reasons, no officers."""
        with self.db.unit() as uow:
            case = storage.find_case(uow.session, str(dossier_code)[:60])
        if case is None:
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ với mã này.")
        process = self.catalogue.processes[case["process"]]
        procedure = self.catalogue.procedures.get((case["procedure_code"], case["procedure_version"]))
        agency = self.catalogue.territory.agencies.get(case["agency_code"] or case["receiving_agency_code"])

        def iso(value):
            return value.isoformat() if value else None

        return {"dossier_code": case["dossier_code"], "status": case["status"],
                "status_label": process.states.get(case["status"], {}),
                "procedure": {"code": case["procedure_code"], "name": procedure.name if procedure else {}},
                "agency": {"code": agency.code, "name": agency.name} if agency else None,
                "submitted_at": iso(case["submitted_at"]), "received_at": iso(case["received_at"]),
                "due_at": iso(case["due_at"]), "clock_stopped": case["paused_since"] is not None,
                "finished_at": iso(case["finished_at"]), "outcome": case["outcome"]}

    @rpc
    def work_queue(self, unit: str, status: str | None = None, procedure_code: str | None = None,
                   due: str | None = None, limit: int = 50, after: str | None = None) -> dict:
        """An officer's queue: open cases held by `unit`, soonest due first. `due`: "soon" or "overdue".
        Cursor pagination: pass the returned `next` as `after`. Dossiers waiting for receipt (`submitted`) carry
        `receipt_due_at` and `receipt_overdue`."""
        now = datetime.now(timezone.utc)
        with self.db.unit() as uow:
            page = stats.work_queue(uow.session, self.catalogue, unit, status, procedure_code, due,
                                    min(max(int(limit), 1), 200), after, now)
            receipt.annotate(uow.session, self.catalogue, page["items"], now)  # "quá hạn tiếp nhận"
        return page

    @rpc
    def count_by_status(self) -> dict:
        """How many cases are in each status."""
        with self.db.unit() as uow:
            return storage.count_by_status(uow.session)

    @rpc
    def rate(self, dossier_code: str, request: dict, actor: dict) -> dict:
        """A citizen's satisfaction rating (1-5) after the result was returned; once per dossier."""
        body = load(RateRequest, request)
        if actor.get("kind") != "citizen":
            raise Forbidden("citizens_only", "Chỉ người nộp hồ sơ được đánh giá.")
        with self.db.unit() as uow:
            case = storage.find_case(uow.session, dossier_code)
            if case is None:
                raise NotFound("case_not_found", "Không tìm thấy hồ sơ.")
            if case["status"] != "returned":
                raise InvalidInput("not_returned_yet", "Chỉ đánh giá sau khi đã nhận kết quả.")
            if uow.session.execute(select(storage.ratings).where(
                    storage.ratings.c.dossier_code == dossier_code)).first():
                raise InvalidInput("already_rated", "Hồ sơ đã được đánh giá.")
            uow.session.execute(storage.ratings.insert().values(
                dossier_code=dossier_code, score=body["score"], comment=body["comment"],
                rated_at=datetime.now(timezone.utc)))
        return {"dossier_code": dossier_code, "score": body["score"]}

    # -- administrative units -------------------------------------------------------------------------------
    @rpc
    def merge_units(self, request: dict, actor: dict) -> dict:
        """Merge administrative units: open cases held by the sources' agencies move to the successor's agency
        of the same kind (history and receiving agency kept); statistics roll up into the successor."""
        body = load(MergeRequest, request)
        if actor.get("kind") != "officer" or "leader" not in (actor.get("roles") or []):
            raise Forbidden("role_not_allowed", "Chỉ lãnh đạo được thực hiện sáp nhập đơn vị.")
        # Reorganising units is decided by the province: a leader of a province-level agency, not of a commune.
        if self.catalogue.territory.agency_unit_level(str(actor.get("unit") or "")) != "province":
            raise Forbidden("province_only", "Chỉ lãnh đạo cơ quan cấp tỉnh được thực hiện sáp nhập đơn vị.")
        with self.db.unit() as uow:
            moved = stats.merge_units(uow, self.catalogue, body["sources"], body["successor"], body["effective_on"],
                                      actor, datetime.now(timezone.utc))
            portal_sync.record_changes(uow, self.portal)
        return {"successor": body["successor"], "moved_cases": moved}

    @rpc
    def statistics(self, request: dict) -> dict:
        """Received, finished early/on time/late, on-time rate, in progress, overdue, satisfaction; filtered by
        unit (with merged units rolled up), level, procedure and period."""
        body = load(StatisticsRequest, request)
        with self.db.unit() as uow:
            return stats.statistics(uow.session, self.catalogue, body, datetime.now(timezone.utc))

    # -- the legal calendar (services/workflow/calendar_admin.py) -------------------------------------------------
    @rpc
    def publish_calendar_correction(self, request: dict, actor: dict) -> dict:
        """A province administrator corrects the calendar (`date`, `kind` day_off | working_day, `name`, `source`:
        the notice's number and date). Audited; every deadline computed after it uses it; open dossiers it
        lengthens get their due date recomputed (never earlier). Raises Forbidden, InvalidInput."""
        body = load(CalendarCorrectionRequest, request)
        with self.db.unit() as uow:
            result = calendar_admin.publish(uow, self.catalogue, body, actor, datetime.now(timezone.utc))
            portal_sync.record_changes(uow, self.portal)
        return result

    @rpc
    def process_vocabulary(self) -> dict:
        """Every process definition's states, actions (label, roles, reason, parameters, from, to), roles (label,
        kind) and history records, in Vietnamese and English: the one source the gateway names and offers
        them from. {"processes": {name: {...}}, "roles": {...}, "records": {...}} (roles and records of all)."""
        processes = {name: p.vocabulary() for name, p in self.catalogue.processes.items()}
        roles: dict = {}
        records: dict = {}
        for vocabulary in processes.values():
            roles.update(vocabulary["roles"])
            records.update(vocabulary["records"])
        return {"processes": processes, "roles": roles, "records": records}

    @rpc
    def check_province_admin(self, actor: dict, task: str = "quản trị hệ thống") -> dict:
        """Raise Forbidden unless `actor` administers the province (`admin` role in a province-level agency the
        catalogue holds). The gateway asks before the administration it does itself (revoking sessions)."""
        calendar_admin.check_admin(self.catalogue, actor, task)
        return {"unit": actor["unit"]}

    @rpc
    def calendar_corrections(self) -> list[dict]:
        """The corrections published at run time, oldest first."""
        with self.db.unit() as uow:
            return [calendar_admin.view(r) for r in storage.calendar_corrections_list(uow.session)]

    # -- forms ----------------------------------------------------------------------------------------------
    @rpc
    def render_form(self, dossier_code: str, number: str) -> str:
        """Forms 01-06 of a dossier as printable HTML, generated from its action log."""
        with self.db.unit() as uow:
            view = case_view(uow.session, self.catalogue, dossier_code)
        return forms.render(number, view, self.catalogue)

    @rpc
    def render_logbook(self, unit: str) -> str:
        """Form 07: the logbook of a unit's dossiers."""
        with self.db.unit() as uow:
            queue = stats.logbook(uow.session, unit)
        return forms.render_logbook(unit, queue, self.catalogue)

    # -- legal clock ----------------------------------------------------------------------------------------
    @timer(interval=60)
    def check_deadlines(self):
        """Emit CaseDueSoon (last working day) and CaseOverdue once per case; refresh the gauges. Replicas may
        run this together: each flag is claimed by a conditional update, so each event is written once."""
        now = datetime.now(timezone.utc)
        clock = self.catalogue.clock
        cases = storage.cases
        with self.db.unit() as uow:
            self.catalogue.refresh(uow.session)
            rows = uow.session.execute(select(cases).where(
                cases.c.status.in_(OPEN), cases.c.due_at.is_not(None), cases.c.paused_since.is_(None),
                cases.c.finished_at.is_(None))).mappings().all()
            for case in rows:
                left = clock.working_days_left(now, case["due_at"])
                if case["due_at"] < now and case["overdue_flagged_at"] is None:
                    if uow.session.execute(update(cases).where(
                            cases.c.dossier_code == case["dossier_code"], cases.c.overdue_flagged_at.is_(None)
                    ).values(overdue_flagged_at=now)).rowcount:
                        uow.publish(CaseOverdue, {
                            "dossier_code": case["dossier_code"], "agency_code": case["agency_code"],
                            "level": case["level"], "due_at": iso_utc(case["due_at"])}, subject=case["dossier_code"])
                elif 0 <= left <= 1 and case["due_soon_flagged_at"] is None:
                    if uow.session.execute(update(cases).where(
                            cases.c.dossier_code == case["dossier_code"], cases.c.due_soon_flagged_at.is_(None)
                    ).values(due_soon_flagged_at=now)).rowcount:
                        uow.publish(CaseDueSoon, {
                            "dossier_code": case["dossier_code"], "agency_code": case["agency_code"],
                            "level": case["level"], "due_at": iso_utc(case["due_at"]), "working_days_left": left},
                            subject=case["dossier_code"])
            gauges = stats.gauges(uow.session, now)
            late_receipts = receipt.overdue_by_unit(uow.session, self.catalogue, now)
        RECEIPTS_OVERDUE.clear()
        for unit, n in late_receipts.items():
            RECEIPTS_OVERDUE.labels(unit or "none").set(n)
        CASES_OPEN.clear()
        CASES_OVERDUE.clear()
        for (level, unit, status), n in gauges["open"].items():
            CASES_OPEN.labels(level or "none", unit or "none", status).set(n)
        for (level, unit), n in gauges["overdue"].items():
            CASES_OVERDUE.labels(level or "none", unit or "none").set(n)

    # -- signed results (services/workflow/signing.py) -------------------------------------------------------
    @timer(interval=5)
    def retry_signing(self):
        """Sign results left pending by a signing failure. Each row is claimed by a conditional update, so two
        replicas never issue the same result twice."""
        if not self.signing.enabled:
            return
        docs = storage.result_documents
        with self.db.unit() as uow:
            pending = uow.session.execute(select(docs.c.verification_code, docs.c.attempts).where(
                docs.c.status == "pending").limit(20)).all()
        for code, attempts in pending:
            try:
                with self.db.unit() as uow:
                    if not uow.session.execute(update(docs).where(
                            docs.c.verification_code == code, docs.c.status == "pending",
                            docs.c.attempts == attempts).values(attempts=attempts + 1)).rowcount:
                        continue
                    signing.sign_and_issue(uow, self.signing, code, datetime.now(timezone.utc))
            except Exception as exc:  # noqa: BLE001 - stays pending; retried at the next tick
                self.log.warning("result_signing_failed", error=type(exc).__name__)
                with self.db.unit() as uow:  # the claim rolled back with the failure: count the attempt
                    uow.session.execute(update(docs).where(
                        docs.c.verification_code == code, docs.c.status == "pending",
                        docs.c.attempts == attempts).values(attempts=attempts + 1))

    @rpc
    def result_document(self, dossier_code: str) -> dict:
        """The signed result of a dossier, for its applicant and officers (the gateway checks who asks): its
        verification code and where the file is in the file store. Raises NotFound until it is signed."""
        docs = storage.result_documents
        with self.db.unit() as uow:
            row = uow.session.execute(select(docs).where(docs.c.dossier_code == str(dossier_code)[:60])
                                      ).mappings().first()
        if row is None or row["status"] != "signed":
            raise Conflict("result_not_ready", "Kết quả điện tử chưa sẵn sàng.")
        return {"verification_code": row["verification_code"], "file": f"results/{row['verification_code']}.pdf",
                "sha256": row["sha256"], "signed_at": row["signed_at"].isoformat() if row["signed_at"] else None,
                "revoked": row["revoked_at"] is not None}

    @rpc
    def get_verification(self, code: str) -> dict:
        """Public facts about a signed result by its verification code. Raises NotFound."""
        with self.db.unit() as uow:
            row = storage.find_result_document(uow.session, code)
        if row is None or row["status"] != "signed":
            raise NotFound("document_not_found", "Không tìm thấy văn bản với mã xác thực này.")
        return signing.public_view(row)

    @rpc
    def verify_result(self, pdf_base64: str) -> dict:
        """Verify a signed result's bytes: signature intact over the whole file, certificate trusted, document
        known here (by hash) and not revoked."""
        import base64
        import binascii

        try:
            pdf = base64.b64decode(pdf_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("invalid_document", "Tệp gửi lên không đọc được.") from None
        checked = self.signing.verify(pdf)
        digest = signing.sha256(pdf)
        with self.db.unit() as uow:
            row = uow.session.execute(select(storage.result_documents).where(
                storage.result_documents.c.sha256 == digest)).mappings().first()
        document = signing.public_view(row) if row is not None else None
        valid = bool(checked["intact"] and checked["trusted"] and checked["covers_whole_document"]
                     and document is not None and not document["revoked"])
        return {"valid": valid, "intact": checked["intact"] and checked["covers_whole_document"],
                "trusted": checked["trusted"], "known": document is not None,
                "revoked": bool(document and document["revoked"]), "signer": checked["signer"],
                "signed_at": checked["signed_at"], "verification_code": checked["verification_code"],
                "document": document}

    def _admin(self, actor: dict) -> bool:
        """Whether `actor` acts as an administrator. The `admin` role counts only for an agency the catalogue
        holds: a token naming a unit that does not exist is refused, never trusted for every unit."""
        if actor.get("kind") != "officer" or "admin" not in set(actor.get("roles") or []):
            return False
        if self.catalogue.territory.agencies.get(str(actor.get("unit") or "")) is None:
            raise Forbidden("unit_unknown", "Đơn vị trong phiên đăng nhập không có trong danh mục cơ quan.",
                            {"unit": str(actor.get("unit") or "")})
        return True

    @rpc
    def revoke_result(self, code: str, reason: str, actor: dict) -> dict:
        """Revoke a signed result (a leader of the issuing agency, or an administrator of an existing agency).
        Idempotent; audited, with whether the administrator's right was used."""
        roles = set(actor.get("roles") or [])
        admin = self._admin(actor)
        if actor.get("kind") != "officer" or not ("leader" in roles or admin):
            raise Forbidden("role_not_allowed", "Chỉ lãnh đạo cơ quan cấp được thu hồi văn bản.")
        if not (reason or "").strip():
            raise InvalidInput("reason_required", "Phải nêu lý do thu hồi.", {"field": "reason"})
        docs = storage.result_documents
        with self.db.unit() as uow:
            row = storage.find_result_document(uow.session, code)
            if row is None or row["status"] != "signed":
                raise NotFound("document_not_found", "Không tìm thấy văn bản với mã xác thực này.")
            if not admin and actor.get("unit") != row["agency_code"]:
                raise Forbidden("unit_not_allowed", "Văn bản do cơ quan khác cấp.")
            revoked = uow.session.execute(
                update(docs).where(docs.c.verification_code == code, docs.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(timezone.utc), revoked_reason=reason.strip())).rowcount
            if revoked:
                uow.audit(f"officer:{actor.get('subject')}", "result.revoked", row["dossier_code"], {
                    "verification_code": code, "unit": actor.get("unit"), "as_admin": admin,
                    "issuing_agency": row["agency_code"], "reason": reason.strip()})
            row = storage.find_result_document(uow.session, code)
        return signing.public_view(row)

    # -- national portal sync (services/workflow/portal_sync.py) ---------------------------------------------
    @timer(interval=1)
    def sync_portal(self):
        """Send pending status records to the national portal, in order per dossier, until acknowledged."""
        if self.portal.enabled:
            result = portal_sync.send_due(self.db, self.portal)
            if result["failed"]:
                self.log.warning("portal_sync_failed", failed=result["failed"], sent=result["sent"])

    @rpc
    def portal_reconciliation(self, actor: dict, dossier_code: str | None = None) -> dict:
        """What the national portal has acknowledged and what not (officers of a province-level agency, or
        ops). With `dossier_code`: that dossier's sync status."""
        agency = self.catalogue.territory.agencies.get(actor.get("unit") or "")
        province = agency is not None and self.catalogue.territory.level_of(agency) == "province"
        if actor.get("kind") != "officer" or not (self._admin(actor) or province):
            raise Forbidden("role_not_allowed", "Chỉ cán bộ cấp tỉnh hoặc quản trị được xem đối soát.")
        with self.db.unit() as uow:
            return portal_sync.reconciliation(uow.session, dossier_code)

    @rpc
    def health(self) -> dict:
        self.db.engine.connect().close()
        return {"status": "ok"}


def _legal_today() -> date:
    return datetime.now(legal_time.LEGAL_TZ).date()


__all__ = ["WorkflowService", "DATA_DIR", "DossierStatusChanged"]

"""Workflow service: the one-stop engine. Opens a case for each submitted dossier, routes it to the competent
agency, runs the legal clock, takes officer and citizen actions, renders the forms, counts the statistics, keeps
the staff directory (its entrypoints: staff_rpc.py).
Entrypoints only: parse, call one use case (use_cases/), answer. services/workflow/README.md lists them."""

from __future__ import annotations

from motcua.intake.v1.events_pb2 import DossierSubmitted
from motcua.payment.v1.events_pb2 import PaymentCompleted
from nameko.rpc import rpc
from nameko.timer import timer

from services.chassis import audit
from services.chassis.clock import utcnow
from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.workflow import metrics as observe
from services.workflow import schemas
from services.workflow.adapters import portal, signing, storage
from services.workflow.admin_rpc import ProvinceAdminRpc
from services.workflow.catalogue_rpc import CatalogueAdminRpc
from services.workflow.dependencies import Catalogue, StaffSettings
from services.workflow.schemas import load
from services.workflow.staff_rpc import StaffDirectoryRpc
from services.workflow.use_cases import calendar, cases, deadlines, results, units, views, worklist
from services.workflow.use_cases import catalogue as listing
from services.workflow.use_cases import portal as portal_view
from services.workflow.use_cases import statistics as stats
from services.workflow.use_cases.act import act as take_action


class WorkflowService(audit.AuditChainRpc, StaffDirectoryRpc, CatalogueAdminRpc, ProvinceAdminRpc):
    name = "workflow"
    db = Database(storage.metadata)
    catalogue = Catalogue()
    staff_settings = StaffSettings()
    log = LogContext()
    metrics = EntrypointMetrics()
    signing = signing.ResultSigning()
    portal = portal.PortalSync()

    @rpc
    def list_procedures(self) -> list[dict]:
        """Procedures in force today, with documents, fee and processing time."""
        return self._read(listing.procedures, self.catalogue)

    @rpc
    def search_procedures(self, request: dict) -> dict:
        """Procedures in force today matching `q`, `level`, `field`, `online`; InvalidInput for unknown filters."""
        return self._read(listing.search, self.catalogue, load(schemas.SearchProceduresRequest, request))

    @rpc
    def list_agencies(self) -> list[dict]:
        """The province's agencies: code, name (today's), kind, unit, level, valid_from, valid_to."""
        return self._read(lambda session: listing.agencies(self.catalogue))

    @rpc
    def route(self, procedure_code: str, applicant_unit_code: str) -> dict:
        """The procedure version in force and the competent agency for an applicant living in a unit."""
        return self._read(listing.route, self.catalogue, procedure_code, applicant_unit_code)

    @rpc
    def process_vocabulary(self) -> dict:
        """Every process's states, actions, roles and history records, in Vietnamese and English."""
        return listing.vocabulary(self.catalogue)

    @on_event(DossierSubmitted)
    def on_dossier_submitted(self, event):
        """Open the case in the competent unit's receipt queue, or hold it for coordination (once per dossier)."""
        opened = self._write(cases.on_submitted, self.catalogue, event.data, self.portal)
        if opened is not None:
            observe.opened(*opened, log=self.log)

    @on_event(PaymentCompleted)
    def on_payment_completed(self, event):
        """The fee is paid: the case's log says so, and a result held for payment may now be returned."""
        with self.db.unit(event) as uow:
            if not uow.duplicate:
                cases.record_payment(uow, event.data)

    @rpc
    def act(self, dossier_code: str, request: dict, actor: dict) -> dict:
        """An action of the case's process definition: {action, reason, params, attachments, client_txn_id},
        idempotent by client_txn_id. Raises Forbidden, InvalidInput, NotFound, Conflict (transaction id reused)."""
        body = load(schemas.ActRequest, request)
        view = self._write(take_action, self.catalogue, dossier_code, body, actor, self.signing, self.portal)
        return observe.acted(body["action"], view)

    @rpc
    def get_case(self, dossier_code: str, actor: dict | None = None) -> dict:
        """Status, due date with its explanation, steps, clock stops, the log, and the actions `actor` may take."""
        return self._read(views.for_actor, self.catalogue, dossier_code, actor)

    @rpc
    def public_status(self, dossier_code: str) -> dict:
        """Where a dossier is and when it is due, for anyone holding its code: nothing about people."""
        return self._read(views.public_status, self.catalogue, dossier_code)

    @rpc
    def work_queue(
        self,
        unit: str,
        status: str | None = None,
        procedure_code: str | None = None,
        due: str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> dict:
        """Open cases held by `unit`, most urgent first (`due`: soon | overdue), a page after the cursor `after`."""
        request = {
            "status": status,
            "procedure_code": procedure_code,
            "due": due,
            "limit": limit,
            "after": after,
        }
        return self.worklist(unit, {k: v for k, v in request.items() if v is not None})

    @rpc
    def worklist(self, unit: str, request: dict) -> dict:
        """A page of `unit`'s queue: views (mine, unassigned, awaiting_receipt, due_soon, overdue) with their
        counts, filters, search (`q`, `codes` intake found), cursors `next`/`previous` (pass as after/before)."""
        return self._read(worklist.worklist, self.catalogue, unit, load(schemas.WorklistRequest, request))

    @rpc
    def worklist_export(self, unit: str, request: dict) -> dict:
        """Every row of a view and filter of `unit`'s queue (at most 5,000), for a CSV or XLSX download."""
        return self._read(worklist.export, self.catalogue, unit, load(schemas.WorklistRequest, request))

    @rpc
    def worklist_agencies(self, unit: str) -> list[str]:
        """The agencies that received the dossiers `unit` holds open (where intake searches by applicant)."""
        return self._read(worklist.receipt_agencies, unit)

    @rpc
    def count_by_status(self) -> dict:
        """How many cases are in each status."""
        return self._read(storage.count_by_status)

    @rpc
    def rate(self, dossier_code: str, request: dict, actor: dict) -> dict:
        """A citizen's satisfaction rating (1-5) after the result was returned; once per dossier."""
        return self._write(stats.rate, dossier_code, load(schemas.RateRequest, request), actor)

    @rpc
    def merge_units(self, request: dict, actor: dict) -> dict:
        """Merge administrative units (a province administrator): open cases move to the successor's agencies."""
        return self._write(
            units.merge, self.catalogue, load(schemas.MergeRequest, request), actor, self.portal
        )

    @rpc
    def statistics(self, request: dict) -> dict:
        """Service-quality indicators by unit (merged units rolled up), agency, level, procedure and period."""
        return self._read(stats.statistics, self.catalogue, load(schemas.StatisticsRequest, request))

    @rpc
    def publish_calendar_correction(self, request: dict, actor: dict) -> dict:
        """A province administrator corrects the calendar; open dossiers it lengthens get a later due date."""
        body = load(schemas.CalendarCorrectionRequest, request)
        return self._write(calendar.publish, self.catalogue, body, actor, self.portal)

    @rpc
    def check_province_admin(self, actor: dict, task: str = "quản trị hệ thống") -> dict:
        """Forbidden unless `actor` administers the province (the gateway asks before its own administration)."""
        return self._read(lambda session: calendar.check_admin(self.catalogue, actor, task))

    @rpc
    def calendar_corrections(self) -> list[dict]:
        """The corrections published at run time, oldest first."""
        return self._read(calendar.corrections)

    @rpc
    def render_form(self, dossier_code: str, number: str, context: dict | None = None) -> str:
        """Forms 01-06 of a dossier as printable HTML, generated from its action log. `context`: what workflow
        does not hold, {applicant: {full_name, address}, people: {subject: {full_name, title}}, printed_by}."""
        return self._read(views.form, self.catalogue, dossier_code, number, context)

    @rpc
    def render_logbook(self, unit: str, context: dict | None = None) -> str:
        """Form 07: the logbook of a unit's dossiers (`context`: {printed_by: {full_name, title}})."""
        return self._read(views.logbook, self.catalogue, unit, context)

    @rpc
    def competent_agencies(self, dossier_code: str) -> list[dict]:
        """Where a case may be transferred: agencies competent for its procedure, `suggested` ones first."""
        return self._read(views.competent_agencies, self.catalogue, dossier_code)

    @timer(interval=60)
    def check_deadlines(self):
        """Emit CaseDueSoon (MOTCUA_DUE_SOON_WORKING_DAYS before the due day) and CaseOverdue once per case;
        refresh the gauges."""
        observe.gauges(self._write(deadlines.check, self.catalogue, utcnow()))

    @timer(interval=5)
    def retry_signing(self):
        """Sign results left pending by a signing failure, each claimed once across replicas."""
        results.retry_signing(self.db, self.signing, self.log)

    @timer(interval=1)
    def sync_portal(self):
        """Send pending status records to the national portal, in order per dossier, until acknowledged."""
        portal.sync(self.db, self.portal, self.log)

    @rpc
    def result_document(self, dossier_code: str) -> dict:
        """A dossier's signed result: verification code and file. Conflict until it is signed."""
        return self._read(results.result_document, dossier_code)

    @rpc
    def get_verification(self, code: str) -> dict:
        """Public facts about a signed result by its verification code. Raises NotFound."""
        return self._read(results.verification, code)

    @rpc
    def verify_result(self, pdf_base64: str) -> dict:
        """Verify a signed result's bytes: intact, trusted, known here (by hash) and not revoked."""
        return results.verify(self.db, self.signing, pdf_base64)

    @rpc
    def revoke_result(self, code: str, reason: str, actor: dict) -> dict:
        """Revoke a signed result (a leader of the issuing agency, or an administrator); idempotent, audited."""
        return self._write(results.revoke, self.catalogue, code, reason, actor)

    @rpc
    def portal_reconciliation(self, actor: dict, dossier_code: str | None = None) -> dict:
        """What the national portal acknowledged and what not (province officers, administrators)."""
        return self._read(portal_view.reconciliation, self.catalogue, actor, dossier_code)

    @rpc
    def health(self) -> dict:
        self.db.engine.connect().close()
        return {"status": "ok"}

    def _read(self, query, *args):
        """`query(session, *args)` in a transaction of its own, on the catalogue as changed at run time."""
        with self.db.unit() as uow:
            self.catalogue.refresh(uow.session)
            return query(uow.session, *args)

    def _write(self, use_case, *args):
        """`use_case(uow, *args)` in a unit of work of its own: committed, with its events, when it returns."""
        with self.db.unit() as uow:
            self.catalogue.refresh(uow.session)
            return use_case(uow, *args)

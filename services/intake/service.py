"""Intake service: validates and stores dossiers with their codes, and reports them as submitted.

Entrypoints only (the published interface): each parses its arguments, calls one use case (use_cases/) and
answers. The rules are in use_cases/ and domain/; the tables in adapters/storage.py; the calls to the registry
and workflow in adapters/gateways.py."""

from __future__ import annotations

from nameko.rpc import RpcProxy, rpc

from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.chassis.validation import load
from services.intake.adapters import storage
from services.intake.adapters.gateways import Registry, Workflow
from services.intake.dependencies import RouteCache
from services.intake.schemas import AddDocumentsRequest, SubmitDossierRequest, UploadRecord, Viewer
from services.intake.use_cases import Ports, documents, dossiers, drafts, queue_search, submit, uploads
from services.intake.use_cases.prepare import prepare_form


class IntakeService:
    name = "intake"

    db = Database(storage.metadata)
    settings = SettingsProvider()
    registry = RpcProxy("registry")
    workflow = RpcProxy("workflow")
    routes = RouteCache()
    log = LogContext()
    metrics = EntrypointMetrics()

    def _ports(self) -> Ports:
        return Ports(
            db=self.db,
            registry=Registry(self.registry),
            workflow=Workflow(self.workflow, self.routes),
            applicant_ref_key=self.settings.applicant_ref_key,
            log=self.log,
        )

    # -- filing ----------------------------------------------------------------------------------------------
    @rpc
    def submit_dossier(self, request: dict, submitter: dict, idempotency_key: str | None = None) -> dict:
        """Validate, look up the applicant in the registry, store the dossier with its code, emit
        DossierSubmitted (and, privately for notify, ApplicantContactRecorded) through the outbox. Returns
        {code, status, submitted_at, procedure, agency_code, agency_name, documents}.

        A citizen files for themself; an officer at a one-stop desk files for the applicant (channel counter).
        With `idempotency_key` a retry answers as the first call did (`replayed: True`).
        Raises InvalidInput (bad fields, invalid ID number, unknown procedure, documents incomplete), NotFound
        (person), Forbidden, Conflict (a key reused for another request)."""
        body = load(SubmitDossierRequest, request)
        who = load(Viewer, submitter)
        return submit.submit(self._ports(), body, who, idempotency_key)

    @rpc
    def prepare(self, procedure_code: str, submitter: dict) -> dict:
        """What the submission form needs: the applicant's data from the registry (never typed again) and,
        for each required document, the valid ones the citizen already holds."""
        return prepare_form(self._ports(), procedure_code, load(Viewer, submitter))

    @rpc
    def filed_with_key(self, idempotency_key: str, submitter: dict) -> dict:
        """The answer of the submission this caller made with `idempotency_key` ({code, status, ...,
        replayed: true}), for a retry that no longer has its request (the web wizard's draft is deleted by the
        filing). Raises NotFound when nothing was filed with that key."""
        who = load(Viewer, submitter)
        return dossiers.filed_with_key(self.db, who["subject"], idempotency_key)

    # -- uploads and drafts ----------------------------------------------------------------------------------
    @rpc
    def register_upload(self, record: dict, submitter: dict, idempotency_key: str | None = None) -> dict:
        """Record a file the gateway stored (content already checked): it can then be cited in a submission.

        With `idempotency_key`, a retry of the same content answers with the first upload's record
        (`replayed: True`; the caller then discards the copy it just stored); other content: Conflict."""
        who = load(Viewer, submitter)
        return uploads.register(self.db, load(UploadRecord, record), who["subject"], idempotency_key)

    @rpc
    def save_draft(
        self, draft_id: str | None, body: dict, submitter: dict, idempotency_key: str | None = None
    ) -> dict:
        """Save a partly filled dossier (any JSON object up to 64 KB) to resume later: a new one when
        `draft_id` is None, else replace that draft's content.

        With `idempotency_key` (new drafts only), a retry of the same body answers with the draft the first
        one created (`replayed: True`); another body: Conflict."""
        who = load(Viewer, submitter)
        return drafts.save(self.db, draft_id, body, who["subject"], idempotency_key)

    @rpc
    def get_draft(self, draft_id: str, submitter: dict) -> dict:
        """One of the caller's drafts {id, body, updated_at}; NotFound for another's."""
        return drafts.get(self.db, draft_id, load(Viewer, submitter)["subject"])

    @rpc
    def list_drafts(self, submitter: dict) -> list[dict]:
        """The caller's drafts, last saved first: [{id, procedure_code, updated_at}]."""
        return drafts.list_of(self.db, load(Viewer, submitter)["subject"])

    @rpc
    def delete_draft(self, draft_id: str, submitter: dict) -> dict:
        """Delete one of the caller's drafts; NotFound for another's."""
        return drafts.delete(self.db, draft_id, load(Viewer, submitter)["subject"])

    # -- dossiers as filed -----------------------------------------------------------------------------------
    @rpc
    def get_dossier(self, code: str, viewer: dict) -> dict:
        """The dossier as submitted, if `viewer` may see it (a citizen: their own; an officer: their unit's,
        checked again by the gateway against the case). Unknown and not-yours look the same (NotFound)."""
        return dossiers.get(self.db, code, load(Viewer, viewer))

    @rpc
    def add_documents(self, code: str, request: dict, submitter: dict) -> dict:
        """The applicant sends files for named documents of their dossier (a completion before receipt, or a
        supplement answer): each becomes the next version of that document. Idempotent per upload. Returns
        {documents: [{code, version, upload_id, sha256, file_name, media_type, size_bytes}]}.

        Raises NotFound (not their dossier), InvalidInput (unknown document, upload not theirs or used)."""
        who = load(Viewer, submitter)
        body = load(AddDocumentsRequest, request)
        return documents.add(self.db, code, who, body["documents"], self.log)

    @rpc
    def list_dossiers(self, viewer: dict, limit: int = 20, before: str | None = None) -> dict:
        """A citizen's own dossiers, newest first (cursor: pass the returned `next` as `before`)."""
        return dossiers.list_own(self.db, load(Viewer, viewer), limit, before)

    # -- the officers' work queue ----------------------------------------------------------------------------
    @rpc
    def find_dossiers(self, text: str, agencies: list[str], officer: dict) -> dict:
        """Codes of the dossiers received by `agencies` whose applicant matches `text` by name (every word,
        without diacritics), ID number or phone: {codes (newest first, at most 500), kind, truncated}. Each match
        is logged in the registry's access log for the citizen. Forbidden unless `officer` is an officer."""
        agencies = [str(a)[:30] for a in (agencies or []) if a]
        return queue_search.find(self._ports(), str(text or "")[:100], agencies, load(Viewer, officer))

    @rpc
    def applicants(self, codes: list[str], officer: dict) -> dict:
        """{code: {full_name, id_number_masked}} of these dossiers (a queue page or an export; no phone)."""
        return queue_search.applicants(self.db, [str(c)[:60] for c in codes or []], load(Viewer, officer))

    @rpc
    def get_contact(self, code: str) -> dict:
        """How to reach the applicant of a dossier (for notify, when a status change overtook
        ApplicantContactRecorded)."""
        return dossiers.contact(self.db, code)

    @rpc
    def health(self) -> dict:
        """Database reachable."""
        self.db.engine.connect().close()
        return {"status": "ok"}

"""Registry service: what the state already holds about people (persons, businesses, verified documents),
who may read it (consents), and who did (access log).

Entrypoints only (the published interface): each parses its arguments, calls one use case (use_cases/) and
answers. The rules are in use_cases/ and domain/; the tables in adapters/storage.py."""

from __future__ import annotations

from motcua.workflow.v1.events_pb2 import ResultIssued
from nameko.rpc import rpc

from services.chassis import audit
from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.registry.adapters import storage
from services.registry.use_cases import access, businesses, consents, documents, persons


class RegistryService(audit.AuditChainRpc):
    name = "registry"

    db = Database(storage.metadata)
    settings = SettingsProvider()
    log = LogContext()
    metrics = EntrypointMetrics()

    # -- for services (trusted callers inside the platform) -----------------------------------------------
    @rpc
    def get_person(
        self,
        id_number: str,
        requester: str = "intake",
        purpose: str = "dossier_processing",
        dossier_code: str = "",
    ) -> dict:
        """The person with this ID number (identity, address, contact). Every read is logged.

        Raises InvalidInput(`invalid_id_number`) for a malformed number and NotFound(`person_not_found`)."""
        return persons.get(
            self.db, self.settings.applicant_ref_key, id_number, requester, purpose, dossier_code
        )

    @rpc
    def find_documents(
        self, id_number: str, doc_types: list[str], requester: str = "intake", dossier_code: str = ""
    ) -> list[dict]:
        """Valid (not expired, not revoked) documents of these types the person holds, newest first."""
        return documents.find_valid(
            self.db, self.settings.applicant_ref_key, id_number, doc_types, requester, dossier_code
        )

    @rpc
    def get_document(self, document_id: str, owner_id_number: str) -> dict:
        """One document, if it belongs to `owner_id_number` (intake checks a reuse against it)."""
        return documents.get_owned(self.db, document_id, owner_id_number)

    @rpc
    def store_document(self, document: dict) -> dict:
        """Keep a verified document (an upload checked by an officer, or an import)."""
        return documents.store(self.db, document)

    @on_event(ResultIssued)
    def on_result_issued(self, event):
        """A dossier's result becomes a verified document of its applicant, reusable in later procedures."""
        documents.store_result(self.db, event, self.log)

    # -- for agencies, through the gateway: consent and purpose enforced ------------------------------------------
    @rpc
    def agency_read(
        self, agency_code: str, id_number: str, category: str, purpose: str, dossier_code: str = ""
    ) -> dict:
        """An agency reads one category of a person's data for a purpose the person consented to; every
        attempt is logged, refused ones too. Raises Forbidden(`no_consent`), for an ID number the registry does
        not hold as well: an agency without consent must not learn whether a person exists (no existence oracle)."""
        return persons.agency_read(
            self.db, self.settings.applicant_ref_key, agency_code, id_number, category, purpose, dossier_code
        )

    # -- for the citizen ------------------------------------------------------------------------------------------
    @rpc
    def grant_consent(self, id_number: str, request: dict, idempotency_key: str | None = None) -> dict:
        """The citizen lets an agency read a category of their data for a purpose until a date.

        With `idempotency_key`, a retry of the same request answers with the consent the first one granted
        (`replayed: True`) instead of granting another; another request: Conflict."""
        return consents.grant(self.db, id_number, request, idempotency_key)

    @rpc
    def revoke_consent(self, id_number: str, consent_id: int) -> dict:
        """End one of the citizen's consents now; NotFound if they hold no such consent in force."""
        return consents.revoke(self.db, id_number, consent_id)

    @rpc
    def list_consents(self, id_number: str) -> list[dict]:
        """The citizen's consents, revoked ones too."""
        return consents.list_of(self.db, id_number)

    @rpc
    def record_reads(
        self, reads: list[dict], requester: str, category: str, purpose: str, detail: str = ""
    ) -> dict:
        """Log reads of personal data made elsewhere in the platform (an officer's search of the work queue by
        name, ID number or phone, in intake): one access-log row and audit entry per {id_number, dossier_code}."""
        return access.record_many(
            self.db, self.settings.applicant_ref_key, reads, requester, category, purpose, detail
        )

    @rpc
    def access_log(self, id_number: str) -> list[dict]:
        """Who read the citizen's data, when, why, for which dossier, and whether it was allowed."""
        return access.log_of(self.db, id_number)

    @rpc
    def record_document_read(self, id_number: str, dossier_code: str, reader: dict, document: dict) -> dict:
        """An officer opened one of the citizen's documents in a dossier: logged for the citizen to see, with the
        officer's name, title and unit (`reader`: {subject, name, title, unit, unit_name}) and the document
        (`document`: {code, name, version, source}); audited."""
        return access.record_document_read(
            self.db, self.settings.applicant_ref_key, id_number, dossier_code, reader, document
        )

    # -- other ----------------------------------------------------------------------------------------------------
    @rpc
    def sign_in_samples(self, limit: int = 8) -> list[dict]:
        """Local mode only: a few people the registry holds (ID number and name), for the development sign-in
        page to offer. Forbidden in any other mode."""
        return persons.sign_in_samples(self.db, self.settings.is_local, limit)

    @rpc
    def check_tax_code(self, tax_code: str) -> dict:
        """{tax_code} in canonical form (10 digits, or 10-3 for a dependent unit); InvalidInput otherwise."""
        return businesses.check_tax_code(tax_code)

    @rpc
    def health(self) -> dict:
        """Database reachable."""
        self.db.engine.connect().close()
        return {"status": "ok"}

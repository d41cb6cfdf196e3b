"""What intake asks other services over RPC, each call with a deadline (`services.chassis.rpc.call`): the use
cases ask questions in their own words; the RPC names and arguments live here only."""

from __future__ import annotations

from services.chassis.rpc import call
from services.intake.dependencies import RouteCache


class Registry:
    """The registry: who the applicant is and which verified documents they already hold (once-only)."""

    def __init__(self, proxy) -> None:
        self._proxy = proxy

    def person(self, id_number: str, requester: str) -> dict:
        """The person (identity, address, contact); the registry logs the read for `requester`.
        Raises NotFound (`person_not_found`) or InvalidInput (`invalid_id_number`) as the registry does."""
        return call(self._proxy.get_person, id_number, requester, "dossier_processing")

    def valid_documents(self, id_number: str, doc_types: list[str], requester: str) -> list[dict]:
        """The person's valid documents of these types (none asked, none fetched: no read is logged)."""
        return call(self._proxy.find_documents, id_number, doc_types, requester) if doc_types else []

    def record_reads(self, reads: list[dict], requester: str, category: str, detail: str) -> None:
        """Log in the registry's access log, for each citizen, that an officer's search read their data
        (`reads`: [{id_number, dossier_code}]): the citizen sees it among the reads of their data."""
        if reads:
            call(self._proxy.record_reads, reads, requester, category, "dossier_processing", detail)


class Workflow:
    """Workflow: which procedure version is in force and which agency receives a filing, through the route
    cache (an answer stays fresh a minute and serves stale while workflow cannot answer)."""

    def __init__(self, proxy, routes: RouteCache) -> None:
        self._proxy = proxy
        self._routes = routes

    def route(self, procedure_code: str, unit_code: str) -> dict:
        return self._routes.route(procedure_code, unit_code, lambda *args: call(self._proxy.route, *args))

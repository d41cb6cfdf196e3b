"""Officers over the API: the unit's work queue (page, export, bulk assignment: services/gateway/worklist.py), its
logbook (Form 07), and merging administrative units."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway import schemas, worklist
from services.gateway.auth import viewer
from services.gateway.problems import json_response
from services.gateway.routes.document_pages import form_context
from services.gateway.routing import endpoint, html_response, read_json


class OfficerRoutes:
    @endpoint("GET", "/api/v1/queue", tag="officers", query=schemas.QUEUE_QUERY)
    def work_queue(self, request):
        """The officer's unit queue, most urgent first (due date; for dossiers waiting for receipt, the time they
        were filed). Views with their `counts` (mine, unassigned, awaiting_receipt, due_soon, overdue), filters,
        search by code or applicant (items carry the applicant's name and masked ID number), keyset pages: pass
        `next` as `cursor`, `previous` as `before`. Rows carry `due_soon` and `overdue` marks."""
        principal = self._officer(request)
        raw = dict(request.args)
        if "cursor" in raw:
            raw["after"] = raw.pop("cursor")
        return json_response(worklist.page(self, principal, worklist.query(raw)))

    @endpoint(
        "GET", "/api/v1/queue/export", tag="officers", query=schemas.QUEUE_EXPORT_QUERY, produces="text/csv"
    )
    def export_queue(self, request):
        """Every dossier of the filter (at most 5,000 rows), as CSV (UTF-8) or XLSX: code, applicant (name and
        masked ID number, never the phone), procedure, status, dates, working days left, mark, assignee."""
        principal = self._officer(request)
        fmt = request.args.get("format") or "csv"
        query = worklist.query(dict(request.args))
        return worklist.download(self, principal, query, fmt, lambda vi, en: vi, _vietnamese)

    @endpoint(
        "POST",
        "/api/v1/queue/assignments",
        tag="officers",
        body=schemas.BulkAssignRequest,
        idempotent={
            "description": "A retry with the same key assigns each dossier once (the key, first 80 characters, "
            "is each assignment's client_txn_id, prefixed `queue-bulk:`)."
        },
    )
    def assign_queue(self, request):
        """Assign several dossiers of the unit to one officer (roles allowed to `assign`): each is the process's
        own `assign` action (history, audit chain, status event). 200 with one result per dossier when any was
        assigned (the others say why not); 422 `none_assigned` with the results when none was."""
        principal = self._officer(request)
        body = schemas.validate_body(schemas.BulkAssignRequest, read_json(request))
        result = worklist.assign(
            self, principal, body["dossier_codes"], body["assignee"], request.headers.get("Idempotency-Key")
        )
        if not result["assigned"]:
            raise InvalidInput(
                "none_assigned", "Không hồ sơ nào được phân công.", {"results": result["results"]}
            )
        return json_response(result)

    @endpoint("GET", "/api/v1/logbook", tag="officers", produces="text/html")
    def logbook(self, request):
        """Form 07: the logbook of the officer's unit."""
        principal = self._officer(request)
        return html_response(
            call(self.workflow.render_logbook, principal.unit, form_context(self, principal))
        )

    @endpoint("POST", "/api/v1/units/merges", tag="officers", body=schemas.MergeRequest)
    def merge_units(self, request):
        """Merge administrative units (leaders): open dossiers move to the successor, statistics roll up."""
        principal = self._officer(request)
        body = schemas.validate_body(schemas.MergeRequest, read_json(request))
        return json_response(call(self.workflow.merge_units, body, viewer(principal), timeout=30))


def _vietnamese(value) -> str:
    return (value.get("vi") or "") if isinstance(value, dict) else str(value or "")

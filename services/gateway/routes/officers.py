"""Officers over the API: the unit's work queue, its logbook (Form 07), and merging administrative units."""

from __future__ import annotations

from services.chassis.rpc import call
from services.gateway import schemas
from services.gateway.auth import viewer
from services.gateway.problems import BadRequest, json_response
from services.gateway.routes.document_pages import form_context
from services.gateway.routing import endpoint, html_response, read_json


class OfficerRoutes:
    @endpoint(
        "GET", "/api/v1/queue", tag="officers", query=("status", "procedure_code", "due", "limit", "cursor")
    )
    def work_queue(self, request):
        """The officer's unit queue, soonest due first; filters: status, procedure_code, due=soon|overdue."""
        principal = self._officer(request)
        args = request.args
        due = args.get("due")
        if due not in (None, "soon", "overdue"):
            raise BadRequest("invalid_query", "due phải là 'soon' hoặc 'overdue'.")
        try:
            limit = int(args.get("limit", "50"))
        except ValueError:
            raise BadRequest("invalid_query", "limit phải là số nguyên.") from None
        return json_response(
            call(
                self.workflow.work_queue,
                principal.unit,
                args.get("status"),
                args.get("procedure_code"),
                due,
                limit,
                args.get("cursor"),
            )
        )

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

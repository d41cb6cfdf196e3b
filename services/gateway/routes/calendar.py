"""The legal calendar (its corrections, published at run time with their legal source) and the service-quality
statistics counted on it (Decision 766/QĐ-TTg)."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway import schemas
from services.gateway.auth import viewer
from services.gateway.problems import json_response
from services.gateway.routing import endpoint, read_json


class CalendarRoutes:
    @endpoint("GET", "/api/v1/statistics", tag="officers", query=schemas.STATISTICS_QUERY)
    def statistics(self, request):
        """Service-quality indicators (Decision 766/QĐ-TTg) for an administrative unit, an agency, a level, a
        procedure and a period: received, finished early / on time / late, on-time rate, in progress, overdue,
        online share, online payment, satisfaction. `dossiers` counts each dossier once for the agency that
        received it; `steps` counts each agency for its own step of a transferred or chained dossier. An unknown
        unit, agency, level, procedure or period is refused (422), never answered with zeros."""
        self._officer(request)
        names = {q["name"] for q in schemas.STATISTICS_QUERY}
        unknown = sorted(set(request.args) - names)
        if unknown:
            raise InvalidInput(
                "unknown_parameter",
                f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
                {"parameters": unknown, "allowed": sorted(names)},
            )
        return json_response(call(self.workflow.statistics, {k: v for k, v in request.args.items() if v}))

    @endpoint("GET", "/api/v1/calendar/corrections", public=True, tag="calendar")
    def calendar_corrections(self, request):
        """Corrections of the working calendar published at run time (each with the notice that decides it)."""
        return json_response({"items": call(self.workflow.calendar_corrections)})

    @endpoint(
        "POST",
        "/api/v1/calendar/corrections",
        tag="calendar",
        body=schemas.CalendarCorrectionRequest,
        status=201,
    )
    def publish_calendar_correction(self, request):
        """Publish a calendar correction (province administrators, `admin` role): a day off or a working day with
        its legal source. Audited; deadlines computed afterwards use it; open dossiers whose legal time it
        lengthens get a later due date (recorded in their due explanation and history), never an earlier one."""
        principal = self._officer(request)
        body = schemas.validate_body(schemas.CalendarCorrectionRequest, read_json(request))
        return json_response(
            call(self.workflow.publish_calendar_correction, body, viewer(principal), timeout=30), 201
        )

"""The procedure catalogue (public) and, for a signed-in citizen, what they already hold for one procedure."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway import schemas
from services.gateway.auth import viewer
from services.gateway.problems import json_response
from services.gateway.routing import endpoint


class CatalogueRoutes:
    @endpoint(
        "GET",
        "/api/v1/procedures",
        public=True,
        tag="catalogue",
        query=schemas.PROCEDURES_QUERY,
        response=schemas.ProcedureList,
    )
    def list_procedures(self, request):
        """Procedures in force: code, name, documents, fee, processing time; searched and filtered.

        `q` matches codes and words with or without diacritics ("xay dung" finds "Xây dựng", "dang ky" finds
        "Đăng ký"); every word must start a word of the procedure's name, field or code. An unknown `level`,
        `field` or `online` value, or an unknown parameter, is refused with 422."""
        names = {q["name"] for q in schemas.PROCEDURES_QUERY}
        unknown = sorted(set(request.args) - names)
        if unknown:
            raise InvalidInput(
                "unknown_parameter",
                f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
                {"parameters": unknown, "allowed": sorted(names)},
            )
        args = request.args
        found = call(
            self.workflow.search_procedures,
            {
                "q": args.get("q", ""),
                "level": args.get("level") or None,
                "field": args.get("field") or None,
                "online": args.get("online") or None,
            },
        )
        return json_response({"items": found["items"], "total": found["total"]})

    @endpoint("GET", "/api/v1/procedures/<string:code>/prefill")
    def prefill(self, request, code):
        """For the signed-in citizen: their data from the registry and, per required document, the valid ones
        they already hold (reuse instead of uploading)."""
        principal = self.auth.principal(request)
        return json_response(call(self.intake.prepare, code, viewer(principal)))

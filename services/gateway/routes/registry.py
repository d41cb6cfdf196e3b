"""Personal data: the citizen's own view (who read my data, my consents) and agencies' reads of a person's
data, only with that person's consent (the registry checks it and logs every read)."""

from __future__ import annotations

from services.chassis.errors import Forbidden, InvalidInput
from services.chassis.rpc import call
from services.gateway.problems import json_response
from services.gateway.routing import created, endpoint, idempotency_key, read_json


class RegistryRoutes:
    @endpoint("GET", "/api/v1/me/access-log", tag="personal-data")
    def my_access_log(self, request):
        """Who read my data, when, why, for which dossier, and whether it was allowed."""
        principal = self._citizen(request)
        return json_response({"items": call(self.registry.access_log, principal.subject)})

    @endpoint("GET", "/api/v1/me/consents", tag="personal-data")
    def my_consents(self, request):
        """The consents I gave to agencies."""
        principal = self._citizen(request)
        return json_response({"items": call(self.registry.list_consents, principal.subject)})

    @endpoint("POST", "/api/v1/me/consents", tag="personal-data", status=201, idempotent=True)
    def grant_consent(self, request):
        """Let an agency read a category of my data for a purpose, until a date.

        `Idempotency-Key` header: a retry with the same key and body answers with the consent the first request
        granted (200, `replayed: true`); the same key with another body: 409."""
        principal = self._citizen(request)
        return created(
            call(self.registry.grant_consent, principal.subject, read_json(request), idempotency_key(request))
        )

    @endpoint("DELETE", "/api/v1/me/consents/<int:consent_id>", tag="personal-data")
    def revoke_consent(self, request, consent_id):
        """Withdraw a consent."""
        principal = self._citizen(request)
        return json_response(call(self.registry.revoke_consent, principal.subject, consent_id))

    @endpoint(
        "GET",
        "/api/v1/registry/persons/<string:id_number>",
        tag="agencies",
        query=("category", "purpose", "dossier_code"),
    )
    def agency_read_person(self, request, id_number):
        """For agencies: one category of a person's data, for a purpose the person consented to (logged)."""
        principal = self.auth.principal(request)
        if principal.kind not in ("agency", "officer") or not principal.unit:
            raise Forbidden("agencies_only", "Chức năng dành cho cơ quan.")
        category, purpose = request.args.get("category"), request.args.get("purpose")
        if not category or not purpose:
            raise InvalidInput("invalid_query", "Cần category và purpose.")
        return json_response(
            call(
                self.registry.agency_read,
                principal.unit,
                id_number,
                category,
                purpose,
                request.args.get("dossier_code", ""),
            )
        )

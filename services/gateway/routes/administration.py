"""The province's administration over the API (docs/province-admin.md): administrative units and agencies (created
and renamed from a day), fee schedules (a procedure's fee changed from a day), the province's settings, process
definitions (previewed, and checked without being activated). Officers read; province administrators (`admin` in
a province-level agency: workflow's check_province_admin) change, each change audited by the service that owns it
(workflow; payment for fees)."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway import admin_schemas as schemas
from services.gateway.auth import viewer
from services.gateway.problems import json_response
from services.gateway.routing import endpoint, read_json
from services.gateway.schemas import validate_body


class AdministrationRoutes:
    # -- units -------------------------------------------------------------------------------------------------------
    @endpoint("GET", "/api/v1/units", tag="administration")
    def units(self, request):
        """Every administrative unit with its agencies: names (today's and every dated one), first and last day,
        successor after a merger; the model's levels, the agency kinds routing knows, the newest changes."""
        self._officer(request)
        return json_response(call(self.workflow.units_list))

    @endpoint("GET", "/api/v1/units/<string:code>", tag="administration")
    def unit(self, request, code):
        """One unit with its agencies and its change log (who, when, from which day, on which legal basis)."""
        self._officer(request)
        return json_response(call(self.workflow.unit_get, code))

    @endpoint("POST", "/api/v1/units", tag="administration", body=schemas.CreateUnitRequest, status=201)
    def create_unit(self, request):
        """Create a unit from a day (today or later) under its parent, with its agencies (e.g. its People's
        Committee): province administrators. Dossiers of applicants living there are routed to its agencies from
        that day. Audited (`unit.created`)."""
        principal = self._officer(request)
        body = validate_body(schemas.CreateUnitRequest, read_json(request))
        return json_response(call(self.workflow.unit_create, body, viewer(principal)), 201)

    @endpoint(
        "POST", "/api/v1/units/<string:code>/names", tag="administration", body=schemas.RenameUnitRequest
    )
    def rename_unit(self, request, code):
        """Rename a unit (and its agencies) from a day, today or later: province administrators. The old names
        stay in force before that day: forms issued before keep them. Audited (`unit.renamed`)."""
        principal = self._officer(request)
        body = validate_body(schemas.RenameUnitRequest, read_json(request))
        return json_response(call(self.workflow.unit_rename, code, body, viewer(principal)))

    # -- fees --------------------------------------------------------------------------------------------------------
    @endpoint("GET", "/api/v1/fees", tag="administration")
    def fee_schedules(self, request):
        """Every procedure's fee schedule versions (lines, reductions, legal basis, first day), the one in force
        today marked (`in_force`), with `base_vnd` (the fee without form fields or reductions)."""
        self._officer(request)
        return json_response({"items": call(self.payment.fee_schedules)})

    @endpoint(
        "POST",
        "/api/v1/fees/<string:procedure_code>/versions",
        tag="administration",
        body=schemas.FeeVersionRequest,
        status=201,
    )
    def change_fee(self, request, procedure_code):
        """Change a procedure's fee from a day (today or later): a new version of its schedule; province
        administrators. Dossiers received from that day are assessed on it; a fee assessed before keeps its amount.
        Audited in payment's chain (`fee.changed`)."""
        principal = self._officer(request)
        body = validate_body(schemas.FeeVersionRequest, read_json(request))
        self._check_admin(principal, "thay đổi phí, lệ phí")
        self._known_procedure(procedure_code)
        body = {"reductions": [], **body}
        return json_response(call(self.payment.change_fee, procedure_code, body, viewer(principal)), 201)

    # -- settings ----------------------------------------------------------------------------------------------------
    @endpoint("GET", "/api/v1/settings", tag="administration")
    def province_settings(self, request):
        """The province's settings: each one's value today and where it comes from (`stored`: an administrator's;
        `environment`; `default`), values set from later days, every change."""
        self._officer(request)
        return json_response({"items": call(self.workflow.province_settings)})

    @endpoint(
        "POST",
        "/api/v1/settings/<string:name>/values",
        tag="administration",
        body=schemas.SettingValueRequest,
        status=201,
    )
    def change_setting(self, request, name):
        """Set a province setting from a day (today or later), with the reason: province administrators. Every
        replica uses it from its next request. Audited (`setting.changed`)."""
        principal = self._officer(request)
        body = validate_body(schemas.SettingValueRequest, read_json(request))
        return json_response(call(self.workflow.change_setting, name, body, viewer(principal)), 201)

    # -- process definitions -----------------------------------------------------------------------------------------
    @endpoint("GET", "/api/v1/processes", tag="administration")
    def process_definitions(self, request):
        """Every process definition in force, previewed: states (initial, terminal, the actions out of each) and
        actions (who may take them, whether a reason or parameters are needed, the effect on the legal clock)."""
        self._officer(request)
        return json_response({"items": call(self.workflow.process_definitions)})

    @endpoint("POST", "/api/v1/processes/checks", tag="administration", body=schemas.ProcessCheckRequest)
    def check_process(self, request):
        """Check a process definition (YAML text) as the platform checks its files at start: its preview, or 422
        `invalid_process` naming the problem. Province administrators. Nothing is stored or activated."""
        principal = self._officer(request)
        body = validate_body(schemas.ProcessCheckRequest, read_json(request))
        return json_response(call(self.workflow.check_process, body, viewer(principal)))

    # -- shared ------------------------------------------------------------------------------------------------------
    def _check_admin(self, principal, task: str) -> None:
        """Forbidden unless a province administrator (workflow decides; payment checks the role again)."""
        call(self.workflow.check_province_admin, viewer(principal), task)

    def _known_procedure(self, code: str) -> None:
        if code not in {p["code"] for p in call(self.workflow.list_procedures)}:
            raise InvalidInput(
                "unknown_procedure", f"Thủ tục {code} không có trong danh mục.", {"field": "procedure_code"}
            )

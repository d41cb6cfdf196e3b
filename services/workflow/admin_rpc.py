"""The province administration's entrypoints, a mixin of WorkflowService (it uses the service's `catalogue`,
`_read` and `_write`): units and agencies, the province's settings, process definitions previewed and checked.
Parse, call one use case, answer. docs/province-admin.md."""

from __future__ import annotations

from nameko.rpc import rpc

from services.workflow import admin_schemas as schemas
from services.workflow.schemas import load
from services.workflow.use_cases import calendar, processes, province_settings, units


class ProvinceAdminRpc:
    @rpc
    def units_list(self) -> dict:
        """Every administrative unit with its names (today's and dated ones), dates, successor and agencies; the
        model's levels, the agency kinds routing knows, the newest changes."""
        return self._read(units.listing, self.catalogue)

    @rpc
    def unit_get(self, code: str) -> dict:
        """One unit (as units_list gives it) with its change log. Raises NotFound."""
        return self._read(units.detail, self.catalogue, code)

    @rpc
    def unit_create(self, request: dict, actor: dict) -> dict:
        """A province administrator creates a unit from a day (today or later) with its agencies; audited.
        Raises Forbidden, InvalidInput (the rule broken, with `field`)."""
        body = load(schemas.CreateUnitRequest, request)
        return self._write(units.create, self.catalogue, body, actor)

    @rpc
    def unit_rename(self, code: str, request: dict, actor: dict) -> dict:
        """A province administrator renames a unit (and its agencies) from a day, today or later; the old names
        stay for what was issued before; audited. Raises Forbidden, InvalidInput."""
        body = load(schemas.RenameUnitRequest, request)
        return self._write(units.rename, self.catalogue, code, body, actor)

    @rpc
    def province_settings(self) -> list[dict]:
        """The province's settings: value today and its origin (stored, environment, default), later values, history."""
        return self._read(province_settings.listing, self.catalogue)

    @rpc
    def change_setting(self, name: str, request: dict, actor: dict) -> dict:
        """A province administrator sets `name` from a day (today or later), with a reason; audited; every replica
        uses it from its next request. Raises Forbidden, InvalidInput."""
        body = load(schemas.ChangeSettingRequest, request)
        return self._write(province_settings.change, self.catalogue, name, body, actor)

    @rpc
    def process_definitions(self) -> list[dict]:
        """Every process definition in force, previewed: states, actions (roles, reason, parameters, clock effect),
        the procedures following it."""
        return processes.definitions(self.catalogue)

    @rpc
    def check_process(self, request: dict, actor: dict) -> dict:
        """A province administrator checks a definition (YAML text): its preview, or InvalidInput naming the
        problem. Nothing is stored or activated."""
        body = load(schemas.CheckProcessRequest, request)
        self._read(lambda session: calendar.check_admin(self.catalogue, actor, "kiểm tra quy trình"))
        return processes.check(self.catalogue, body["definition"])

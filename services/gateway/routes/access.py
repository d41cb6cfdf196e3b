"""Who may reach what, shared by every group of routes: the kind of account a route is for (officers,
citizens, agencies) and the dossiers a principal may see. A mixin of GatewayService (it uses `self.auth`,
`self.intake`, `self.workflow`)."""

from __future__ import annotations

from services.chassis.errors import Forbidden, NotFound
from services.chassis.rpc import call
from services.gateway.auth import viewer


class AccessRules:
    def _officer(self, request):
        principal = self.auth.principal(request)
        if principal.kind != "officer":
            raise Forbidden("officers_only", "Chức năng dành cho cán bộ.")
        return principal

    def _citizen(self, request):
        principal = self.auth.principal(request)
        if principal.kind != "citizen":
            raise Forbidden("citizens_only", "Chức năng dành cho công dân.")
        return principal

    def _agency(self, request) -> str:
        principal = self.auth.principal(request)
        if principal.kind != "agency":
            raise Forbidden("agencies_only", "Chức năng dành cho cơ quan.")
        return principal.unit or principal.subject

    def _visible_dossier(self, principal, code: str) -> tuple[dict, dict | None]:
        """The dossier and its case if `principal` may see them (404 otherwise, to leak nothing): its
        applicant (intake checks), and the officers of the units that received or handle it."""
        dossier = call(self.intake.get_dossier, code, viewer(principal))
        try:
            case = call(self.workflow.get_case, code, viewer(principal))
        except NotFound:
            case = None
        if principal.kind == "officer":
            units = {dossier["receiving_agency_code"]} | (
                {case["agency_code"]} | {s["agency_code"] for s in case["steps"]} if case else set()
            )
            if principal.unit not in units:
                raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        elif principal.kind != "citizen":
            raise Forbidden("not_allowed", "Tài khoản không được xem hồ sơ này.")
        return dossier, case

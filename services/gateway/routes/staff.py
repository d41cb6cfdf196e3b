"""The staff directory over the API (workflow owns it; docs/staff-directory.md): officers read their agency's
officers and their own entry; a province administrator reads any agency's, adds and changes officers and revokes
them. A change takes effect at once on this replica (what it cached about the officer is dropped; a revocation
ends the officer's sessions before the answer), and on the others when StaffMemberChanged reaches them
(services/gateway/staff.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from services.chassis.errors import Forbidden, NotFound
from services.chassis.rpc import call
from services.gateway import schemas
from services.gateway.auth import viewer
from services.gateway.problems import BadRequest, json_response
from services.gateway.routing import endpoint, read_json
from services.gateway.staff import end_sessions

TASK = "quản lý danh bạ cán bộ"


class StaffRoutes:
    @endpoint("GET", "/api/v1/staff", tag="staff", query=schemas.STAFF_QUERY)
    def staff_list(self, request):
        """The officers of an agency in force today (default: the caller's own): subject, full name, title,
        agency, roles, e-mail, effective dates. Another agency, or `include_ended=true` (also revoked officers and
        those out of their dates): province administrators only."""
        principal = self._officer(request)
        unit = request.args.get("unit") or principal.unit
        ended = request.args.get("include_ended", "false")
        if ended not in ("true", "false"):
            raise BadRequest("invalid_query", "include_ended phải là 'true' hoặc 'false'.")
        if (unit != principal.unit or ended == "true") and not self._administers(principal):
            raise Forbidden("other_unit", "Chỉ quản trị viên của tỉnh xem được danh bạ của đơn vị khác.")
        return json_response({"unit": unit, "items": call(self.workflow.staff_list, unit, ended == "true")})

    @endpoint("GET", "/api/v1/staff/<string:subject>", tag="staff")
    def staff_member(self, request, subject):
        """One officer: oneself, a colleague of one's agency, or anyone for a province administrator (404
        otherwise, as for an officer not in the directory)."""
        principal = self._officer(request)
        found = call(self.workflow.staff_get, subject)
        mine = found is not None and (subject == principal.subject or found["unit"] == principal.unit)
        if found is None or not (mine or self._administers(principal)):
            raise NotFound("officer_not_found", "Không có cán bộ này trong danh bạ.")
        return json_response(found)

    @endpoint("PUT", "/api/v1/staff/<string:subject>", tag="staff", body=schemas.StaffMemberRequest)
    def put_staff_member(self, request, subject):
        """Add an officer (201) or change their agency, roles, title, name, e-mail or effective dates (200):
        province administrators (`admin` role in a province-level agency). Audited; a moved officer's next request
        works in the new agency only. `change`: added, moved, roles_changed, renamed, or null (nothing changed)."""
        principal = self._officer(request)
        body = schemas.validate_body(schemas.StaffMemberRequest, read_json(request))
        result = call(self.workflow.staff_upsert, {**body, "subject": subject}, viewer(principal))
        self._after_staff_change(subject, result, principal)
        return json_response(result, 201 if result["change"] == "added" else 200)

    @endpoint(
        "POST", "/api/v1/staff/<string:subject>/revocation", tag="staff", body=schemas.RevokeOfficerRequest
    )
    def revoke_staff_member(self, request, subject):
        """Revoke an officer (province administrators): no access from now on; every session they have ends at
        once (their cookie and token get 401 on every replica) and a new sign-in is refused. Audited; idempotent."""
        principal = self._officer(request)
        body = schemas.validate_body(schemas.RevokeOfficerRequest, read_json(request))
        result = call(self.workflow.staff_revoke, subject, body["reason"], viewer(principal))
        ended = self._after_staff_change(subject, result, principal)
        return json_response({**result, "ended_sessions": ended})

    def _administers(self, principal) -> bool:
        """A province administrator (workflow's rule: `admin` in a province-level agency); one RPC, asked only of
        officers holding the role."""
        if "admin" not in principal.roles:
            return False
        try:
            call(self.workflow.check_province_admin, viewer(principal), TASK)
        except Forbidden:
            return False
        return True

    def _after_staff_change(self, subject: str, result: dict, principal) -> int:
        """What this replica does at once: forget the officer; on a revocation, end their sessions as of its time.
        How many sessions ended."""
        if result.get("change") is None:
            return 0
        self.auth.forget_officer(subject)
        if result["change"] != "revoked":
            return 0
        at = datetime.fromisoformat(result["officer"]["revoked_at"].replace("Z", "+00:00"))
        ended = end_sessions(
            self.db, subject, principal.subject, "staff_revoked", at.astimezone(timezone.utc)
        )
        self.log.info("officer_sessions_revoked", unit=result["officer"]["unit"], ended_sessions=ended)
        return ended

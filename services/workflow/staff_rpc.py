"""The staff directory's entrypoints, a mixin of WorkflowService (it uses the service's `db`, `catalogue`,
`staff_settings`, `_read` and `_write`): parse, call one use case (use_cases/staff.py), answer. Apart from
service.py so the directory can grow without pushing the service past its size. docs/staff-directory.md."""

from __future__ import annotations

from nameko.rpc import rpc

from services.workflow import schemas
from services.workflow.schemas import load
from services.workflow.use_cases import staff


class StaffDirectoryRpc:
    @rpc
    def staff_list(self, unit: str, include_ended: bool = False) -> list[dict]:
        """The officers of an agency in force today (`include_ended`: also the revoked and those out of their
        dates): subject, full_name, title, unit, roles, email, valid_from, valid_to, source, status..."""
        return self._read(staff.listing, unit, bool(include_ended))

    @rpc
    def staff_get(self, subject: str, with_history: bool = False) -> dict | None:
        """One officer (the fields of staff_list), or None; `with_history`: the assignments they held."""
        return self._read(staff.get, subject, bool(with_history))

    @rpc
    def staff_contacts(self, dossier_code: str) -> dict:
        """Whom to remind about a case: {"assignee": officer or None, "leaders": [leaders of its agency]}, all in
        force. Raises NotFound."""
        return self._read(staff.contacts, dossier_code)

    @rpc
    def staff_upsert(self, body: dict, actor: dict) -> dict:
        """Add an officer or change their agency, roles, title, name, e-mail or dates (a province administrator);
        audited, StaffMemberChanged published. {"officer", "change"}; raises Forbidden, InvalidInput, Conflict."""
        request = load(schemas.StaffUpsertRequest, body)
        return self._write(staff.upsert, self.catalogue, request, actor)

    @rpc
    def staff_revoke(self, subject: str, reason: str, actor: dict) -> dict:
        """Revoke an officer (a province administrator): no access from now on; audited, StaffMemberChanged
        ("revoked") published. Idempotent. Raises Forbidden, NotFound, Conflict (one's own entry)."""
        request = load(schemas.StaffRevokeRequest, {"subject": subject, "reason": reason})
        return self._write(staff.revoke, self.catalogue, request["subject"], request["reason"], actor)

    @rpc
    def resolve_officer(self, claims: dict) -> dict:
        """Who a signing-in officer is on the platform, from their token's claims {subject, name, unit, roles,
        groups, email}: {subject, unit, roles, full_name, title}. Forbidden (officer_not_in_directory,
        officer_revoked, officer_not_in_force, officer_without_unit, officer_without_roles) when refused."""
        return self._write(staff.resolve, self.staff_settings, claims)

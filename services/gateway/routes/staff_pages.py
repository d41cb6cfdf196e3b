"""The staff directory's pages for a province administrator (/quan-tri/can-bo): the officers of an agency, adding
one, changing their agency, roles, title or dates, and revoking them with a reason and a confirmation. Every POST
carries the session's CSRF token (web/base.py); workflow decides who may (province administrators) and what is
valid; a refusal is an error page and changes nothing."""

from __future__ import annotations

from urllib.parse import quote

from services.chassis.errors import Conflict, InvalidInput, NotFound
from services.chassis.rpc import call
from services.gateway.auth import viewer
from services.gateway.routes.staff import TASK
from services.gateway.web.base import page

FLASHES = {"added", "moved", "roles_changed", "renamed", "revoked", "unchanged"}


class StaffPages:
    @page("GET", "/quan-tri/can-bo", kinds=("officer",))
    def staff_page(self, wr):
        """The officers of an agency (the administrator's own by default; `don-vi` another), current and past, and
        the form to add one."""
        self._province_admin(wr)
        agencies = call(self.workflow.list_agencies)
        unit = wr.request.args.get("don-vi") or wr.principal.unit
        if unit not in {a["code"] for a in agencies}:
            raise InvalidInput("unknown_unit", wr.t("Không có cơ quan này.", "No such agency."))
        officers = call(self.workflow.staff_list, unit, True)
        return wr.render(
            "staff.html",
            title=wr.t("Danh bạ cán bộ", "Staff directory"),
            agencies=agencies,
            unit=unit,
            officers=officers,
            roles=self._role_words(),
        )

    @page("POST", "/quan-tri/can-bo", kinds=("officer",))
    def staff_add(self, wr):
        """Add an officer (or admit a revoked one again); an officer already in the directory is changed on their
        own page, not here."""
        self._province_admin(wr)
        subject = wr.request.form.get("subject", "").strip()
        existing = call(self.workflow.staff_get, subject) if subject else None
        if existing is not None and existing["status"] != "revoked":
            raise Conflict(
                "officer_exists",
                wr.t(
                    "Cán bộ này đã có trong danh bạ; hãy sửa trên trang của cán bộ.",
                    "This officer is in the directory already; change them on their page.",
                ),
            )
        return self._save(wr, subject)

    @page("GET", "/quan-tri/can-bo/<string:subject>", kinds=("officer",))
    def staff_member_page(self, wr, subject):
        """One officer: their entry to change, the assignments they held, and the revocation form."""
        self._province_admin(wr)
        found = call(self.workflow.staff_get, subject, True)
        if found is None:
            raise NotFound("officer_not_found", wr.t("Không có cán bộ này.", "No such officer."))
        agencies = call(self.workflow.list_agencies)
        flash = wr.request.args.get("tb", "")
        return wr.render(
            "staff_member.html",
            title=found["full_name"] or subject,
            officer=found,
            agencies=agencies,
            agency_names={a["code"]: a["name"] for a in agencies},
            roles=self._role_words(),
            flash=flash if flash in FLASHES else "",
        )

    @page("POST", "/quan-tri/can-bo/<string:subject>", kinds=("officer",))
    def staff_change(self, wr, subject):
        """Change an officer's agency, roles, title, name, e-mail or dates."""
        self._province_admin(wr)
        return self._save(wr, subject)

    @page("POST", "/quan-tri/can-bo/<string:subject>/thu-hoi", kinds=("officer",))
    def staff_revoke_page(self, wr, subject):
        """Revoke an officer: a reason and a ticked confirmation are required."""
        self._province_admin(wr)
        form = wr.request.form
        reason = form.get("reason", "").strip()
        if not reason or form.get("confirm") != "1":
            raise InvalidInput(
                "confirmation_required",
                wr.t(
                    "Cần ghi lý do và đánh dấu xác nhận để thu hồi.",
                    "A reason and the confirmation are needed to revoke.",
                ),
            )
        result = call(self.workflow.staff_revoke, subject, reason, viewer(wr.principal))
        self._after_staff_change(subject, result, wr.principal)
        return wr.redirect(f"/quan-tri/can-bo/{quote(subject, safe='')}?tb=revoked")

    def _province_admin(self, wr) -> None:
        call(self.workflow.check_province_admin, viewer(wr.principal), TASK)

    def _role_words(self) -> list[tuple[str, dict]]:
        words = self.vocabulary.words(self.workflow)
        return [(code, words.role(code)) for code in words.officer_roles()]

    def _save(self, wr, subject: str):
        form = wr.request.form
        body = {
            "subject": subject,
            "full_name": form.get("full_name", "").strip(),
            "title": form.get("title", "").strip(),
            "unit": form.get("unit", ""),
            "roles": form.getlist("roles"),
            "email": form.get("email", "").strip(),
            "valid_from": form.get("valid_from") or None,
            "valid_to": form.get("valid_to") or None,
        }
        result = call(self.workflow.staff_upsert, body, viewer(wr.principal))
        self._after_staff_change(subject, result, wr.principal)
        flash = result["change"] or "unchanged"
        return wr.redirect(f"/quan-tri/can-bo/{quote(subject, safe='')}?tb={flash}")

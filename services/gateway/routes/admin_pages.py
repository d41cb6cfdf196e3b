"""The province administrator's pages (/quan-tri): the home that links every part of the administration
(procedures, staff, units, fees, calendar, settings, process definitions), administrative units (created, renamed,
merged from a day), calendar corrections and the province's settings. Fees and process definitions:
admin_catalogue_pages.py. Every page asks workflow whether the visitor administers the province (a refusal is the
403 page); every POST carries the session's CSRF token (web/base.py); the owning service validates and audits;
a refused change is an error page and changes nothing."""

from __future__ import annotations

from urllib.parse import quote

from services.chassis.clock import legal_day, utcnow
from services.chassis.errors import InvalidInput
from services.chassis.rpc import call
from services.gateway.auth import viewer
from services.gateway.people import People
from services.gateway.web.base import page
from services.gateway.web.labels import AGENCY_KINDS, LEVELS

TASK = "quản trị hệ thống của tỉnh"
UNIT_FLASHES = {"created", "renamed", "merged"}


def word(table: dict, code, lang: str) -> str:
    """A code's name in a label table, in the page's language; the code itself when the table lacks it (an
    administrator's page names what it manages)."""
    found = table.get(code)
    return (found[1] if lang == "en" else found[0]) if found else str(code or "—")


class AdminPages:
    @page("GET", "/quan-tri", kinds=("officer",))
    def admin_home(self, wr):
        """Where a province administrator starts: every part of the administration, one link each."""
        self._administrator_page(wr)
        return wr.render("admin_home.html", title=wr.t("Quản trị của tỉnh", "Province administration"))

    # -- units -------------------------------------------------------------------------------------------------------
    @page("GET", "/quan-tri/don-vi", kinds=("officer",))
    def admin_units(self, wr):
        """Every unit with its agencies, names and dates; the form to create one."""
        self._administrator_page(wr)
        data = call(self.workflow.units_list)
        return wr.render(
            "admin_units.html",
            title=wr.t("Đơn vị hành chính", "Administrative units"),
            data=data,
            unit_names={u["code"]: u["name"] for u in data["units"]},
            officer_name=_names(self.workflow),
            level=lambda code: word(LEVELS, code, wr.lang),
            kind=lambda code: word(AGENCY_KINDS, code, wr.lang),
        )

    @page("POST", "/quan-tri/don-vi", kinds=("officer",))
    def admin_unit_create(self, wr):
        """Create a unit (and its agency, when the form names one) from a day."""
        self._administrator_page(wr)
        form = wr.request.form
        body = {
            "code": form.get("code", "").strip(),
            "name": form.get("name", "").strip(),
            "level": form.get("level", ""),
            "parent": form.get("parent", ""),
            "valid_from": form.get("valid_from", ""),
            "source": form.get("source", "").strip(),
            "agencies": [],
        }
        if form.get("agency_code", "").strip():
            body["agencies"].append(
                {
                    "code": form.get("agency_code", "").strip(),
                    "name": form.get("agency_name", "").strip(),
                    "kind": form.get("agency_kind", ""),
                }
            )
        created = call(self.workflow.unit_create, body, viewer(wr.principal))
        return wr.redirect(f"/quan-tri/don-vi/{quote(created['code'], safe='')}?tb=created")

    @page("GET", "/quan-tri/don-vi/<string:code>", kinds=("officer",))
    def admin_unit(self, wr, code):
        """One unit: names over time, agencies, change log; the forms to rename it and to merge it."""
        self._administrator_page(wr)
        unit = call(self.workflow.unit_get, code)
        data = call(self.workflow.units_list)
        flash = wr.request.args.get("tb", "")
        heirs = [
            u for u in data["units"] if u["level"] == unit["level"] and u["code"] != code and u["in_force"]
        ]
        return wr.render(
            "admin_unit.html",
            title=unit["name"],
            unit=unit,
            heirs=heirs,
            unit_names={u["code"]: u["name"] for u in data["units"]},
            officer_name=_names(self.workflow),
            today=data["today"],
            flash=flash if flash in UNIT_FLASHES else "",
            level=lambda c: word(LEVELS, c, wr.lang),
            kind=lambda c: word(AGENCY_KINDS, c, wr.lang),
        )

    @page("POST", "/quan-tri/don-vi/<string:code>/doi-ten", kinds=("officer",))
    def admin_unit_rename(self, wr, code):
        """Rename the unit (and the agencies whose new name the form gives) from a day."""
        self._administrator_page(wr)
        form = wr.request.form
        agencies = [
            {"code": key.removeprefix("agency-"), "name": value.strip()}
            for key, value in form.items()
            if key.startswith("agency-") and value.strip()
        ]
        body = {
            "name": form.get("name", "").strip(),
            "valid_from": form.get("valid_from", ""),
            "source": form.get("source", "").strip(),
            "agencies": agencies,
        }
        call(self.workflow.unit_rename, code, body, viewer(wr.principal))
        return wr.redirect(f"/quan-tri/don-vi/{quote(code, safe='')}?tb=renamed")

    @page("POST", "/quan-tri/don-vi/<string:code>/sap-nhap", kinds=("officer",))
    def admin_unit_merge(self, wr, code):
        """Merge the unit into a successor from a day: a legal basis and a ticked confirmation are required."""
        self._administrator_page(wr)
        form = wr.request.form
        if form.get("confirm") != "1":
            raise InvalidInput(
                "confirmation_required",
                wr.t("Cần đánh dấu xác nhận để sáp nhập.", "The confirmation is needed to merge."),
            )
        body = {
            "sources": [code],
            "successor": form.get("successor", ""),
            "effective_on": form.get("effective_on", ""),
            "source": form.get("source", "").strip(),
        }
        call(self.workflow.merge_units, body, viewer(wr.principal), timeout=30)
        return wr.redirect(f"/quan-tri/don-vi/{quote(code, safe='')}?tb=merged")

    # -- calendar ----------------------------------------------------------------------------------------------------
    @page("GET", "/quan-tri/lich", kinds=("officer",))
    def admin_calendar(self, wr):
        """The calendar corrections published at run time, and the form to publish one."""
        self._administrator_page(wr)
        return wr.render(
            "admin_calendar.html",
            title=wr.t("Điều chỉnh lịch làm việc", "Calendar corrections"),
            corrections=list(reversed(call(self.workflow.calendar_corrections))),
            flash=wr.request.args.get("tb") == "published",
        )

    @page("POST", "/quan-tri/lich", kinds=("officer",))
    def admin_calendar_publish(self, wr):
        """Publish a correction: open dossiers it lengthens get a later due date."""
        self._administrator_page(wr)
        form = wr.request.form
        body = {
            "date": form.get("date", ""),
            "kind": form.get("kind", ""),
            "name": form.get("name", "").strip(),
            "source": form.get("source", "").strip(),
        }
        call(self.workflow.publish_calendar_correction, body, viewer(wr.principal), timeout=30)
        return wr.redirect("/quan-tri/lich?tb=published")

    # -- settings ----------------------------------------------------------------------------------------------------
    @page("GET", "/quan-tri/cai-dat", kinds=("officer",))
    def admin_settings(self, wr):
        """The province's settings: today's value and its origin, later values, history; a form each."""
        self._administrator_page(wr)
        flash = wr.request.args.get("tb", "")
        return wr.render(
            "admin_settings.html",
            title=wr.t("Cài đặt của tỉnh", "Province settings"),
            settings=call(self.workflow.province_settings),
            flash=flash,
            today=legal_day(utcnow()).isoformat(),
        )

    @page("POST", "/quan-tri/cai-dat/<string:name>", kinds=("officer",))
    def admin_setting_change(self, wr, name):
        """A setting's new value from a day, with the reason."""
        self._administrator_page(wr)
        form = wr.request.form
        body = {
            "value": form.get("value", "").strip(),
            "valid_from": form.get("valid_from", ""),
            "reason": form.get("reason", "").strip(),
        }
        call(self.workflow.change_setting, name, body, viewer(wr.principal))
        return wr.redirect(f"/quan-tri/cai-dat?tb={quote(name, safe='')}#{quote(name, safe='')}")

    def _administrator_page(self, wr, task: str = TASK) -> None:
        call(self.workflow.check_province_admin, viewer(wr.principal), task)


def _names(workflow):
    """An officer's name from the staff directory for the change logs (the login while it does not know them)."""
    people = People(workflow)
    return lambda subject: people.officer(subject)["full_name"]

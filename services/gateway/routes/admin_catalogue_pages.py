"""The province administrator's pages for fees (/quan-tri/phi: each procedure's schedule versions, a new version
from a day with the amounts changed) and process definitions (/quan-tri/quy-trinh: a preview of each definition in
force, and a definition checked, by upload or pasted, shown as a preview or with its problem; nothing activated).
Same rules as admin_pages.py: province administrators only, CSRF on every POST, the owning service validates."""

from __future__ import annotations

import re
from urllib.parse import quote

from services.chassis.clock import legal_day, utcnow
from services.chassis.errors import InvalidInput, NotFound
from services.chassis.rpc import call
from services.gateway.auth import viewer
from services.gateway.people import People
from services.gateway.web.base import page

FEES_TASK = "thay đổi phí, lệ phí"
MAX_DEFINITION = 64 * 1024
UPLOAD_ERROR = (
    "Tệp tải lên phải là văn bản YAML (UTF-8), tối đa 64 KB.",
    "The upload must be YAML text (UTF-8), 64 KB at most.",
)


def _amount(text: str, where: str) -> int:
    """A VND amount as typed: digits, with dots or spaces between thousands ("250.000")."""
    digits = re.sub(r"[.\s]", "", text or "")
    if not digits.isdigit():
        raise InvalidInput(
            "invalid_amount", f"Số tiền không hợp lệ ({where}): chỉ nhập chữ số.", {"field": where}
        )
    return int(digits)


def _line(form, i: int) -> dict:
    """Line `i` of the fee form: its code, name and type as shown, its amounts as typed."""
    key = f"line-{i}-"
    line = {"code": form.get(key + "code", "").strip(), "name": form.get(key + "name", "").strip()}
    kind = line["type"] = form.get(key + "type", "fixed")
    if kind == "fixed":
        line["amount"] = _amount(form.get(key + "amount", ""), key + "amount")
    elif kind == "per_item":
        line["unit_amount"] = _amount(form.get(key + "unit_amount", ""), key + "unit_amount")
        if form.get(key + "quantity_field"):
            line["quantity_field"] = form.get(key + "quantity_field")
    else:
        line["measure_field"] = form.get(key + "measure_field", "")
        tiers, k = [], 0
        while key + f"tier-{k}-amount" in form:
            bound = form.get(key + f"tier-{k}-up_to", "")
            tiers.append(
                {
                    "up_to": _amount(bound, key + f"tier-{k}-up_to") if bound else None,
                    "amount": _amount(form.get(key + f"tier-{k}-amount", ""), key + f"tier-{k}-amount"),
                }
            )
            k += 1
        line["tiers"] = tiers
    return line


def _reductions(form) -> list[dict]:
    found, k = [], 0
    while f"reduction-{k}-category" in form:
        percent = form.get(f"reduction-{k}-percent", "").strip()
        if percent:  # an emptied percent drops the reduction
            found.append(
                {
                    "category": form.get(f"reduction-{k}-category"),
                    "name": form.get(f"reduction-{k}-name", "").strip(),
                    "percent": _amount(percent, f"reduction-{k}-percent"),
                }
            )
        k += 1
    return found


class AdminCataloguePages:
    # -- fees --------------------------------------------------------------------------------------------------------
    @page("GET", "/quan-tri/phi", kinds=("officer",))
    def admin_fees(self, wr):
        """Every procedure with its fee today, the day it began and how many versions it had."""
        self._administrator_page(wr, FEES_TASK)
        schedules = {s["procedure_code"]: s for s in call(self.payment.fee_schedules)}
        procedures = sorted(call(self.workflow.list_procedures), key=lambda p: p["code"])
        return wr.render(
            "admin_fees.html",
            title=wr.t("Phí, lệ phí", "Fees and charges"),
            procedures=procedures,
            schedules=schedules,
            today=legal_day(utcnow()).isoformat(),
        )

    @page("GET", "/quan-tri/phi/<string:procedure_code>", kinds=("officer",))
    def admin_fee(self, wr, procedure_code):
        """A procedure's schedule versions, and the form of a new version (the amounts of the one in force)."""
        self._administrator_page(wr, FEES_TASK)
        procedure = self._procedure(procedure_code)
        found = next(
            (s for s in call(self.payment.fee_schedules) if s["procedure_code"] == procedure_code), None
        )
        versions = found["versions"] if found else []
        current = next((v for v in versions if v["in_force"]), versions[-1] if versions else None)
        blank = {"code": "LP", "name": "", "type": "fixed", "amount": 0}
        # Who changed each version, by name from the staff directory (the login while it does not know them).
        people = People(self.workflow)
        names = {
            v["created_by"]: people.officer(v["created_by"])["full_name"]
            for v in versions
            if v.get("created_by")
        }
        return wr.render(
            "admin_fee.html",
            title=wr.name(procedure["name"]),
            procedure=procedure,
            versions=list(reversed(versions)),
            lines=(current["lines"] if current and current["lines"] else [blank]),
            reductions=current["reductions"] if current else [],
            flash=wr.request.args.get("tb") == "changed",
            today=legal_day(utcnow()).isoformat(),
            names=names,
        )

    @page("POST", "/quan-tri/phi/<string:procedure_code>", kinds=("officer",))
    def admin_fee_change(self, wr, procedure_code):
        """A new version of the procedure's schedule from a day, with its legal basis."""
        self._administrator_page(wr, FEES_TASK)
        self._procedure(procedure_code)
        form, lines, i = wr.request.form, [], 0
        while f"line-{i}-type" in form:
            if form.get(f"line-{i}-remove") != "1":
                lines.append(_line(form, i))
            i += 1
        body = {
            "valid_from": form.get("valid_from", ""),
            "basis": form.get("basis", "").strip(),
            "lines": lines,
            "reductions": _reductions(form),
        }
        call(self.payment.change_fee, procedure_code, body, viewer(wr.principal))
        return wr.redirect(f"/quan-tri/phi/{quote(procedure_code, safe='')}?tb=changed")

    def _procedure(self, code: str) -> dict:
        found = next((p for p in call(self.workflow.list_procedures) if p["code"] == code), None)
        if found is None:
            raise NotFound("procedure_not_found", "Không có thủ tục này trong danh mục.")
        return found

    # -- process definitions -----------------------------------------------------------------------------------------
    @page("GET", "/quan-tri/quy-trinh", kinds=("officer",))
    def admin_processes(self, wr):
        """The process definitions in force, and the form to check one."""
        self._administrator_page(wr)
        return wr.render(
            "admin_processes.html",
            title=wr.t("Quy trình xử lý", "Process definitions"),
            definitions=call(self.workflow.process_definitions),
        )

    @page("GET", "/quan-tri/quy-trinh/<string:name>", kinds=("officer",))
    def admin_process(self, wr, name):
        """One definition's preview: states, actions, who may take them, needs, clock effects."""
        self._administrator_page(wr)
        found = next((d for d in call(self.workflow.process_definitions) if d["name"] == name), None)
        if found is None:
            raise NotFound(
                "process_not_found", wr.t("Không có quy trình này.", "No such process definition.")
            )
        return wr.render("admin_process.html", title=name, definition=found, checked=None)

    @page("POST", "/quan-tri/quy-trinh/kiem-tra", kinds=("officer",))
    def admin_process_check(self, wr):
        """A definition (uploaded file, else the pasted text) checked: its preview, or the page again with the
        problem (422). Nothing is stored or activated."""
        self._administrator_page(wr)
        text = self._definition_text(wr)
        try:
            checked = call(self.workflow.check_process, {"definition": text}, viewer(wr.principal))
        except InvalidInput as exc:
            problem = (exc.details or {}).get("problem") or exc.message
            definitions = call(self.workflow.process_definitions)
            return wr.render(
                "admin_processes.html",
                http_status=422,
                title=wr.t("Quy trình xử lý", "Process definitions"),
                definitions=definitions,
                problem=problem,
                text=text,
            )
        return wr.render(
            "admin_process.html",
            title=checked["preview"]["name"],
            definition=checked["preview"],
            checked=checked,
        )

    @staticmethod
    def _definition_text(wr) -> str:
        upload = wr.request.files.get("file")
        raw = upload.read(MAX_DEFINITION + 1) if upload is not None and upload.filename else None
        if raw is None:
            text = wr.request.form.get("definition", "")
        elif len(raw) > MAX_DEFINITION:
            raise InvalidInput("file_too_large", wr.t(*UPLOAD_ERROR))
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidInput("not_text", wr.t(*UPLOAD_ERROR)) from None
        if not text.strip() or len(text) > MAX_DEFINITION:
            raise InvalidInput("definition_required", wr.t(*UPLOAD_ERROR))
        return text

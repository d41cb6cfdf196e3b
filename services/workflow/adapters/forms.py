"""Forms 01-07 as printable HTML (A4, a print stylesheet, signature blocks), generated from the action log.

The list and titles follow Circular 03/2025/TT-VPCP of 15/9/2025, Annex I (guiding Decree 118/2025/NĐ-CP), as
published by a secondary source (thuviennhadat.vn); the official layouts and wording were not available when this
was written, so every form says "kiểm tra lại" in its legal-basis line. Form 02 is issued both before receipt
(completion) and after (supplement).

What workflow does not hold comes in `context` from the caller (the gateway): the applicant's name and contact,
officers' names and titles by subject (the staff directory), the officer printing, and the labels of levels and
outcomes (the gateway's one label table, services/gateway/web/labels.py). Statuses and actions are named by the
case's process definition. Nothing is shown as a raw code: an unknown word prints as a dash."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from services.chassis.clock import LEGAL_TZ, legal_text
from services.chassis.errors import InvalidInput

FORMS = {
    "01": ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", ("receive",)),
    "02": ("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", ("request_completion", "request_supplement")),
    "03": ("Phiếu từ chối tiếp nhận giải quyết hồ sơ", ("refuse_receipt",)),
    "04": ("Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết", ("extend_with_apology",)),
    "05": ("Thông báo dừng giải quyết hồ sơ", ("stop",)),
    "06": ("Phiếu kiểm soát quá trình giải quyết hồ sơ", None),
}
LOGBOOK_TITLE = "Sổ theo dõi hồ sơ"
BASIS = (
    "Mẫu số {number} — Phụ lục I, Thông tư 03/2025/TT-VPCP ngày 15/9/2025 hướng dẫn Nghị định 118/2025/NĐ-CP "
    "(mẫu theo Thông tư 03/2025/TT-VPCP — kiểm tra lại)"
)
DAY_TIME = "%d/%m/%Y %H:%M"
# Who signs each form, by its role in the procedure (the signature block's heading).
SIGNERS = {
    "01": "NGƯỜI TIẾP NHẬN HỒ SƠ",
    "02": "NGƯỜI LẬP PHIẾU",
    "03": "NGƯỜI TIẾP NHẬN HỒ SƠ",
    "04": "THỦ TRƯỞNG CƠ QUAN",
    "05": "THỦ TRƯỞNG CƠ QUAN",
    "06": "NGƯỜI LẬP PHIẾU",
}
SYSTEM_ACTORS = {"system": "Hệ thống (tự động)", "payment": "Hệ thống thanh toán"}

_env = SandboxedEnvironment(
    loader=FileSystemLoader(str(Path(__file__).parents[1] / "forms")), autoescape=select_autoescape(["html"])
)
_env.filters["local"] = lambda value: legal_text(value, DAY_TIME)
_env.filters["day"] = lambda value: legal_text(value, "%d/%m/%Y")


class Words:
    """The names a form prints: the case's process (statuses, actions), agencies and units from the catalogue (the
    names they had on the form's date `on`: a unit renamed since keeps its old name on what was issued before),
    levels and outcomes from the caller's labels, people from the caller's directory."""

    def __init__(self, catalogue, process_name: str | None, context: dict, on: date | None = None):
        self.catalogue = catalogue
        self.on = on or datetime.now(LEGAL_TZ).date()
        self.process = catalogue.processes.get(process_name or "standard") or catalogue.processes["standard"]
        labels = context.get("labels") or {}
        self.levels: dict = labels.get("levels") or {}
        self.outcomes: dict = labels.get("outcomes") or {}
        self.people: dict = context.get("people") or {}
        self.applicant: dict = context.get("applicant") or {}

    def agency(self, code: str | None, at: datetime | str | None = None) -> str:
        """An agency's name on the form's date (or on `at`, a row's own time)."""
        name = self.catalogue.territory.agency_name(code or "", _day(at) if at else self.on)
        return name or (code or "—")

    def unit(self, code: str | None) -> str:
        return self.catalogue.territory.unit_name(code or "", self.on) or "—"

    def place(self, agency_code: str | None) -> str:
        """The province's name for the "…, ngày … tháng … năm …" line (its unit at the top of the agency's)."""
        agency = self.catalogue.territory.agencies.get(agency_code or "")
        chain = self.catalogue.territory.ancestry(agency.unit) if agency else []
        name = chain[-1].name_on(self.on) if chain else ""
        for prefix in ("Tỉnh ", "Thành phố "):
            name = name.removeprefix(prefix)
        return name or "……"

    def status(self, code: str) -> str:
        return str(self.process.states.get(code, {}).get("vi") or "—")

    def action(self, name: str) -> str:
        action = self.process.actions.get(name)
        label = action.label if action else self.process.records.get(name)
        return str((label or {}).get("vi") or "—")

    def level(self, code: str | None) -> str:
        return str(self.levels.get(code or "") or "—")

    def outcome(self, code: str | None) -> str:
        return str(self.outcomes.get(code or "") or "—")

    def citizen_action(self, name: str) -> bool:
        action = self.process.actions.get(name)
        return bool(action and "citizen" in action.roles)

    def person(self, entry: dict) -> str:
        """Who took a logged action: an officer's name and title, the applicant, or the platform."""
        if entry.get("actor") in SYSTEM_ACTORS:
            return SYSTEM_ACTORS[entry["actor"]]
        if self.citizen_action(entry.get("action", "")):
            name = self.applicant.get("full_name")
            return f"{name} (người nộp hồ sơ)" if name else "Người nộp hồ sơ"
        return self.officer(entry.get("actor", ""), (entry.get("params") or {}).get("signed_by"))

    def officer(self, subject: str, signed_by: str | None = None) -> str:
        """An officer as a form names them: the name the action was signed with (the one of record), else the
        directory's; with their title when the directory has one."""
        known = self.people.get(subject) or {}
        name = signed_by or known.get("full_name") or subject or "—"
        return f"{name}, {known['title']}" if known.get("title") else str(name)

    def officer_title(self, subject: str) -> str:
        return str((self.people.get(subject) or {}).get("title") or "")


def _day(value: datetime | str) -> date:
    """The legal date of a time (a datetime, or its ISO text as the case view gives it)."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    return moment.astimezone(LEGAL_TZ).date()


def _date_line(value: datetime | str | None) -> str:
    """ "ngày 07 tháng 12 năm 2026" in legal time."""
    if not value:
        return "ngày …… tháng …… năm ……"
    day = legal_text(value, "%d/%m/%Y").split("/")
    return f"ngày {day[0]} tháng {day[1]} năm {day[2]}"


def render(number: str, view: dict, catalogue, context: dict | None = None) -> str:
    """Form `number` (01-06) of the case `view` (views.case_view); InvalidInput when it does not apply yet."""
    if number not in FORMS:
        raise InvalidInput("unknown_form", "Mẫu phiếu phải là 01 đến 06 (07 là sổ theo dõi của đơn vị).")
    context = context or {}
    title, actions = FORMS[number]
    entry = None
    if actions is not None:
        entry = next((a for a in reversed(view["history"]) if a["action"] in actions), None)
        if entry is None:
            raise InvalidInput("form_not_applicable", f"Hồ sơ chưa có thao tác tương ứng với mẫu {number}.")
    procedure = catalogue.procedures.get((view["procedure_code"], view["procedure_version"]))
    words = Words(catalogue, view.get("process"), context, _day(entry["at"]) if entry else None)
    issuer = view["agency_code"] or view["receiving_agency_code"]
    if entry is not None and number in ("01", "02", "03"):
        issuer = entry.get("unit") or issuer
    template = "control_sheet.html" if number == "06" else "notice.html"
    return _env.get_template(template).render(
        number=number,
        title=title,
        case=view,
        entry=entry,
        procedure=procedure,
        words=words,
        issuer=issuer,
        signer=SIGNERS[number],
        basis=BASIS.format(number=number),
        dated=_date_line(entry["at"] if entry else datetime.now(LEGAL_TZ)),
        printed_by=context.get("printed_by") or {},
        contact=context.get("contact") or {},
        now=legal_text(datetime.now(LEGAL_TZ), DAY_TIME),
    )


def render_logbook(unit: str, cases: list[dict], catalogue, context: dict | None = None) -> str:
    """Form 07: the unit's logbook, one line per dossier, oldest first."""
    context = context or {}
    words = Words(catalogue, None, context)
    return _env.get_template("logbook.html").render(
        number="07",
        title=LOGBOOK_TITLE,
        unit=unit,
        issuer=unit,
        landscape=True,
        words=words,
        cases=cases,
        processes=catalogue.processes,
        procedures={code: p for (code, _), p in sorted(catalogue.procedures.items())},
        basis=BASIS.format(number="07"),
        dated=_date_line(datetime.now(LEGAL_TZ)),
        printed_by=context.get("printed_by") or {},
        now=legal_text(datetime.now(LEGAL_TZ), DAY_TIME),
        status=lambda case: _case_status(catalogue, case),
    )


def _case_status(catalogue, case: dict) -> str:
    process = catalogue.processes.get(case.get("process") or "standard") or catalogue.processes["standard"]
    return str(process.states.get(case["status"], {}).get("vi") or "—")

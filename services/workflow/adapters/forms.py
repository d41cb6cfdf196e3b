"""Forms 01-07 (Circular 03/2025/TT-VPCP of 15/9/2025, Annex I: the list and titles; verify the official layouts)
as printable HTML, from the action log. Form 02 is issued both before receipt (completion) and after (supplement)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import FileSystemLoader, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from services.chassis.clock import LEGAL_TZ
from services.chassis.errors import InvalidInput

FORMS = {
    "01": ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả", ("receive",)),
    "02": ("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", ("request_completion", "request_supplement")),
    "03": ("Phiếu từ chối tiếp nhận giải quyết hồ sơ", ("refuse_receipt",)),
    "04": ("Phiếu xin lỗi và hẹn lại ngày trả kết quả", ("extend_with_apology",)),
    "05": ("Thông báo dừng xử lý hồ sơ", ("stop",)),
    "06": ("Phiếu kiểm soát quá trình giải quyết hồ sơ", None),
}
OUTCOME_VI = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn", "": "Đang xử lý"}
_env = SandboxedEnvironment(
    loader=FileSystemLoader(str(Path(__file__).parents[1] / "forms")), autoescape=select_autoescape(["html"])
)


def _local(value: str | None) -> str:
    if not value:
        return ""
    return (
        datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(LEGAL_TZ).strftime("%H:%M %d/%m/%Y")
    )


_env.filters["local"] = _local
_env.filters["outcome"] = lambda v: OUTCOME_VI.get(v or "", v)


def _agency_name(catalogue, code: str) -> str:
    agency = catalogue.territory.agencies.get(code)
    return agency.name if agency else code


def render(number: str, view: dict, catalogue) -> str:
    if number not in FORMS:
        raise InvalidInput("unknown_form", "Mẫu phiếu phải là 01 đến 06 (07 là sổ theo dõi của đơn vị).")
    title, actions = FORMS[number]
    entry = None
    if actions is not None:
        entry = next((a for a in reversed(view["history"]) if a["action"] in actions), None)
        if entry is None:
            raise InvalidInput("form_not_applicable", f"Hồ sơ chưa có thao tác tương ứng với mẫu {number}.")
    procedure = next(
        (
            p
            for (c, v), p in catalogue.procedures.items()
            if c == view["procedure_code"] and v == view["procedure_version"]
        ),
        None,
    )
    template = "control_sheet.html" if number == "06" else "notice.html"
    return _env.get_template(template).render(
        number=number,
        title=title,
        case=view,
        entry=entry,
        procedure=procedure,
        agency=lambda code: _agency_name(catalogue, code),
        now=datetime.now(LEGAL_TZ).strftime("%H:%M %d/%m/%Y"),
    )


def render_logbook(unit: str, cases: list[dict], catalogue) -> str:
    return _env.get_template("logbook.html").render(
        unit=unit,
        unit_name=_agency_name(catalogue, unit),
        cases=cases,
        fmt=lambda d: d.astimezone(LEGAL_TZ).strftime("%d/%m/%Y") if d else "",
    )

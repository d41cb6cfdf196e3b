"""The procedure catalogue's pages for a province administrator (/quan-tri/thu-tuc): the procedures (search, drafts
and scheduled versions too), importing a file with the report of its bad rows, a procedure's versions with their
status and dates, and publishing (now or from a date) or withdrawing a version, each after a confirmation page
that says what follows. No JavaScript; every POST carries the session's CSRF token (web/base.py); workflow decides
who may (province administrators) and what is valid; a refusal is an error page and changes nothing."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from services.chassis.clock import legal_day, utcnow
from services.chassis.errors import Conflict, InvalidInput, NotFound
from services.chassis.rpc import call
from services.gateway.auth import viewer
from services.gateway.routes.catalogue_admin import (
    MAX_IMPORT_BYTES,
    import_request,
    media_type_of,
    read_bounded,
    send_import,
)
from services.gateway.web import labels
from services.gateway.web.base import page

TASK = "quản lý danh mục thủ tục hành chính"
PAGE = 50
FLASHES = {"published", "withdrawn", "unchanged"}
# A version's state (workflow's use_cases/catalogue_admin.py `_state`).
STATES = {
    "draft": ("Bản nháp", "Draft"),
    "scheduled": ("Đã lên lịch", "Scheduled"),
    "in_force": ("Đang áp dụng", "In force"),
    "superseded": ("Đã được thay thế", "Superseded"),
    "withdrawn": ("Đã thu hồi", "Withdrawn"),
}
# The columns of an import file (workflow's domain/catalogue_import.py COLUMNS; docs/catalogue-import.md).
COLUMNS = (
    ("Mã thủ tục", True, "1.000656"),
    ("Tên thủ tục", True, "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam"),
    ("Lĩnh vực", True, "Lý lịch tư pháp"),
    ("Cấp thực hiện", True, "Cấp Tỉnh (nhiều cấp: «Cấp Huyện; Cấp Xã»)"),
    ("Cơ quan thực hiện", True, "Sở Tư pháp (đầu tên cơ quan của tỉnh)"),
    ("Thời hạn giải quyết", True, "10 ngày làm việc"),
    ("Phí, lệ phí", False, "200.000 đồng, hoặc Không"),
    ("Thành phần hồ sơ", False, "mỗi dòng: MÃ | Tên giấy tờ | Mẫu đơn, tờ khai (nếu có)"),
    ("Kết quả thực hiện", False, "MÃ | Tên kết quả | số ngày hiệu lực (nếu có)"),
    ("Mức độ", True, "Toàn trình hoặc Một phần"),
    ("Căn cứ pháp lý", False, "mỗi dòng một văn bản"),
    ("Hiệu lực từ", False, "dd/mm/yyyy; trống: ngày nhập"),
)


class CataloguePages:
    @page("GET", "/quan-tri/thu-tuc", kinds=("officer",))
    def catalogue_page(self, wr):
        """The procedures (search `q`, page `trang`), the import form."""
        self._catalogue_admin(wr)
        q = wr.request.args.get("q", "").strip()[:200]
        try:
            number = max(1, int(wr.request.args.get("trang", "1")))
        except ValueError:
            number = 1
        found = call(
            self.workflow.catalogue_procedures,
            {"q": q, "offset": (number - 1) * PAGE, "limit": PAGE},
            viewer(wr.principal),
        )
        return wr.render(
            "catalogue_admin.html",
            title=wr.t("Danh mục thủ tục hành chính", "Administrative procedures"),
            q=q,
            found=found,
            number=number,
            pages=max(1, -(-found["total"] // PAGE)),
            states=STATES,
            columns=COLUMNS,
            max_mb=MAX_IMPORT_BYTES // (1024 * 1024),
        )

    @page("POST", "/quan-tri/thu-tuc/nhap", kinds=("officer",))
    def catalogue_import_page(self, wr):
        """An import file sent: checked only (`kiem-tra`) or imported (as drafts, or published with `cong-bo`);
        the report, or every bad row (422) with nothing imported."""
        self._catalogue_admin(wr)
        upload = wr.request.files.get("file")
        if upload is None or not upload.filename:
            raise InvalidInput("file_required", wr.t("Hãy chọn một tệp để nhập.", "Choose a file to import."))
        form = wr.request.form
        dry_run = form.get("kiem-tra") == "1"
        publish = form.get("che-do") == "cong-bo"
        body = import_request(
            read_bounded(upload.stream),
            media_type_of(upload.mimetype or "", upload.filename),
            upload.filename,
            dry_run,
            publish,
        )
        context = {"file_name": body["file_name"], "dry_run": dry_run, "publish": publish, "states": STATES}
        try:
            report = send_import(self.workflow, body, viewer(wr.principal))
        except InvalidInput as refused:
            if refused.code != "catalogue_rows_invalid":
                raise
            title = wr.t("Tệp có dòng sai: chưa nhập gì", "The file has bad rows: nothing imported")
            details = refused.details or {}
            return wr.render("catalogue_import.html", 422, title=title, refused=details, **context)
        title = (
            wr.t("Kết quả kiểm tra tệp", "The file checked")
            if dry_run
            else wr.t("Đã nhập danh mục", "Catalogue imported")
        )
        return wr.render("catalogue_import.html", title=title, report=report, refused=None, **context)

    @page("GET", "/quan-tri/thu-tuc/<string:code>", kinds=("officer",))
    def catalogue_procedure_page(self, wr, code):
        """A procedure's versions, newest first, with what each says and changes, and their actions."""
        self._catalogue_admin(wr)
        found = call(self.workflow.catalogue_versions, code, viewer(wr.principal))
        flash = wr.request.args.get("tb", "")
        return wr.render(
            "catalogue_procedure.html",
            title=wr.name(_current(found)["name"]),
            found=found,
            states=STATES,
            agencies=self._agency_words(),
            levels=labels.LEVELS,
            modes=labels.MODES,
            flash=flash if flash in FLASHES else "",
        )

    @page("GET", "/quan-tri/thu-tuc/<string:code>/phien-ban/<int:version>/<string:step>", kinds=("officer",))
    def catalogue_confirm_page(self, wr, code, version, step):
        """The confirmation of a publication (`cong-bo`: the date) or a withdrawal (`thu-hoi`: the reason)."""
        self._catalogue_admin(wr)
        found = call(self.workflow.catalogue_versions, code, viewer(wr.principal))
        chosen = _chosen(wr, found, version, step)
        today = legal_day(utcnow())
        proposed = date.fromisoformat(chosen["valid_from"])
        return wr.render(
            "catalogue_confirm.html",
            title=wr.t(f"Xác nhận: phiên bản {version}", f"Confirm: version {version}"),
            found=found,
            version=chosen,
            step=step,
            states=STATES,
            in_force=next((v for v in found["versions"] if v["state"] == "in_force"), None),
            after=_after_withdrawal(found, chosen, today),
            default_date=max(today, proposed).isoformat(),
            today=today.isoformat(),
        )

    @page("POST", "/quan-tri/thu-tuc/<string:code>/phien-ban/<int:version>/<string:step>", kinds=("officer",))
    def catalogue_confirmed(self, wr, code, version, step):
        """A confirmed publication or withdrawal; back to the procedure's page with what was done."""
        self._catalogue_admin(wr)
        form = wr.request.form
        if step not in ("cong-bo", "thu-hoi") or form.get("confirm") != "1":
            raise InvalidInput(
                "confirmation_required", wr.t("Cần đánh dấu ô xác nhận.", "Tick the confirmation box.")
            )
        who = viewer(wr.principal)
        if step == "cong-bo":
            chosen = _legal_date(wr, form.get("effective_from", ""))
            call(self.workflow.catalogue_publish, code, version, {"effective_from": chosen}, who)
            flash = "published"
        else:
            answer = call(
                self.workflow.catalogue_withdraw, code, version, {"reason": form.get("reason", "")}, who
            )
            flash = "withdrawn" if answer.get("changed") else "unchanged"
        return wr.redirect(f"/quan-tri/thu-tuc/{quote(code, safe='')}?tb={flash}#v{version}")

    def _catalogue_admin(self, wr) -> None:
        call(self.workflow.check_province_admin, viewer(wr.principal), TASK)

    def _agency_words(self) -> dict:
        """{"level/kind": what to call the agencies of that kind at that level}: the agency's name when there is
        one, else the words their names begin with and the level («UBND cấp xã»)."""
        grouped: dict[str, list[str]] = {}
        for agency in call(self.workflow.list_agencies):
            grouped.setdefault(f"{agency['level']}/{agency['kind']}", []).append(agency["name"])
        words = {}
        for key, names in grouped.items():
            if len(names) == 1:
                words[key] = names[0]
                continue
            common = _common_words(names)
            level = labels.LEVELS.get(key.split("/")[0], ("", ""))[0].lower()
            words[key] = f"{common} {level}".strip() if common else f"{len(names)} cơ quan {level}".strip()
        return words


def _legal_date(wr, text: str) -> str | None:
    """A date written dd/mm/yyyy (or yyyy-mm-dd) as ISO; empty: None (workflow's default)."""
    text = text.strip()
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = (int(part) for part in text.split("/"))
            return date(year, month, day).isoformat()
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidInput(
            "invalid_date",
            wr.t(f"Ngày «{text}» không đúng (ngày/tháng/năm).", f"“{text}” is not a date (day/month/year)."),
            {"field": "effective_from"},
        ) from None


def _common_words(names: list[str]) -> str:
    split = [n.split() for n in names]
    common = []
    for words in zip(*split, strict=False):
        if len(set(words)) != 1:
            break
        common.append(words[0])
    return " ".join(common)


def _current(found: dict) -> dict:
    """The version a procedure's page is named after: the one in force, else the newest."""
    return next((v for v in found["versions"] if v["state"] == "in_force"), found["versions"][0])


def _chosen(wr, found: dict, version: int, step: str) -> dict:
    chosen = next((v for v in found["versions"] if v["version"] == version), None)
    allowed = {"cong-bo": ("draft", "scheduled"), "thu-hoi": ("draft", "scheduled", "in_force", "superseded")}
    if chosen is None or step not in allowed:
        raise NotFound("version_not_found", wr.t("Không có phiên bản này.", "No such version."))
    if chosen["state"] not in allowed[step]:
        raise Conflict(
            "version_not_changeable",
            wr.t(
                "Phiên bản này không thể thực hiện thao tác đó ở trạng thái hiện tại.",
                "This version cannot take that action in its present state.",
            ),
        )
    return chosen


def _after_withdrawal(found: dict, chosen: dict, today: date) -> dict | None:
    """The version in force once `chosen` is withdrawn (None: no version; new filings are refused)."""
    if chosen["state"] != "in_force":
        return next((v for v in found["versions"] if v["state"] == "in_force"), None)
    before = [
        v
        for v in found["versions"]
        if v["state"] == "superseded" and date.fromisoformat(v["valid_from"]) <= today
    ]
    return max(before, key=lambda v: (v["valid_from"], v["version"]), default=None)

"""The officer's desk (1366 px) and the citizen's to-do (360 px phone) in a real browser on the real platform
(issue #21): the dossier page led by the next step the officer's roles allow, refusing and stopping behind a
confirmation step with a reason, the assignee and the transfer target chosen by name, every document opening in
the browser with each officer's opening in the citizen's access log by name, Forms 01-07 rendered from real
histories with names, signature blocks and the legal-basis line, "Hồ sơ của tôi" putting what the citizen must do
first, the payment return page in the site's layout, and no raw internal code (status, level, role, action,
outcome, channel, delivery state) in any page's or form's visible text. Every page is screenshotted into
`test-artifacts/web/` (names starting `desk-`) and checked with axe-core."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import wait_for
from tests.integration.test_web_e2e import (
    CITIZEN,
    CITIZEN_NAME,
    DESKTOP,
    PDF,
    PHONE,
    Pages,
    browser,  # noqa: F401  (the module's chromium)
    choose_assignee,
    confirm,
    sign_in_citizen,
)

pytestmark = pytest.mark.integration
ON_SQLITE = pytest.mark.parametrize("running", ["sqlite"], indirect=True)  # test_web_e2e.py runs PostgreSQL

COMMUNE = "000.31.01.H41"  # UBND phường Hoa Lư: the citizen's commune decides the building permit (1.004227)
PERMIT = "1.004227"
OFFICER, OFFICER_NAME = "cb-desk", "Lê Văn Cường"
# A one-page drawing (the viewer has something to show): the upload check accepts a plain PDF like this one.
DRAWING = b"""%PDF-1.4
1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 297]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj
4 0 obj<</Length 52>>stream
BT /F1 20 Tf 40 150 Td (Ban ve mat bang tang 1) Tj ET
endstream endobj
5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj
trailer<</Root 1 0 R>>
%%EOF
"""


class DeskPages(Pages):
    """The shared checks (screenshot, axe-core, no raw code, dd/mm/yyyy HH:mm), screenshots named `desk-…`."""

    def check(self, page, name: str, allow: tuple = ()) -> None:
        super().check(page, f"desk-{name}", allow)

    def shot(self, page, name: str) -> None:
        """A screenshot only: the browser's PDF viewer (not our page), or a page as printed."""
        page.screenshot(path=str(pages_dir() / f"{len(self.seen) + 1:02d}-desk-{name}.png"), full_page=True)
        self.seen.append(f"desk-{name}")


def sign_in_officer_named(page, unit: str, roles: list[str], sub: str, name: str) -> None:
    page.wait_for_url(re.compile(r"/dev-idp/authorize"))
    page.select_option("#unit", unit)
    for role in roles:
        page.check(f"#role-{role}")
    page.fill("#sub", sub)
    page.fill("#name", name)
    page.click("#officer-sign-in")


def file_permit(running, note: str) -> str:
    """The citizen files a building permit through the API: the land certificate reused from the registry, the
    drawings uploaded."""
    headers = running.headers(CITIZEN)
    base = running.base_url
    prepared = running.session.get(f"{base}/api/v1/procedures/{PERMIT}/prefill", headers=headers).json()
    held = next(d for d in prepared["documents"] if d["code"] == "QSDD")["reusable"][0]["id"]
    upload = running.session.post(
        f"{base}/api/v1/uploads",
        data=DRAWING,
        headers={**headers, "Content-Type": "application/pdf", "X-File-Name": "ban-ve.pdf"},
    ).json()
    filed = running.submit(
        PERMIT,
        CITIZEN,
        form={"noi_dung": note},
        documents=[{"code": "QSDD", "reuse": held}, {"code": "BVTK", "upload": upload["id"]}],
    )
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    wait_for(
        lambda: running.session.get(f"{base}/api/v1/status/{code}").status_code == 200, 30, message="case"
    )
    return code


def act(running, code: str, action: str, roles: list[str], **body) -> dict:
    headers = running.headers(OFFICER, "officer", unit=COMMUNE, roles=roles, name=OFFICER_NAME)
    answer = running.session.post(
        f"{running.base_url}/api/v1/dossiers/{code}/actions", headers=headers, json={"action": action, **body}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def open_form(context, pages: DeskPages, url: str, name: str):
    form = context.new_page()
    form.goto(url)
    pages.check(form, name)
    return form


@ON_SQLITE
@pytest.mark.timeout(600)
def test_the_officers_desk_and_the_citizens_to_do(running, browser):  # noqa: F811
    pages = DeskPages()
    base = running.base_url
    permit = file_permit(running, "Xây nhà ở riêng lẻ 2 tầng")
    refused = file_permit(running, "Hồ sơ nộp nhầm nơi")
    stopped = file_permit(running, "Hồ sơ sẽ dừng")

    officer_ctx = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    officer = officer_ctx.new_page()
    officer.goto(f"{base}/ho-so/{permit}")
    sign_in_officer_named(officer, COMMUNE, ["receiver", "handler", "leader"], OFFICER, OFFICER_NAME)
    officer.wait_for_url(re.compile(rf"/ho-so/{re.escape(permit)}$"))
    _the_next_step_leads(officer, pages)
    _documents_open_and_are_logged(officer, pages, base, permit)
    officer.click("#act-receive")
    officer.wait_for_url(re.compile(r"\?tb=receive$"))
    form01 = open_form(officer_ctx, pages, f"{base}/ho-so/{permit}/mau/01", "form-01")
    _is_a_form_to_sign(form01, "01", officer_signs=True)
    form01.emulate_media(media="print")  # as printed: no screen hint, no page shadow
    assert not form01.locator(".tools").is_visible()
    pages.shot(form01, "form-01-as-printed")
    form01.close()

    citizen_ctx = browser.new_context(viewport=PHONE, locale="vi-VN")
    phone = citizen_ctx.new_page()
    phone.goto(f"{base}/ho-so/{permit}")
    sign_in_citizen(phone, CITIZEN)
    phone.wait_for_url(re.compile(rf"/ho-so/{re.escape(permit)}$"))
    reads = phone.locator("section", has_text="Cán bộ đã xem giấy tờ của bạn").inner_text()
    assert reads.count(OFFICER_NAME) == 2 and "Giấy chứng nhận quyền sử dụng đất" in reads
    assert "Bản vẽ thiết kế xây dựng" in reads and "UBND phường Hoa Lư" in reads
    assert (
        phone.locator(".todo", has_text="Thanh toán phí, lệ phí").count() == 1
    )  # the fee, first on the page
    pages.check(phone, "citizen-reads-and-fee")
    log = running.session.get(f"{base}/api/v1/me/access-log", headers=running.headers(CITIZEN)).json()
    assert {i["reader"]["name"] for i in log["items"] if i.get("reader")} == {OFFICER_NAME}

    _assign_and_transfer_by_name(officer, pages, base, permit)
    officer.click("#open-request_supplement")
    officer.fill("#reason-request_supplement", "Bổ sung bản vẽ mặt cắt")
    officer.click("#act-request_supplement")
    officer.wait_for_url(re.compile(r"\?tb=request_supplement$"))
    open_form(officer_ctx, pages, f"{base}/ho-so/{permit}/mau/02", "form-02").close()

    _my_dossiers_put_the_citizen_first(phone, pages, base, permit)
    phone.click(f"a[href='/ho-so/{permit}#answer-resubmit']")
    phone.wait_for_url(re.compile(rf"/ho-so/{re.escape(permit)}#answer-resubmit$"))
    pages.check(phone, "citizen-supplement-asked")
    phone.set_input_files(
        "#file-resubmit-BVTK",
        files=[{"name": "ban-ve-mat-cat.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    phone.click("#send-resubmit")
    phone.wait_for_url(re.compile(r"\?tb=resubmit$"))

    officer.goto(f"{base}/ho-so/{permit}")
    versions = officer.inner_text("#doc-BVTK")
    assert "Bản 2 (đang dùng)" in versions and "ban-ve-mat-cat.pdf" in versions and "gửi bổ sung" in versions
    officer.click("#open-extend_with_apology")
    officer.fill("#extra_days-extend_with_apology", "2")
    officer.fill("#reason-extend_with_apology", "Cần thẩm định thêm tại thực địa")
    officer.click("#act-extend_with_apology")
    officer.wait_for_url(re.compile(r"\?tb=extend_with_apology$"))
    open_form(officer_ctx, pages, f"{base}/ho-so/{permit}/mau/04", "form-04").close()

    _stopping_asks_first(officer, pages, running, stopped)
    open_form(officer_ctx, pages, f"{base}/ho-so/{stopped}/mau/05", "form-05").close()
    officer.goto(f"{base}/ho-so/{refused}")
    confirm(officer, "refuse_receipt", "Công trình không thuộc địa bàn phường")
    form03 = open_form(officer_ctx, pages, f"{base}/ho-so/{refused}/mau/03", "form-03")
    _is_a_form_to_sign(form03, "03", officer_signs=True)
    form03.close()

    for action in ("approve", "result_ready", "return_result"):
        officer.goto(f"{base}/ho-so/{permit}")
        assert officer.locator(".next-step button.primary-action").get_attribute("id") == f"act-{action}"
        officer.click(f"#act-{action}")
        officer.wait_for_url(re.compile(rf"\?tb={action}$"))
    pages.check(officer, "officer-returned")
    sheet = open_form(officer_ctx, pages, f"{base}/ho-so/{permit}/mau/06", "form-06")
    assert "Cấp xã" in sheet.inner_text("body") and OFFICER_NAME in sheet.inner_text("body")
    sheet.close()
    logbook = open_form(officer_ctx, pages, f"{base}/can-bo/so-theo-doi", "form-07")
    text = logbook.inner_text("body")
    assert "Đã trả kết quả" in text and "Từ chối tiếp nhận" in text and "Dừng xử lý" in text
    assert "NGƯỜI LẬP SỔ" in text and OFFICER_NAME in text
    logbook.close()

    _the_citizen_rates_from_the_to_do(phone, pages, base, permit)
    _withdrawing_asks_first(phone, pages, running)
    _public_pages_in_words(browser, pages, base, permit)
    officer.goto(f"{base}/ngon-ngu?lang=en&next=/ho-so/{permit}")
    assert officer.locator("html").get_attribute("lang") == "en"
    pages.check(officer, "officer-english")
    assert not pages.problems, "\n".join(pages.problems)
    assert len(list(pages_dir().glob("*-desk-*.png"))) >= len(pages.seen)


def pages_dir() -> Path:
    from tests.integration.test_web_e2e import ARTIFACTS

    return ARTIFACTS


def _the_next_step_leads(officer, pages: DeskPages) -> None:
    """A filed dossier: "Tiếp nhận" first and primary; asking for completion behind its own form; refusing only
    through a confirmation step."""
    main = officer.locator(".desk-main > section").first
    assert "Bước tiếp theo: Tiếp nhận" in main.inner_text()
    assert (
        officer.locator(".next-step textarea").count() == 0
    )  # a plain step: its button, no empty note field
    assert officer.locator("#act-receive").get_attribute("class") == "primary-action"
    assert officer.locator("#more-request_completion").get_attribute("open") is None  # closed until wanted
    refuse = officer.locator("#act-refuse_receipt")
    assert refuse.evaluate("e => e.tagName") == "A" and refuse.get_attribute("href").endswith(
        "/xac-nhan/refuse_receipt"
    )
    assert "Một cửa (tiếp nhận)" in officer.inner_text(".who-am-i") and OFFICER_NAME in officer.inner_text(
        ".who-am-i"
    )
    pages.check(officer, "officer-to-receive")


def _documents_open_and_are_logged(officer, pages: DeskPages, base: str, code: str) -> None:
    """The uploaded drawings open in the browser (inline); the land certificate reused from the registry opens as
    the registry's record."""
    href = officer.locator("#doc-BVTK a").first.get_attribute("href")
    downloads = []
    officer.on("download", lambda download: downloads.append(download))
    opened = officer.goto(f"{base}{href}")
    assert opened.status == 200 and opened.headers["content-disposition"].startswith("inline")
    officer.wait_for_timeout(
        1000
    )  # the PDF viewer draws the page (a screenshot for the eye, not a timing check)
    assert downloads == []  # shown in the browser's PDF viewer, not downloaded
    pages.shot(officer, "officer-opens-the-drawings")
    officer.goto(f"{base}/ho-so/{code}")
    officer.click("#doc-QSDD a")
    officer.wait_for_url(re.compile(r"/giay-to/"))
    page = officer.inner_text("main")
    assert "Giấy tờ trong kho dữ liệu của công dân" in page and "nhật ký truy cập" in page
    pages.check(officer, "officer-registry-document")
    officer.goto(f"{base}/ho-so/{code}")


def _assign_and_transfer_by_name(officer, pages: DeskPages, base: str, code: str) -> None:
    """The leader assigns (by name when the unit's directory lists officers), the timeline names the assignee; the
    transfer offers the agencies competent for the procedure by name."""
    officer.goto(f"{base}/ho-so/{code}")
    assert officer.locator(".next-step h2").inner_text().endswith("Phân công xử lý")
    choose_assignee(officer, OFFICER)
    officer.click("#act-assign")
    officer.wait_for_url(re.compile(r"\?tb=assign$"))
    assert "Giao cho " + OFFICER_NAME in officer.inner_text(".timeline")
    assert OFFICER_NAME in officer.inner_text(".status")  # the assignee by name
    officer.click("#open-transfer")
    options = officer.locator("#to_agency-transfer option").all_inner_texts()
    assert "UBND xã Ninh Giang" in options and "UBND xã Yên Khánh" in options
    assert "UBND phường Hoa Lư" not in options  # not to the agency holding it
    assert not [o for o in options if re.fullmatch(r"[0-9.]+H41", o.strip())]  # names, never codes
    pages.check(officer, "officer-in-progress")


def _my_dossiers_put_the_citizen_first(phone, pages: DeskPages, base: str, code: str) -> None:
    phone.goto(f"{base}/ho-so")
    waiting = phone.locator("section", has_text="Cần bạn làm ngay")
    assert waiting.count() == 1
    first = waiting.locator("li.card").first.inner_text()
    assert "Nộp bổ sung hồ sơ" in first or "Thanh toán phí, lệ phí" in first
    mine = waiting.locator("li.card", has_text=code).inner_text()
    assert "Nộp bổ sung hồ sơ" in mine and "Thanh toán phí, lệ phí" in mine
    headings = phone.locator("h2").all_inner_texts()
    assert headings[0].startswith("Cần bạn làm ngay")  # before the other dossiers
    pages.check(phone, "citizen-my-dossiers-todo")


def _stopping_asks_first(officer, pages: DeskPages, running, code: str) -> None:
    """Stopping: the page's button leads to the confirmation step; going back, or a post without the step,
    changes nothing; confirmed with a reason, the dossier stops."""
    base = running.base_url
    act(running, code, "receive", ["receiver"])
    officer.goto(f"{base}/ho-so/{code}")
    officer.click("#act-stop")
    officer.wait_for_url(re.compile(r"/xac-nhan/stop$"))
    assert "Thông báo dừng giải quyết (Mẫu 05)" in officer.inner_text("main")
    pages.check(officer, "officer-confirm-stop")
    officer.click("#cancel")
    officer.wait_for_url(re.compile(rf"/ho-so/{re.escape(code)}$"))
    cookie = next(c for c in officer.context.cookies() if c["name"] == "motcua_session")
    csrf = re.search(r'name="csrf" value="([^"]+)"', officer.content()).group(1)
    unconfirmed = running.session.post(
        f"{base}/ho-so/{code}/thao-tac",
        data={"action": "stop", "reason": "Thử bỏ qua bước xác nhận", "csrf": csrf},
        cookies={"motcua_session": cookie["value"]},
        allow_redirects=False,
    )
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"].endswith("/xac-nhan/stop")
    assert running.session.get(f"{base}/api/v1/status/{code}").json()["status"] == "received"
    confirm(officer, "stop", "Người nộp đề nghị dừng để điều chỉnh thiết kế")
    assert officer.locator(".status strong", has_text="Dừng xử lý").count() == 1


def _is_a_form_to_sign(form, number: str, officer_signs: bool) -> None:
    text = form.inner_text("body")
    assert "Mã hồ sơ" in text and CITIZEN_NAME in text, number
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "(Ký và ghi rõ họ tên)" in text
    assert "Thông tư 03/2025/TT-VPCP" in text and "kiểm tra lại" in text
    assert not officer_signs or OFFICER_NAME in form.inner_text(".signatures")
    assert "@media print" in form.content()


def _the_citizen_rates_from_the_to_do(phone, pages: DeskPages, base: str, code: str) -> None:
    phone.goto(f"{base}/ho-so")
    card = phone.locator("li.card", has_text=code)
    assert "Đánh giá mức độ hài lòng" in card.inner_text()
    phone.click(f"a[href='/ho-so/{code}#rate']")
    phone.wait_for_url(re.compile(r"#rate$"))
    pages.check(phone, "citizen-rate")
    phone.check("#score-4")
    phone.click("#rate-submit")
    phone.wait_for_url(re.compile(r"\?tb=rated$"))
    phone.goto(f"{base}/ho-so/{code}")
    assert phone.locator("#rate").count() == 0  # rated: not asked again
    phone.goto(f"{base}/ho-so")
    assert "Đánh giá mức độ hài lòng" not in phone.locator("li.card", has_text=code).inner_text()
    pages.check(phone, "citizen-my-dossiers-after")


def _withdrawing_asks_first(phone, pages: DeskPages, running) -> None:
    """The citizen's withdrawal: a confirmation step on the phone that says what follows, with a reason."""
    code = file_permit(running, "Nộp thử, sẽ rút")
    phone.goto(f"{running.base_url}/ho-so/{code}")
    assert "Bạn chưa cần làm gì lúc này" in phone.inner_text("main")
    phone.click("#act-withdraw")
    phone.wait_for_url(re.compile(r"/xac-nhan/withdraw$"))
    assert "phải nộp hồ sơ mới" in phone.inner_text("main") and "Nguyễn Văn An" not in phone.inner_text(
        ".confirm"
    )
    pages.check(phone, "citizen-confirm-withdraw")
    phone.fill("#reason-withdraw", "Nộp nhầm thủ tục")
    phone.click("#confirm-withdraw")
    phone.wait_for_url(re.compile(r"\?tb=withdraw$"))
    assert phone.locator(".status strong", has_text="Đã rút hồ sơ").count() == 1


def _public_pages_in_words(browser, pages: DeskPages, base: str, code: str) -> None:  # noqa: F811
    """The payment gateway's return page in the site's layout; a procedure decided by the commune shows no
    district level in the 2-level model."""
    visitor = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    visitor.goto(f"{base}/thanh-toan/ket-qua?vnp_ResponseCode=24&vnp_OrderInfo=Thanh+toan+phi+ho+so+{code}")
    assert visitor.locator("header.site nav").count() == 1 and visitor.locator("h1").inner_text().startswith(
        "Thanh toán chưa thành công"
    )
    pages.check(visitor, "payment-return-failed")
    visitor.goto(f"{base}/thu-tuc/{PERMIT}")
    decided = visitor.inner_text("main")
    assert "Cấp xã" in decided and "Cấp huyện" not in decided
    pages.check(visitor, "procedure-levels")
    visitor.close()

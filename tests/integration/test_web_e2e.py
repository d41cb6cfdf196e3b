"""The citizen and officer web in a real browser (Playwright driving Debian's chromium) on the real platform
(PostgreSQL, RabbitMQ, SMTP sink, payment sandbox, dev CA):

a citizen on a 360 px phone finds a procedure, signs in through the development identity provider (OIDC code flow
with PKCE), files a dossier reusing one document the registry holds and uploading another, reviews and submits;
it waits for receipt until an officer of the deciding agency (1366 px desktop) receives it from the receipt queue
(Form 01); the citizen pays the fee in the payment sandbox; the officer works it through to the returned result; the citizen downloads the signed result and rates the service. Every page is screenshotted into
`test-artifacts/web/` and checked with axe-core (no serious or critical violations).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
import requests

from services.chassis.config import REPO_ROOT
from tests.conftest import wait_for
from tests.visible_text import bad_times, raw_codes

playwright = pytest.importorskip("playwright.sync_api")
from axe_playwright_python.sync_playwright import Axe  # noqa: E402

pytestmark = pytest.mark.integration
ON_POSTGRESQL = pytest.mark.parametrize("running", ["postgresql"], indirect=True)  # one browser run is enough

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("MOTCUA_TEST_ARTIFACTS", str(REPO_ROOT / "test-artifacts"))) / "web"
CITIZEN, CITIZEN_NAME = "037090000001", "Nguyễn Văn An"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1366, "height": 900}
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class Pages:
    """Screenshots every page it is shown and runs axe-core on it; collects serious violations."""

    def __init__(self):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.axe = Axe()
        self.problems: list[str] = []
        self.seen: list[str] = []

    def check(self, page, name: str, allow: tuple = (), bilingual: bool = False) -> None:
        """Screenshot, axe-core, and the words (tests/visible_text.py): no internal code in the visible text but
        those in `allow`, every time written dd/mm/yyyy HH:mm. A `bilingual` page (Vietnamese / English side by
        side) is held to the English rule: English words may be codes' namesakes."""
        page.screenshot(path=str(ARTIFACTS / f"{len(self.seen) + 1:02d}-{name}.png"), full_page=True)
        text = page.inner_text("body")
        english = bilingual or page.locator("html").get_attribute("lang") == "en"
        leaked = [c for c in raw_codes(text, english) if c not in allow]
        if leaked:
            self.problems.append(f"{name}: raw codes in visible text: {leaked}")
        if bad_times(text):
            self.problems.append(f"{name}: times not written dd/mm/yyyy HH:mm: {bad_times(text)[:3]}")
        self.seen.append(name)
        result = self.axe.run(page)
        for violation in result.response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                nodes = [n["target"] for n in violation["nodes"]][:3]
                self.problems.append(f"{name}: {violation['id']} ({violation['impact']}) {nodes}")
        assert page.locator("html").get_attribute("lang") in ("vi", "en"), name
        if (
            page.viewport_size["width"] <= 360
        ):  # a phone: nothing wider than the screen (no sideways scrolling)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                self.problems.append(
                    f"{name}: {overflow} px wider than the {page.viewport_size['width']} px screen"
                )


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield instance
        instance.close()


def sign_in_citizen(page, id_number: str) -> None:
    page.wait_for_url(re.compile(r"/dev-idp/authorize"))
    page.click(f"#citizen-{id_number}")


def sign_in_officer(page, unit: str, roles: list[str], sub: str) -> None:
    page.wait_for_url(re.compile(r"/dev-idp/authorize"))
    page.select_option("#unit", unit)
    for role in roles:
        page.check(f"#role-{role}")
    page.fill("#sub", sub)
    page.fill("#name", "Cán bộ thử nghiệm")
    page.click("#officer-sign-in")


def choose_assignee(page, subject: str) -> None:
    """The assignee: chosen by name from the unit's staff directory, or typed when the directory has nobody."""
    field = page.locator("#assignee-assign")
    if field.evaluate("e => e.tagName") == "SELECT":
        page.select_option("#assignee-assign", subject)
    else:
        field.fill(subject)


def confirm(page, action: str, reason: str) -> None:
    """An action that ends or refuses a dossier: its confirmation step, with the reason."""
    page.click(f"#act-{action}")
    page.wait_for_url(re.compile(rf"/xac-nhan/{action}$"))
    assert page.locator(f"#reason-{action}").get_attribute("required") is not None
    page.fill(f"#reason-{action}", reason)
    page.click(f"#confirm-{action}")
    page.wait_for_url(re.compile(rf"\?tb={action}$"))


def test_the_accessibility_check_finds_what_it_should(browser):
    """The checker itself: a page with an unlabelled image and field has serious violations."""
    page = browser.new_page()
    page.set_content('<html><body><img src="data:,"><input type="text"></body></html>')
    found = {v["id"]: v["impact"] for v in Axe().run(page).response["violations"]}
    assert found.get("image-alt") == "critical" and "label" in found and "html-has-lang" in found
    page.close()


@ON_POSTGRESQL
def test_a_citizen_files_pays_and_gets_the_result_an_officer_processes_it(running, browser):
    pages = Pages()
    base = running.base_url
    citizen = browser.new_context(viewport=PHONE, locale="vi-VN", accept_downloads=True)
    page = citizen.new_page()

    # Catalogue, search, the procedure page (public).
    page.goto(f"{base}/")
    pages.check(page, "catalogue")
    page.fill("#q", "xây dựng")
    page.click("button:has-text('Lọc')")
    page.click("text=Cấp giấy phép xây dựng nhà ở riêng lẻ")
    page.wait_for_url(re.compile(r"/thu-tuc/1\.004227$"))
    assert page.locator("text=75.000 đ").count() >= 1
    pages.check(page, "procedure")

    # Filing needs signing in: the development identity provider, then back to the wizard.
    page.click("text=Nộp hồ sơ trực tuyến")
    pages.check(page, "dev-sign-in")
    sign_in_citizen(page, CITIZEN)
    page.wait_for_url(re.compile(r"/thu-tuc/1\.004227/nop"))
    assert page.locator(f"text={CITIZEN_NAME}").count() >= 1  # pre-filled from the registry, not typed
    pages.check(page, "wizard")

    # The land-use certificate chosen to be uploaded but no file given: refused with a message on that document;
    # the drawings' file, which did arrive, is kept (not asked for again).
    page.check("#doc-QSDD-upload")
    page.check("#doc-BVTK-upload")
    page.set_input_files(
        "#file-BVTK", files=[{"name": "ban-ve-thiet-ke.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.fill("#noi_dung", "Xây nhà ở riêng lẻ 3 tầng")
    page.click("button:has-text('Tiếp tục')")
    assert page.locator("#err-QSDD").is_visible() and page.locator("#err-BVTK").count() == 0
    assert page.locator("label[for=doc-BVTK-upload]", has_text="ban-ve-thiet-ke.pdf").count() == 1
    pages.check(page, "wizard-error")

    # One document reused from the registry (land use right), one uploaded (drawings, from the first try).
    page.check("#doc-QSDD-1")
    page.click("button:has-text('Tiếp tục')")
    page.wait_for_url(re.compile(r"/ho-so-nhap/"))
    assert page.locator("text=ban-ve-thiet-ke.pdf").count() == 1
    assert page.locator("text=dùng lại").count() == 1
    pages.check(page, "review")
    page.click("button:has-text('Nộp hồ sơ')")
    page.wait_for_url(re.compile(r"/ho-so/[^/]+\?moi=1"))
    code = page.locator("h1 .code").inner_text().strip()
    assert re.fullmatch(r"[0-9.]+H41-\d{6}-\d{4}", code), code
    pages.check(page, "dossier-filed")

    # Filed online, it waits for a receiving officer: no receipt yet, the processing time not started.
    assert page.locator("strong", has_text="Chờ tiếp nhận").count() == 1
    assert page.locator("text=Tính từ khi hồ sơ được tiếp nhận").count() == 1

    # An officer of the deciding agency (desktop) finds it in the receipt queue and receives it.
    agency = code.split("-")[0]
    officer_ctx = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    officer = officer_ctx.new_page()
    officer.goto(f"{base}/can-bo")
    sign_in_officer(officer, agency, ["receiver", "handler", "leader"], "canbo-1")
    officer.wait_for_url(re.compile(r"/can-bo$"))
    assert officer.locator("table.queue", has_text=code).count() == 1
    pages.check(officer, "officer-receipt-queue")
    officer.click(f"table.queue >> text={code}")
    officer.wait_for_url(re.compile(rf"/ho-so/{re.escape(code)}$"))
    assert officer.locator("text=ban-ve-thiet-ke.pdf").count() == 1  # the uploaded file, downloadable
    pages.check(officer, "officer-dossier-to-receive")
    officer.click("#act-receive")
    officer.wait_for_url(re.compile(r"\?tb=receive$"))

    # It is received: the receipt (Form 01) with the appointment date, signed by the officer, opens for printing.
    def reload_until(text: str, timeout: float = 30) -> bool:
        def seen():
            page.goto(f"{base}/ho-so/{code}")
            return page.locator(f"text={text}").count() > 0

        return wait_for(seen, timeout, message=text)

    reload_until("Đã tiếp nhận")
    receipt = citizen.new_page()
    receipt.goto(f"{base}/ho-so/{code}/mau/01")
    assert code in receipt.content() and "Người tiếp nhận: Cán bộ thử nghiệm" in receipt.content()
    receipt.close()
    # Then the citizen pays in the sandbox and comes back.
    page.click("#pay")
    page.wait_for_url(re.compile(r"/paymentv2/vpcpay\.html"))
    page.click("#pay")
    page.wait_for_url(re.compile(r"/thanh-toan/ket-qua"))
    assert page.locator("text=Thanh toán thành công").count() == 1
    pages.check(page, "payment-return")
    reload_until("Đã thanh toán")
    pages.check(page, "dossier-paid")

    # "My dossiers" lists it.
    page.goto(f"{base}/ho-so")
    assert page.locator(f"text={code}").count() == 1
    pages.check(page, "my-dossiers")

    # The officer works it from the queue to the returned result.
    officer.goto(f"{base}/can-bo")
    pages.check(officer, "officer-queue")
    officer.click(f"text={code}")
    officer.wait_for_url(re.compile(rf"/ho-so/{re.escape(code)}$"))
    pages.check(officer, "officer-dossier")

    # An action that needs a reason cannot be sent without one (the browser blocks it; the server would refuse).
    assert officer.locator("#reason-request_supplement").get_attribute("required") is not None
    choose_assignee(officer, "canbo-1")
    officer.click("#act-assign")
    for action in ("process_step", "approve", "result_ready", "return_result"):
        officer.wait_for_selector(f"#act-{action}")
        officer.click(f"#act-{action}")
        officer.wait_for_url(re.compile(rf"\?tb={action}$"))
    assert officer.locator("text=Đã trả kết quả").count() >= 1
    pages.check(officer, "officer-returned")

    officer.goto(f"{base}/can-bo/thong-ke")
    assert officer.locator("svg.chart").count() >= 2
    pages.check(officer, "officer-statistics")

    # The citizen downloads the signed result and rates the service.
    reload_until("Tải kết quả", timeout=60)
    pages.check(page, "dossier-result")
    with page.expect_download() as download_info:
        page.click("#download-result")
    path = download_info.value.path()
    assert Path(path).read_bytes().startswith(b"%PDF")
    page.check("#score-5")
    page.fill("#comment", "Nhanh, rõ ràng")
    page.click("#rate-submit")
    page.wait_for_url(re.compile(r"\?tb=rated$"))
    assert page.locator("text=Cảm ơn bạn đã đánh giá").count() == 1
    pages.check(page, "rated")

    # Anyone can look the dossier up by code, and see nothing personal.
    public = browser.new_context(viewport=PHONE).new_page()
    public.goto(f"{base}/tra-cuu")
    pages.check(public, "lookup")
    public.fill("#ma", code)
    public.click("button:has-text('Tra cứu')")
    public.wait_for_url(re.compile(rf"/tra-cuu/{re.escape(code)}$"))
    assert CITIZEN_NAME not in public.content() and CITIZEN not in public.content()
    pages.check(public, "public-status", bilingual=True)

    # English on request.
    page.goto(f"{base}/ngon-ngu?lang=en&next=/ho-so")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1", has_text="My dossiers").count() == 1
    pages.check(page, "my-dossiers-en")

    assert not pages.problems, "\n".join(pages.problems)
    assert len(list(ARTIFACTS.glob("*.png"))) >= len(pages.seen)


@ON_POSTGRESQL
def test_pages_refuse_forged_forms_strangers_and_open_redirects(running, browser):
    base = running.base_url
    code = running.submit("1.000656", CITIZEN).json()["code"]
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    page.goto(f"{base}/ho-so/{code}")  # not signed in: to the sign-in
    sign_in_citizen(page, "037185000002")  # another citizen
    page.wait_for_url(re.compile(rf"/ho-so/{re.escape(code)}$"))
    assert page.locator("h1", has_text="Không tìm thấy").count() == 1  # not theirs: not found, nothing shown
    assert CITIZEN_NAME not in page.content()

    # The session cookie is HttpOnly and SameSite; a POST without the form's CSRF token changes nothing.
    cookie = next(c for c in ctx.cookies() if c["name"] == "motcua_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    jar = {"motcua_session": cookie["value"]}
    forged = requests.post(
        f"{base}/ho-so/{code}/thao-tac",
        data={"action": "withdraw"},
        cookies=jar,
        allow_redirects=False,
        timeout=10,
    )
    assert forged.status_code == 403
    response = requests.get(f"{base}/ho-so", cookies=jar, timeout=10)
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert (
        "script-src" not in response.headers["Content-Security-Policy"]
    )  # default-src 'none': no script at all
    assert response.headers["X-Frame-Options"] == "DENY"

    # A citizen cannot use the officer pages; the sign-in never redirects to another site.
    assert requests.get(f"{base}/can-bo", cookies=jar, timeout=10).status_code == 403
    session = requests.Session()
    assert _sign_in_with_requests(session, base, "//evil.example/x") == "/ho-so"

    # The withdraw form, sent properly from the page, works (the applicant's own dossier).
    own = browser.new_context(viewport=PHONE).new_page()
    own.goto(f"{base}/ho-so/{code}")
    sign_in_citizen(own, CITIZEN)
    own.wait_for_url(re.compile(rf"/ho-so/{re.escape(code)}$"))

    def offered():
        own.reload()
        return own.locator("#act-withdraw").count() > 0

    wait_for(offered, 30, message="withdraw offered")
    confirm(own, "withdraw", "Nộp nhầm thủ tục")
    assert own.locator("text=Đã rút hồ sơ").count() >= 1


def _sign_in_with_requests(session, base: str, next_path: str) -> str:
    """The sign-in flow without a browser; returns where the gateway sends the signed-in citizen."""
    import html

    start = session.get(f"{base}/dang-nhap", params={"next": next_path}, allow_redirects=False)
    chooser = session.get(f"{base}{start.headers['Location']}").text
    form = chooser.split('<form method="post" action="/dev-idp/authorize"')[1].split("</form>")[0]
    fields = {k: html.unescape(v) for k, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)}
    back = session.post(f"{base}/dev-idp/authorize", data=fields, allow_redirects=False)
    done = session.get(back.headers["Location"], allow_redirects=False)
    assert done.status_code == 303, done.text
    return done.headers["Location"]


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00"
    b"\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@ON_POSTGRESQL
def test_supplement_files_from_the_api_and_the_phone_are_versions_the_officer_sees_and_downloads(
    running, browser
):
    pages = Pages()
    base = running.base_url
    code = running.submit("1.000656", CITIZEN).json()["code"]
    running.receive(code)

    officer = browser.new_context(viewport=DESKTOP, accept_downloads=True).new_page()
    officer.goto(f"{base}/ho-so/{code}")
    sign_in_officer(officer, "000.00.07.H41", ["receiver"], "motcua-1")
    officer.wait_for_url(re.compile(rf"/ho-so/{re.escape(code)}$"))

    def ask(reason: str) -> None:
        officer.goto(f"{base}/ho-so/{code}")
        officer.fill("#reason-request_supplement", reason)
        officer.click("#act-request_supplement")
        officer.wait_for_url(re.compile(r"\?tb=request_supplement$"))
        assert officer.locator("text=Chờ bổ sung").count() >= 1

    # First request: the citizen answers through the API with a PDF for the application form (TK03).
    ask("Bổ sung tờ khai có chữ ký")
    headers = running.headers(CITIZEN)
    upload = running.session.post(
        f"{base}/api/v1/uploads",
        data=PDF,
        headers={**headers, "Content-Type": "application/pdf", "X-File-Name": "to-khai-api.pdf"},
    ).json()
    answered = running.session.post(
        f"{base}/api/v1/dossiers/{code}/actions",
        headers=headers,
        json={
            "action": "resubmit",
            "reason": "Gửi tờ khai qua ứng dụng",
            "documents": [{"code": "TK03", "upload": upload["id"]}],
        },
    )
    assert answered.status_code == 200, answered.text

    # Second request: the citizen answers from the phone's web page, with another PDF.
    ask("Bổ sung tờ khai bản có xác nhận")
    phone = browser.new_context(viewport=PHONE).new_page()
    phone.goto(f"{base}/ho-so")
    sign_in_citizen(phone, CITIZEN)
    phone.wait_for_url(re.compile(r"/ho-so$"))
    phone.click(f"text={code}")
    asked = phone.locator("section.attention")
    assert (
        asked.count() == 1 and "Bổ sung tờ khai bản có xác nhận" in asked.inner_text()
    )  # the officer's reason
    assert phone.locator("text=tạm dừng tính thời hạn").count() == 1  # the legal clock is stopped meanwhile
    assert "bản mới: 3" in asked.inner_text()
    pages.check(phone, "supplement-asked")
    phone.fill("#reason-resubmit", "Đã gửi tờ khai có xác nhận")
    web_pdf = PDF.replace(b"%%EOF", b"% ban co xac nhan\n%%EOF")
    phone.set_input_files(
        "#file-resubmit-TK03",
        files=[{"name": "to-khai-web.pdf", "mimeType": "application/pdf", "buffer": web_pdf}],
    )
    phone.click("button:has-text('Gửi bổ sung')")
    phone.wait_for_url(re.compile(r"\?tb=resubmit$"))
    assert phone.locator("strong", has_text="Đang xử lý").count() == 1
    assert phone.locator("text=Cơ quan yêu cầu bổ sung hồ sơ").count() == 0
    pages.check(phone, "supplement-answered")

    # The officer sees both files as versions 2 and 3 of the form (1 is the online form), in the history too, and
    # downloads each.
    officer.goto(f"{base}/ho-so/{code}")
    versions = officer.locator("#doc-TK03").inner_text()
    assert "Bản 3 (đang dùng)" in versions and "to-khai-web.pdf" in versions
    assert "Bản 2" in versions and "to-khai-api.pdf" in versions and "Bản 1" in versions
    assert (
        officer.locator(".timeline", has_text="Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp, bản 3").count() == 1
    )
    pages.check(officer, "officer-document-versions")
    for name, body in (("to-khai-api.pdf", PDF), ("to-khai-web.pdf", web_pdf)):
        href = officer.locator(f"#doc-TK03 >> text={name}").get_attribute("href")
        opened = officer.request.get(f"{base}{href}")  # the officer's session: opens in the browser, logged
        assert opened.body() == body and opened.headers["content-disposition"].startswith("inline")
    view = running.session.get(f"{base}/api/v1/dossiers/{code}", headers=headers).json()
    assert [(d["version"], d["file_name"]) for d in view["documents"]] == [
        (1, None),
        (2, "to-khai-api.pdf"),
        (3, "to-khai-web.pdf"),
    ]
    assert [h["action"] for h in view["history"]][-4:] == ["request_supplement", "resubmit"] * 2
    assert view["case"]["clock_stopped"] is False
    assert not pages.problems, "\n".join(pages.problems)


@ON_POSTGRESQL
def test_the_receipt_desk_asks_for_completion_then_receives_and_refuses_another(running, browser):
    pages = Pages()
    base = running.base_url
    completed = running.submit("1.000656", CITIZEN).json()["code"]
    refused = running.submit("1.000656", CITIZEN).json()["code"]
    for code in (completed, refused):
        wait_for(
            lambda c=code: running.session.get(f"{base}/api/v1/status/{c}").status_code == 200,
            30,
            message="case opened",
        )

    officer = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
    officer.goto(f"{base}/can-bo")
    sign_in_officer(officer, "000.00.07.H41", ["receiver"], "tiepnhan-1")
    officer.wait_for_url(re.compile(r"/can-bo$"))
    waiting = officer.locator("table.queue")
    assert (
        waiting.locator(f"text={completed}").count() == 1 and waiting.locator(f"text={refused}").count() == 1
    )
    officer.click(f"table.queue >> text={completed}")
    officer.wait_for_url(re.compile(rf"/ho-so/{re.escape(completed)}$"))
    assert (
        officer.locator("text=Chưa tiếp nhận").count() == 1
        and officer.locator("text=hạn tiếp nhận").count() == 1
    )
    # Form 02 before receipt: what is missing and why (required).
    assert officer.locator("#reason-request_completion").get_attribute("required") is not None
    officer.click("#open-request_completion")
    officer.fill("#reason-request_completion", "Tờ khai chưa ký: đề nghị ký tờ khai và gửi lại")
    officer.click("#act-request_completion")
    officer.wait_for_url(re.compile(r"\?tb=request_completion$"))
    pages.check(officer, "officer-completion-asked")

    # The citizen on the phone sees the request and Form 02, and completes the dossier online.
    phone = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    phone.goto(f"{base}/ho-so/{completed}")
    sign_in_citizen(phone, CITIZEN)
    phone.wait_for_url(re.compile(rf"/ho-so/{re.escape(completed)}$"))
    asked = phone.locator("#answer-complete")
    assert (
        "Tờ khai chưa ký" in asked.inner_text() and "thời hạn giải quyết chưa bắt đầu" in asked.inner_text()
    )
    pages.check(phone, "completion-asked")
    form02 = phone.context.new_page()
    form02.goto(f"{base}/ho-so/{completed}/mau/02")
    assert (
        "PHIẾU YÊU CẦU BỔ SUNG" in form02.inner_text("h1").upper() and "Tờ khai chưa ký" in form02.content()
    )
    form02.close()
    phone.fill("#reason-complete", "Đã ký tờ khai")
    phone.set_input_files(
        "#file-complete-TK03",
        files=[{"name": "to-khai-da-ky.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    phone.click("#send-complete")
    phone.wait_for_url(re.compile(r"\?tb=complete$"))
    assert phone.locator("strong", has_text="Chờ tiếp nhận").count() == 1
    pages.check(phone, "completion-sent")

    # Back in the receipt queue with the new version; the officer receives it: Form 01, due date from receipt.
    officer.goto(f"{base}/can-bo")
    assert officer.locator("table.queue", has_text=completed).count() == 1
    officer.click(f"table.queue >> text={completed}")
    assert "Bản 2 (đang dùng)" in officer.locator("#doc-TK03").inner_text()
    pages.check(officer, "officer-completed-to-receive")
    officer.click("#act-receive")
    officer.wait_for_url(re.compile(r"\?tb=receive$"))
    phone.goto(f"{base}/ho-so/{completed}")
    assert phone.locator("strong", has_text="Đã tiếp nhận").count() == 1
    case = running.session.get(
        f"{base}/api/v1/dossiers/{completed}", headers=running.headers(CITIZEN)
    ).json()["case"]
    assert case["due_explanation"]["received_at"] and case["received_at"] > case["submitted_at"]
    form01 = phone.context.new_page()
    form01.goto(f"{base}/ho-so/{completed}/mau/01")
    assert "Người tiếp nhận: Cán bộ thử nghiệm" in form01.content()
    form01.close()
    pages.check(phone, "completion-received")

    # The other one is refused, with the reason; the citizen sees it and Form 03, and got the e-mail.
    officer.goto(f"{base}/ho-so/{refused}")
    confirm(officer, "refuse_receipt", "Hồ sơ không thuộc thẩm quyền giải quyết của Sở Tư pháp")
    assert officer.locator("strong", has_text="Từ chối tiếp nhận").count() >= 1
    phone.goto(f"{base}/ho-so/{refused}")
    assert "không thuộc thẩm quyền" in phone.locator("section.attention").inner_text()
    pages.check(phone, "refused")
    form03 = phone.context.new_page()
    form03.goto(f"{base}/ho-so/{refused}/mau/03")
    assert "Lý do từ chối tiếp nhận: Hồ sơ không thuộc thẩm quyền" in form03.content()
    form03.close()
    wait_for(
        lambda: [
            m
            for m in running.mails("an.nguyen@example.vn")
            if refused in m["subject"] and "không được tiếp nhận" in m["subject"]
        ],
        30,
        message="refusal e-mail",
    )
    assert not pages.problems, "\n".join(pages.problems)


@ON_POSTGRESQL
def test_a_leader_settles_and_refunds_from_the_dossier_page_and_the_citizen_sees_it(running, browser):
    from tests.integration.test_payment import COMMUNE, payment, refund_with_lost_answer

    pages = Pages()
    case = refund_with_lost_answer(running, "lose_answer", {"amount_vnd": 10000, "reason": "Thu thừa phí"})
    code = case["code"]
    url = f"{running.base_url}/ho-so/{code}"

    # The leader of the unit settles the refund the gateway never confirmed, then refunds more from the page.
    leader = browser.new_context(viewport=DESKTOP, locale="vi-VN").new_page()
    leader.goto(url)
    sign_in_officer(leader, COMMUNE, ["leader"], "leader-1")
    leader.wait_for_url(re.compile(rf"/ho-so/{re.escape(code)}$"))
    assert "Đang xác minh với cổng thanh toán" in leader.locator("#refund-1").inner_text()
    pages.check(leader, "officer-refund-unknown")
    leader.check("#settle-done-1")
    leader.fill("#settle-note-1", "Sao kê VNPAY 30/11 dòng 17")
    leader.click("#settle-1")
    leader.wait_for_url(re.compile(r"\?tb=refund_settled$"))
    assert "Đã hoàn tiền" in leader.locator("#refund-1").inner_text()
    leader.click("#refund-form summary")
    leader.fill("#refund-amount", "40.000")
    leader.fill("#refund-reason", "Hồ sơ bị từ chối")
    leader.click("#refund-submit")
    leader.wait_for_url(re.compile(r"\?tb=refunded$"))
    second = leader.locator("#refund-2").inner_text()
    assert "40.000 đ" in second and "Đã hoàn tiền" in second
    pages.check(leader, "officer-refunded")
    assert payment(running, code)["refunded_vnd"] == 50000
    assert running.sandbox.transactions[case["txn_ref"]]["refunded"] == 50000 * 100  # paid out once each

    # The citizen sees both on their phone; no refund form for them.
    citizen = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
    citizen.goto(url)
    sign_in_citizen(citizen, CITIZEN)
    citizen.wait_for_url(re.compile(rf"/ho-so/{re.escape(code)}$"))
    first, second = citizen.locator("#refund-1").inner_text(), citizen.locator("#refund-2").inner_text()
    assert "10.000 đ" in first and "Đã hoàn tiền" in first and "Thu thừa phí" in first
    assert "40.000 đ" in second and "Đã hoàn tiền" in second
    assert citizen.locator("#refund-form").count() == 0 and citizen.locator("form.settle").count() == 0
    pages.check(citizen, "dossier-refunds")
    assert not pages.problems, "\n".join(pages.problems)

"""Receipt by an officer and supplement files, through the API on the real platform (RabbitMQ, SQLite/PostgreSQL,
SMTP sink): a filed dossier waits for receipt; the receiver asks for completion (Form 02) and the citizen
completes it with a PDF, which becomes version 2 of the document; the dossier comes back to the receipt queue and
is received (Form 01, due date from receipt); another is refused (Form 03, the citizen is told by e-mail); a
receiver's counter filing is received at once. A supplement answered with a PDF through the API is a new version
the officer sees and downloads, the earlier one still readable."""

from __future__ import annotations

import hashlib

import pytest

from tests.conftest import wait_for

pytestmark = pytest.mark.integration

JUSTICE = "000.00.07.H41"
CITIZEN = "037090000001"
EMAIL = "an.nguyen@example.vn"
PDF_1 = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PDF_2 = PDF_1.replace(b"%%EOF", b"% to khai da ky\n%%EOF")


def _receiver(running, **claims):
    return running.headers("receiver-1", "officer", unit=JUSTICE, roles=["receiver"], **claims)


def _upload(running, body: bytes, name: str) -> dict:
    response = running.session.post(
        f"{running.base_url}/api/v1/uploads",
        data=body,
        headers={**running.headers(CITIZEN), "Content-Type": "application/pdf", "X-File-Name": name},
    )
    assert response.status_code == 201, response.text
    return response.json()


def _opened(running, code: str) -> dict:
    url = f"{running.base_url}/api/v1/dossiers/{code}"
    return wait_for(
        lambda: (d := running.session.get(url, headers=running.headers(CITIZEN)).json())["case"] and d,
        30,
        message="case opened",
    )


def _act(running, code: str, headers: dict, **body):
    return running.session.post(
        f"{running.base_url}/api/v1/dossiers/{code}/actions", headers=headers, json=body
    )


def test_completion_before_receipt_with_a_pdf_then_receipt_with_form_01(running):
    code = running.submit("1.000656", CITIZEN).json()["code"]
    assert _opened(running, code)["status"] == "submitted"
    asked = _act(
        running,
        code,
        _receiver(running),
        action="request_completion",
        reason="Tờ khai chưa có chữ ký của người yêu cầu: đề nghị ký và gửi lại",
    )
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "awaiting_completion" and asked.json()["due_at"] is None
    form = running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}/forms/02", headers=running.headers(CITIZEN)
    )
    assert (
        form.status_code == 200
        and "Tờ khai chưa có chữ ký" in form.text
        and "chưa được tiếp nhận" in form.text
    )
    mail = wait_for(
        lambda: [m for m in running.mails(EMAIL) if code in m["subject"]], 30, message="Form 02 e-mail"
    )
    assert "hoàn thiện" in mail[0]["subject"] and "Tờ khai chưa có chữ ký" in mail[0]["text"]

    # The citizen completes it online: a signed form as the next version of TK03, and a comment.
    signed = _upload(running, PDF_2, "to-khai-da-ky.pdf")
    done = _act(
        running,
        code,
        running.headers(CITIZEN),
        action="complete",
        reason="Đã ký tờ khai",
        documents=[{"code": "TK03", "upload": signed["id"]}],
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "submitted" and done.json()["receipt_due_at"]
    # The same answer again (a retried request) adds nothing.
    again = _act(
        running,
        code,
        running.headers(CITIZEN),
        action="complete",
        documents=[{"code": "TK03", "upload": signed["id"]}],
    )
    assert again.status_code == 422 and again.json()["code"] == "not_allowed_in_state"

    dossier = running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}", headers=_receiver(running)
    ).json()
    versions = [(d["code"], d["version"], d["source"], d["current"]) for d in dossier["documents"]]
    assert versions == [("TK03", 1, "form", False), ("TK03", 2, "uploaded", True)]
    completed = dossier["history"][-1]
    assert completed["action"] == "complete" and completed["attachments"][0]["version"] == 2
    assert completed["attachments"][0]["sha256"] == hashlib.sha256(PDF_2).hexdigest()

    received = running.receive(code, name="Trần Thị Bình")
    assert received["status"] == "received" and received["received_at"] and received["due_at"]
    form = running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}/forms/01", headers=running.headers(CITIZEN)
    )
    assert "Người tiếp nhận: Trần Thị Bình" in form.text and "Ngày hẹn trả kết quả" in form.text


def test_refusal_is_form_03_and_the_citizen_is_told(running):
    code = running.submit("1.000656", CITIZEN).json()["code"]
    _opened(running, code)
    no_reason = _act(running, code, _receiver(running), action="refuse_receipt")
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "reason_required"
    refused = _act(
        running,
        code,
        _receiver(running),
        action="refuse_receipt",
        reason="Thủ tục không thuộc thẩm quyền của Sở Tư pháp",
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    form = running.session.get(
        f"{running.base_url}/api/v1/dossiers/{code}/forms/03", headers=running.headers(CITIZEN)
    )
    assert "Lý do từ chối tiếp nhận: Thủ tục không thuộc thẩm quyền" in form.text
    mail = wait_for(
        lambda: [m for m in running.mails(EMAIL) if code in m["subject"]], 30, message="refusal e-mail"
    )
    assert "không được tiếp nhận" in mail[0]["subject"]
    assert running.session.get(f"{running.base_url}/api/v1/status/{code}").json()["status"] == "refused"


def test_a_receivers_counter_filing_is_received_at_once_by_them(running):
    desk = running.headers("quay-3", "officer", unit=JUSTICE, roles=["receiver"])
    response = running.session.post(
        f"{running.base_url}/api/v1/dossiers",
        headers=desk,
        json={"procedure_code": "1.000656", "applicant": {"id_number": CITIZEN}},
    )
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    url = f"{running.base_url}/api/v1/dossiers/{code}"
    dossier = wait_for(
        lambda: (d := running.session.get(url, headers=desk).json())["status"] == "received" and d,
        30,
        message="received at the counter",
    )
    assert dossier["channel"] == "counter"
    assert [(h["action"], h.get("actor")) for h in dossier["history"]] == [
        ("submit", "applicant"),
        ("receive", "quay-3"),
    ]


def test_a_supplement_pdf_sent_through_the_api_is_a_new_version_the_officer_downloads(running):
    code = running.submit("1.000656", CITIZEN).json()["code"]
    running.receive(code)
    handler = running.headers("handler-1", "officer", unit=JUSTICE, roles=["handler"])
    asked = _act(running, code, handler, action="request_supplement", reason="Bổ sung tờ khai có xác nhận")
    assert asked.status_code == 200 and asked.json()["clock_stopped"] is True
    first = _upload(running, PDF_1, "to-khai-xac-nhan.pdf")
    # A document the dossier does not have, or someone else's upload, is refused and changes nothing.
    wrong = _act(
        running,
        code,
        running.headers(CITIZEN),
        action="resubmit",
        documents=[{"code": "XYZ", "upload": first["id"]}],
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "documents_invalid"
    answered = _act(
        running,
        code,
        running.headers(CITIZEN),
        action="resubmit",
        reason="Gửi tờ khai",
        documents=[{"code": "TK03", "upload": first["id"]}],
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "in_progress" and answered.json()["clock_stopped"] is False

    dossier = running.session.get(f"{running.base_url}/api/v1/dossiers/{code}", headers=handler).json()
    latest = [d for d in dossier["documents"] if d["code"] == "TK03" and d["current"]][0]
    assert (
        latest["version"] == 2
        and latest["origin"] == "supplement"
        and latest["file_name"] == "to-khai-xac-nhan.pdf"
    )
    assert dossier["history"][-1]["attachments"] == [
        {
            "name": "to-khai-xac-nhan.pdf",
            "sha256": hashlib.sha256(PDF_1).hexdigest(),
            "document": "TK03",
            "version": 2,
            "upload_id": first["id"],
        }
    ]
    cookie = running.token("handler-1", "officer", unit=JUSTICE, roles=["handler"])
    download = running.session.get(
        f"{running.base_url}/ho-so/{code}/tai-lieu/{first['id']}", cookies={"motcua_session": cookie}
    )
    assert download.status_code == 200 and download.content == PDF_1
    elsewhere = running.token("handler-9", "officer", unit="000.31.01.H41", roles=["handler"])
    assert (
        running.session.get(
            f"{running.base_url}/ho-so/{code}/tai-lieu/{first['id']}", cookies={"motcua_session": elsewhere}
        ).status_code
        == 404
    )


def test_uploads_are_read_whole_when_chunked_and_refused_when_a_pdf_carries_script(running):
    headers = {**running.headers(CITIZEN), "Content-Type": "application/pdf", "X-File-Name": "to-khai.pdf"}
    before = sorted(p for p in running.file_store.rglob("*") if p.is_file())
    # Chunked transfer encoding (a generator body): the whole file arrives, not an empty one.
    chunked = running.session.post(
        f"{running.base_url}/api/v1/uploads",
        headers=headers,
        data=(PDF_1[i : i + 16] for i in range(0, len(PDF_1), 16)),
    )
    assert chunked.status_code == 201, chunked.text
    assert chunked.json()["size_bytes"] == len(PDF_1)
    assert chunked.json()["sha256"] == hashlib.sha256(PDF_1).hexdigest()
    # A file that starts like a PDF but runs JavaScript, or is an HTML page behind a PDF header: 422, nothing kept.
    kept = sorted(p for p in running.file_store.rglob("*") if p.is_file())
    for body, found in [
        (
            PDF_1.replace(b"/Type/Catalog", b"/Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
            ["javascript"],
        ),
        (
            b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n",
            ["html_inside"],
        ),
    ]:
        refused = running.session.post(f"{running.base_url}/api/v1/uploads", headers=headers, data=body)
        assert refused.status_code == 422, refused.text
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.json()["code"] == "unsafe_pdf" and refused.json()["errors"] == {"found": found}
    assert sorted(p for p in running.file_store.rglob("*") if p.is_file()) == kept
    assert len(kept) == len(before) + 1

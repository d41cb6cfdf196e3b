"""The stand-alone pages (web/templates: the e-receipt, the status by code, the payment return, the QR
verification page): rendered from templates, every value escaped, served with the printable pages' CSP."""

from __future__ import annotations

from unittest.mock import Mock

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.chassis.errors import NotFound
from services.gateway import ratelimit
from services.gateway.identity import Principal
from services.gateway.service import GatewayService
from services.gateway.web.base import WebSupport

CITIZEN = Principal(
    subject="037090000001", kind="citizen", name="A", unit=None, roles=frozenset(), issuer="t"
)
PRINTABLE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


@pytest.fixture()
def service():
    web = WebSupport.__new__(WebSupport)
    web.lookup_limit = ratelimit.SlidingWindow(100, 60)
    auth = Mock()
    auth.principal.return_value = CITIZEN
    gateway = worker_factory(GatewayService, web=web, auth=auth)
    gateway.workflow.get_case.call_async.return_value.result.side_effect = NotFound("case_not_found", "-")
    return gateway


def _rpc(proxy_method, value=None, error=None):
    proxy_method.call_async.return_value.result.return_value = value
    proxy_method.call_async.return_value.result.side_effect = error


def _get(path: str) -> Request:
    return Request(EnvironBuilder(path=path).get_environ())


def test_the_receipt_prints_lines_and_totals_with_every_value_escaped(service):
    _rpc(
        service.payment.get_receipt,
        {
            "number": "BL<01>",
            "issued_at": "2026-01-02",
            "payer_name": "Nguyễn <b>A</b>",
            "dossier_code": "D-1",
            "lines": [{"name": "Lệ phí & phí", "quantity": 2, "amount": 1234567}],
            "amount_vnd": 1234567,
            "gateway_transaction_no": None,
        },
    )
    response = service.receipt(_get("/api/v1/dossiers/D-1/receipt?format=html"), "D-1")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Content-Security-Policy"] == PRINTABLE_CSP
    assert "<title>Biên lai BL&lt;01&gt;</title>" in text and "Nguyễn &lt;b&gt;A&lt;/b&gt;" in text
    assert "<tr><td>Lệ phí &amp; phí</td><td>2</td><td style='text-align:right'>1,234,567 đ</td></tr>" in text
    assert "<strong>Tổng cộng: 1,234,567 đồng</strong> · Mã giao dịch: </p>" in text  # no number: empty
    page = service.receipt_page.__wrapped__(service, Mock(principal=CITIZEN), "D-1")
    assert page.get_data(as_text=True) == text  # the web page prints the same receipt


def test_the_status_page_shows_legal_time_and_no_personal_data(service):
    _rpc(
        service.workflow.public_status,
        {
            "dossier_code": "D-1",
            "procedure": {"code": "1.0", "name": {"vi": "Cấp <phiếu>"}},
            "agency": None,
            "status": "received",
            "status_label": {"vi": "Đã tiếp nhận", "en": "Received"},
            "received_at": "2026-01-02T03:04:05+00:00",
            "due_at": "2026-01-12T10:00:00Z",
            "clock_stopped": True,
            "finished_at": None,
        },
    )
    text = service.public_status_page(_get("/tra-cuu/D-1"), "D-1").get_data(as_text=True)
    assert "<title>Hồ sơ D-1</title>" in text and "<td>Cấp &lt;phiếu&gt;</td>" in text
    assert '<tr><th scope="row">Ngày tiếp nhận / Received</th><td>02/01/2026 10:04</td></tr>' in text
    assert "<td>12/01/2026 17:00 (đang tạm dừng / clock stopped)</td>" in text
    assert "<td>Đã tiếp nhận / Received</td>" in text and "Cơ quan giải quyết / Agency</th><td>—</td>" in text
    _rpc(service.workflow.public_status, error=NotFound("dossier_not_found", "-"))
    missing = service.public_status_page(_get("/tra-cuu/%3Cx%3E"), "<x>")
    assert missing.status_code == 404 and "<strong>&lt;x&gt;</strong>" in missing.get_data(as_text=True)


def test_the_payment_return_page_says_the_outcome_in_the_site_layout_and_links_the_dossier(service):
    service.web.csp = "default-src 'none'"
    ok = service.payment_return(_get("/thanh-toan/ket-qua?vnp_ResponseCode=00&vnp_OrderInfo=Thanh+toan+D-1"))
    text = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "<h1>Thanh toán thành công</h1>" in text
    assert '<link rel="stylesheet" href="/static/app.css">' in text and '<header class="site">' in text
    assert '<a class="button" href="/ho-so/D-1">' in text
    failed = service.payment_return(_get("/thanh-toan/ket-qua?vnp_ResponseCode=24&vnp_OrderInfo=x+%22%3E"))
    assert "<h1>Thanh toán chưa thành công</h1>" in failed.get_data(as_text=True)
    assert '<a class="button" href="/ho-so/&#34;&gt;">' in failed.get_data(as_text=True)


def test_the_verification_page_says_valid_or_revoked_and_why(service):
    doc = {
        "verification_code": "ABC123",
        "title": "Phiếu <1>",
        "dossier_code": "D-1",
        "issuer_name": "Sở",
        "signer": "B",
        "signed_at": "2026-01-01T00:00:00Z",
        "issued_on": "2026-01-01",
        "sha256": "ab",
        "revoked": False,
        "revoked_at": None,
        "revoked_reason": None,
    }
    _rpc(service.workflow.get_verification, doc)
    valid = service.verify_page(_get("/verify/abc123"), "abc123").get_data(as_text=True)
    assert "<strong>CÒN HIỆU LỰC / VALID</strong>" in valid and "<td>Phiếu &lt;1&gt;</td>" in valid
    assert "Thu hồi" not in valid
    _rpc(
        service.workflow.get_verification,
        {**doc, "revoked": True, "revoked_at": "2026-02-01", "revoked_reason": "Sai sót"},
    )
    revoked = service.verify_page(_get("/verify/abc123"), "abc123").get_data(as_text=True)
    assert "<strong>ĐÃ BỊ THU HỒI / REVOKED</strong>" in revoked
    assert "<tr><th>Thu hồi / Revoked</th><td>01/02/2026 — Sai sót</td></tr>" in revoked

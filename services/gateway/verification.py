"""Public verification of signed results: anyone, without an account, checks who signed a result, when, for which
dossier, whether the file is intact and whether it was revoked. Officers (a leader of the issuing agency, or
ops) revoke. Nothing beyond the document's public face is shown (no ID numbers)."""
from __future__ import annotations

import base64
import html

from services.chassis.rpc import call
from services.gateway.auth import viewer
from services.gateway.problems import BadRequest, json_response
from services.gateway.routing import endpoint, html_response, read_json

MAX_PDF_BYTES = 10 * 1024 * 1024


class VerificationRoutes:
    @endpoint("GET", "/api/v1/verifications/<string:code>", public=True, tag="verification")
    def get_verification(self, request, code):
        """A signed result by its verification code: issuer, signer, date, dossier, revoked or not."""
        return json_response(call(self.workflow.get_verification, code.strip().upper()[:16]))

    @endpoint("POST", "/api/v1/verifications", public=True, tag="verification")
    def verify_document(self, request):
        """Verify a signed result file (body: the PDF bytes, Content-Type application/pdf)."""
        if (request.mimetype or "") != "application/pdf":
            raise BadRequest("unsupported_media_type", "Gửi tệp PDF (Content-Type: application/pdf).")
        if request.content_length and request.content_length > MAX_PDF_BYTES:
            raise BadRequest("body_too_large", "Tệp vượt quá 10 MB.")
        data = request.get_data(cache=False)
        if not data or len(data) > MAX_PDF_BYTES:
            raise BadRequest("empty_or_too_large", "Tệp rỗng hoặc vượt quá 10 MB.")
        return json_response(call(self.workflow.verify_result, base64.b64encode(data).decode("ascii"), timeout=30))

    @endpoint("POST", "/api/v1/verifications/<string:code>/revocation", tag="verification")
    def revoke_document(self, request, code):
        """Revoke a signed result (leader of the issuing agency, or ops). Body: {"reason": "..."}."""
        principal = self.auth.principal(request)
        body = read_json(request)
        return json_response(call(self.workflow.revoke_result, code, str(body.get("reason") or ""),
                                  viewer(principal)))

    @endpoint("GET", "/verify/<string:code>", public=True, tag="verification", produces="text/html")
    def verify_page(self, request, code):
        """The page the QR code opens: the result's public facts and whether it is still valid."""
        doc = call(self.workflow.get_verification, code.strip().upper()[:16])
        e = html.escape
        state = ("ĐÃ BỊ THU HỒI / REVOKED" if doc["revoked"] else "CÒN HIỆU LỰC / VALID")
        rows = [("Mã xác thực / Code", doc["verification_code"]), ("Văn bản / Document", doc["title"]),
                ("Mã hồ sơ / Dossier", doc["dossier_code"]), ("Cơ quan cấp / Issuer", doc["issuer_name"]),
                ("Người ký / Signed by", doc["signer"]), ("Thời điểm ký / Signed at (UTC)", doc["signed_at"]),
                ("Ngày cấp / Issued on", doc["issued_on"]), ("SHA-256", doc["sha256"])]
        if doc["revoked"]:
            rows.append(("Thu hồi / Revoked", f"{doc['revoked_at']} — {doc['revoked_reason']}"))
        body = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
        return html_response(
            "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>Xác thực văn bản</title>"
            "<style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:1em}</style></head>"
            f"<body><h1>Xác thực kết quả điện tử</h1><p><strong>{e(state)}</strong></p><table>{body}</table>"
            "<p>Để kiểm tra tệp không bị sửa đổi, gửi tệp PDF tới POST /api/v1/verifications.</p></body></html>")


class PortalSyncRoutes:
    @endpoint("GET", "/api/v1/portal-sync/reconciliation", tag="ops", query=("dossier_code",))
    def portal_reconciliation(self, request):
        """National portal sync: what the portal has acknowledged and what not (province officers, ops)."""
        principal = self.auth.principal(request)
        return json_response(call(self.workflow.portal_reconciliation, viewer(principal),
                                  request.args.get("dossier_code") or None))

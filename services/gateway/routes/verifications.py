"""Public verification of signed results: anyone, without an account, checks who signed a result, when, for
which dossier, whether the file is intact and whether it was revoked. Officers (a leader of the issuing
agency, or ops) revoke. Nothing beyond the document's public face is shown (no ID numbers). And the national
portal sync's reconciliation, for province officers and ops."""

from __future__ import annotations

import base64

from services.chassis.rpc import call
from services.gateway.auth import viewer
from services.gateway.problems import BadRequest, json_response
from services.gateway.routing import endpoint, read_json
from services.gateway.web.render import printable

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
        return json_response(
            call(self.workflow.verify_result, base64.b64encode(data).decode("ascii"), timeout=30)
        )

    @endpoint("POST", "/api/v1/verifications/<string:code>/revocation", tag="verification")
    def revoke_document(self, request, code):
        """Revoke a signed result (leader of the issuing agency, or ops). Body: {"reason": "..."}."""
        principal = self.auth.principal(request)
        body = read_json(request)
        return json_response(
            call(self.workflow.revoke_result, code, str(body.get("reason") or ""), viewer(principal))
        )

    @endpoint("GET", "/verify/<string:code>", public=True, tag="verification", produces="text/html")
    def verify_page(self, request, code):
        """The page the QR code opens: the result's public facts and whether it is still valid."""
        doc = call(self.workflow.get_verification, code.strip().upper()[:16])
        return printable("verification.html", doc=doc)


class PortalSyncRoutes:
    @endpoint("GET", "/api/v1/portal-sync/reconciliation", tag="ops", query=("dossier_code",))
    def portal_reconciliation(self, request):
        """National portal sync: what the portal has acknowledged and what not (province officers, ops)."""
        principal = self.auth.principal(request)
        return json_response(
            call(
                self.workflow.portal_reconciliation,
                viewer(principal),
                request.args.get("dossier_code") or None,
            )
        )

"""A dossier's fee over the API: what is due, paying it online (the payment gateway's signed IPN settles it;
the browser's return page, in routes/dossier_pages.py, only shows the outcome), the e-receipt, and refunds by
the unit's leaders."""

from __future__ import annotations

from services.chassis.errors import Forbidden
from services.chassis.rpc import call
from services.gateway.auth import viewer
from services.gateway.problems import json_response
from services.gateway.ratelimit import client_address
from services.gateway.routing import created, endpoint, idempotency_key, read_json
from services.gateway.web.render import printable


class PaymentRoutes:
    @endpoint("GET", "/api/v1/dossiers/<string:code>/payment", tag="payments")
    def get_payment(self, request, code):
        """The dossier's fee: lines, total, status, receipt number."""
        principal = self.auth.principal(request)
        self._visible_dossier(principal, code)
        return json_response(call(self.payment.get_payment, code))

    @endpoint("POST", "/api/v1/dossiers/<string:code>/payment", tag="payments", status=201, idempotent=True)
    def start_payment(self, request, code):
        """Start paying the fee: a new attempt and the signed gateway URL to send the browser to.

        `Idempotency-Key` header: a retry with the same key answers with the same attempt and URL (200,
        `replayed: true`) instead of opening another; the same key for another dossier: 409."""
        principal = self.auth.principal(request)
        if principal.kind != "citizen":
            raise Forbidden("citizens_only", "Người nộp hồ sơ thanh toán trực tuyến.")
        call(self.intake.get_dossier, code, viewer(principal))
        return created(
            call(
                self.payment.start_payment,
                code,
                client_address(request),
                principal.subject,
                idempotency_key(request),
            )
        )

    @endpoint("GET", "/api/v1/payments/vnpay/ipn", public=True, tag="payments")
    def vnpay_ipn(self, request):
        """The gateway's signed server-to-server callback (public by design: the signature is the check)."""
        return json_response(call(self.payment.handle_ipn, dict(request.args.items())))

    @endpoint("GET", "/api/v1/dossiers/<string:code>/receipt", tag="payments")
    def receipt(self, request, code):
        """The e-receipt (biên lai điện tử) of the paid fee; `?format=html` for the printable one."""
        principal = self.auth.principal(request)
        self._visible_dossier(principal, code)
        data = call(self.payment.get_receipt, code)
        if request.args.get("format") == "html":
            return printable("receipt.html", r=data)
        return json_response(data)

    @endpoint("POST", "/api/v1/dossiers/<string:code>/refunds", tag="payments", status=201, idempotent=True)
    def refund(self, request, code):
        """Refund part or all of a paid fee (leaders), never more than what is refundable.

        `Idempotency-Key` header: a retry with the same key never refunds again; it answers with the first
        refund (200, `replayed: true`), or 409 `refund_in_progress` while the gateway has not answered the first
        yet. The same key with another amount or reason: 409. A refund the gateway refused keeps no key."""
        principal = self._officer(request)
        self._visible_dossier(principal, code)
        body = read_json(request)
        return created(
            call(
                self.payment.refund,
                code,
                body.get("amount_vnd"),
                str(body.get("reason") or ""),
                viewer(principal),
                idempotency_key(request),
                timeout=20,
            )
        )

    @endpoint("POST", "/api/v1/dossiers/<string:code>/refunds/<string:refund_id>/settlement", tag="payments")
    def settle_refund(self, request, code, refund_id):
        """Settle a refund whose outcome is unknown (the gateway's answer was lost), from the gateway's statement
        (leaders): `{"outcome": "done" | "failed", "note": "..."}`. `done`: the money went out; `failed`: it did
        not, and the amount is refundable again. Audited; only an unknown refund, once (else 409)."""
        principal = self._officer(request)
        self._visible_dossier(principal, code)
        body = read_json(request)
        return json_response(
            call(
                self.payment.settle_refund,
                code,
                refund_id,
                str(body.get("outcome") or ""),
                str(body.get("note") or ""),
                viewer(principal),
            )
        )

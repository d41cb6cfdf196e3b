"""Dossiers over the API: file one, read one (with its case, history and notifications), list mine, act on
one, rate it, download its forms and signed result; and a dossier's status by its code without signing in
(JSON, and the page the links in notifications open)."""

from __future__ import annotations

import uuid

from services.chassis.errors import Forbidden, NotFound, Unavailable
from services.chassis.rpc import call
from services.gateway import actions, schemas
from services.gateway.auth import viewer
from services.gateway.files import signed_result_path
from services.gateway.problems import BadRequest, json_response
from services.gateway.ratelimit import TooManyRequests, client_address
from services.gateway.routes.document_pages import dossier_form_context
from services.gateway.routing import (
    FORM_NUMBERS,
    attachment,
    endpoint,
    html_response,
    idempotency_key,
    read_json,
)
from services.gateway.web.render import printable


class DossierRoutes:
    @endpoint(
        "POST",
        "/api/v1/dossiers",
        body=schemas.SubmitDossierRequest,
        response=schemas.SubmitDossierResponse,
        status=201,
        idempotent=True,
    )
    def submit_dossier(self, request):
        """File a dossier. Citizen: for themself; officer (one-stop desk): for an applicant.

        `Idempotency-Key` header: a retry with the same key and body answers with the same dossier (200,
        `replayed: true`) instead of filing another; the same key with another body: 409."""
        principal = self.auth.principal(request)
        wait = self.web.submit_limit.check("sub:" + principal.subject)
        if wait:
            raise TooManyRequests(
                "too_many_submissions",
                "Nộp quá nhiều hồ sơ trong thời gian ngắn, vui lòng thử lại sau.",
                wait,
            )
        body = schemas.validate_body(schemas.SubmitDossierRequest, read_json(request))
        if principal.kind == "officer" and "channel" not in body:
            body["channel"] = "counter"
        # Without a client key, one per HTTP request: if the broker fails between intake's commit and its reply,
        # the redelivered RPC finds the key and answers from it instead of filing the dossier twice.
        client_key = idempotency_key(request)
        key = client_key or f"request:{uuid.uuid4()}"
        result = call(self.intake.submit_dossier, body, viewer(principal), key, timeout=15)
        if not client_key:
            # A replay of our own key is the redelivered request answering this very call: still a creation.
            result.pop("replayed", None)
        status = 200 if result.get("replayed") else 201
        return json_response(result, status, {"Location": f"/api/v1/dossiers/{result['code']}"})

    @endpoint("GET", "/api/v1/dossiers/<string:code>")
    def get_dossier(self, request, code):
        """A dossier with its status, due date (explained), steps, history and the actions you may take."""
        principal = self.auth.principal(request)
        dossier, case = self._visible_dossier(principal, code)
        dossier["status"] = case["status"] if case else "submitted"
        dossier["case"] = case
        dossier["history"] = [
            {
                "seq": 0,
                "action": "submit",
                "to_status": "submitted",
                "at": dossier["submitted_at"],
                "actor": "applicant",
            }
        ] + (case["history"] if case else [])
        try:
            dossier["notifications"] = call(self.notify.list_notifications, code, timeout=3)
        except Unavailable:
            dossier["notifications"] = None  # the timeline still shows; notifications come back with notify
        return json_response(dossier)

    @endpoint("GET", "/api/v1/me/dossiers", query=("limit", "before"))
    def my_dossiers_api(self, request):
        """The signed-in citizen's dossiers, newest first; cursor pagination (`next` → `before`)."""
        principal = self._citizen(request)
        try:
            limit = int(request.args.get("limit", "20"))
        except ValueError:
            raise BadRequest("invalid_query", "limit phải là số nguyên.") from None
        return json_response(
            call(self.intake.list_dossiers, viewer(principal), limit, request.args.get("before") or None)
        )

    @endpoint("GET", "/api/v1/dossiers/<string:code>/result", produces="application/pdf")
    def result_file(self, request, code):
        """The dossier's signed result (PDF), for its applicant and the officers handling it."""
        principal = self.auth.principal(request)
        self._visible_dossier(principal, code)
        result = call(self.workflow.result_document, code)
        response = attachment(signed_result_path(result), "application/pdf", f"ket-qua-{code}.pdf")
        response.headers["X-Verification-Code"] = result["verification_code"]
        return response

    @endpoint(
        "POST",
        "/api/v1/dossiers/<string:code>/actions",
        body=schemas.ActionRequest,
        idempotent={
            "description": "Fills `client_txn_id` (first 80 characters): the same id with the same "
            "action acts once (`replayed: true`); with another action: 409 "
            "`client_txn_reused`.",
            "schema": {"type": "string", "minLength": 8},
        },
    )
    def act(self, request, code):
        """Take an action on a dossier (officers by role and unit: receive, request_completion, refuse_receipt...;
        citizens: complete, resubmit, withdraw). With `complete` or `resubmit`, `documents` names uploaded files
        (POST /api/v1/uploads), each the next version of a dossier document. `Idempotency-Key` (or
        `client_txn_id`) makes a retried request act once."""
        principal = self.auth.principal(request)
        body = schemas.validate_body(schemas.ActionRequest, read_json(request))
        if request.headers.get("Idempotency-Key") and not body.get("client_txn_id"):
            body["client_txn_id"] = request.headers["Idempotency-Key"][:80]
        if principal.kind not in ("citizen", "officer"):
            raise Forbidden("not_allowed", "Tài khoản không được thao tác trên hồ sơ.")
        return json_response(actions.take(self, principal, code, body))

    @endpoint("GET", "/api/v1/dossiers/<string:code>/forms/<string:number>", produces="text/html")
    def form(self, request, code, number):
        """Forms 01-06 of a dossier as printable HTML."""
        principal = self.auth.principal(request)
        if number not in FORM_NUMBERS:
            raise NotFound("unknown_form", "Mẫu phiếu phải là 01 đến 06.")
        dossier, case = self._visible_dossier(principal, code)
        context = dossier_form_context(self, principal, dossier, case)
        return html_response(call(self.workflow.render_form, code, number, context))

    @endpoint("POST", "/api/v1/dossiers/<string:code>/rating", body=schemas.RatingRequest)
    def rate(self, request, code):
        """The citizen rates the handling of their returned dossier (1-5)."""
        principal = self.auth.principal(request)
        body = schemas.validate_body(schemas.RatingRequest, read_json(request))
        call(self.intake.get_dossier, code, viewer(principal))
        return json_response(call(self.workflow.rate, code, body, viewer(principal)))

    # -- status by code, without signing in ------------------------------------------------------------------
    @endpoint("GET", "/api/v1/status/<string:code>", public=True, tag="dossiers")
    def public_status(self, request, code):
        """A dossier's status by its code, without signing in: status, agency, due date. No personal data.
        Rate limited per client address (codes follow a pattern: no walking through them)."""
        self._lookup_allowed(request)
        return json_response(call(self.workflow.public_status, code))

    def _lookup_allowed(self, request) -> None:
        wait = self.web.lookup_limit.check("ip:" + client_address(request))
        if wait:
            raise TooManyRequests(
                "too_many_lookups", "Tra cứu quá nhiều lần, vui lòng thử lại sau ít phút.", wait
            )

    @endpoint("GET", "/tra-cuu/<string:code>", public=True, tag="dossiers", produces="text/html")
    def public_status_page(self, request, code):
        """The page the links in notifications open: a dossier's status (Vietnamese, English below)."""
        self._lookup_allowed(request)
        try:
            info = call(self.workflow.public_status, code)
        except NotFound:
            return printable(
                "public_status_missing.html", 404, title="Không tìm thấy hồ sơ / Dossier not found", code=code
            )
        return printable("public_status.html", title=f"Hồ sơ {info['dossier_code']}", info=info)

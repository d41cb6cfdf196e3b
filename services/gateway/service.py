"""Gateway service: the HTTP front door (`/api/v1` JSON API with its OpenAPI document, health) that calls the
other services by RPC. Every route is authenticated unless declared public."""
from __future__ import annotations

import html
import uuid
from datetime import datetime

from kombu import Connection
from nameko.rpc import RpcProxy
from werkzeug.wrappers import Response

from services.chassis.clock import LEGAL_TZ
from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.errors import Forbidden, InvalidInput, NotFound, Unavailable
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.chassis.rpc import call
from services.gateway import actions, openapi, schemas, storage
from services.gateway.auth import Authenticator, viewer
from services.gateway.files import body_stream, receive_upload, signed_result_path
from services.gateway.problems import (
    BadRequest,
    json_response,
)
from services.gateway.ratelimit import TooManyRequests, client_address
from services.gateway.routing import (  # noqa: F401
    FORM_NUMBERS,
    MAX_BODY_BYTES,
    attachment,
    created,
    endpoint,
    html_response,
    idempotency_key,
    read_json,
)
from services.gateway.session_routes import SessionRoutes
from services.gateway.subscriptions import SubscriptionRoutes
from services.gateway.verification import PortalSyncRoutes, VerificationRoutes
from services.gateway.web.base import HERE as WEB_DIR
from services.gateway.web.base import WebSupport, page
from services.gateway.web.citizen import CitizenPages
from services.gateway.web.officer import OfficerPages
from services.gateway.web.signin import SignInPages

BACKENDS = ("intake", "workflow", "registry", "notify", "payment")


class GatewayService(SessionRoutes, SubscriptionRoutes, VerificationRoutes, PortalSyncRoutes, SignInPages,
                     CitizenPages, OfficerPages):
    name = "gateway"

    # Sign-in sessions only (services/gateway/storage.py): the gateway publishes no events, so no outbox relay.
    # Its audit chain (session revocations) is checked with `python -m services.chassis.audit verify gateway`: an
    # RPC entrypoint would give the gateway a queue, and queue-depth autoscaling a wrong signal.
    db = Database(storage.metadata, relay=False)
    auth = Authenticator()
    web = WebSupport()
    settings = SettingsProvider()
    intake = RpcProxy("intake")
    workflow = RpcProxy("workflow")
    registry = RpcProxy("registry")
    notify = RpcProxy("notify")
    payment = RpcProxy("payment")
    log = LogContext()
    metrics = EntrypointMetrics()

    # -- health and the API description ----------------------------------------------------------------------
    @endpoint("GET", "/healthz", public=True, tag="ops")
    def healthz(self, request):
        """Liveness: the process answers."""
        return json_response({"status": "ok"})

    @endpoint("GET", "/readyz", public=True, tag="ops")
    def readyz(self, request):
        """Readiness: the broker is reachable and every service answers with its database reachable."""
        checks, ok = {}, True
        try:
            with Connection(self.settings.amqp_uri, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["broker"], ok = f"failed: {type(exc).__name__}", False
        if ok:
            for name in BACKENDS:
                try:
                    call(getattr(self, name).health, timeout=2)
                    checks[name] = "ok"
                except Exception as exc:  # noqa: BLE001
                    checks[name], ok = f"failed: {type(exc).__name__}", False
        return json_response({"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503)

    @endpoint("GET", "/api/v1/openapi.json", public=True, tag="ops")
    def openapi_document(self, request):
        """This API's OpenAPI 3.1 document."""
        return json_response(openapi.build())

    # -- catalogue (public) -------------------------------------------------------------------------------
    @endpoint("GET", "/api/v1/procedures", public=True, tag="catalogue", query=schemas.PROCEDURES_QUERY,
              response=schemas.ProcedureList)
    def list_procedures(self, request):
        """Procedures in force: code, name, documents, fee, processing time; searched and filtered.

        `q` matches codes and words with or without diacritics ("xay dung" finds "Xây dựng", "dang ky" finds
        "Đăng ký"); every word must start a word of the procedure's name, field or code. An unknown `level`,
        `field` or `online` value, or an unknown parameter, is refused with 422."""
        names = {q["name"] for q in schemas.PROCEDURES_QUERY}
        unknown = sorted(set(request.args) - names)
        if unknown:
            raise InvalidInput("unknown_parameter", f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
                               {"parameters": unknown, "allowed": sorted(names)})
        args = request.args
        found = call(self.workflow.search_procedures, {"q": args.get("q", ""), "level": args.get("level") or None,
                                                       "field": args.get("field") or None,
                                                       "online": args.get("online") or None})
        return json_response({"items": found["items"], "total": found["total"]})

    # -- dossiers -----------------------------------------------------------------------------------------
    @endpoint("POST", "/api/v1/dossiers", body=schemas.SubmitDossierRequest, response=schemas.SubmitDossierResponse,
              status=201, idempotent=True)
    def submit_dossier(self, request):
        """File a dossier. Citizen: for themself; officer (one-stop desk): for an applicant.

        `Idempotency-Key` header: a retry with the same key and body answers with the same dossier (200,
        `replayed: true`) instead of filing another; the same key with another body: 409."""
        principal = self.auth.principal(request)
        wait = self.web.submit_limit.check("sub:" + principal.subject)
        if wait:
            raise TooManyRequests("too_many_submissions", "Nộp quá nhiều hồ sơ trong thời gian ngắn, vui lòng thử "
                                  "lại sau.", wait)
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

    @endpoint("GET", "/api/v1/procedures/<string:code>/prefill")
    def prefill(self, request, code):
        """For the signed-in citizen: their data from the registry and, per required document, the valid ones
        they already hold (reuse instead of uploading)."""
        principal = self.auth.principal(request)
        return json_response(call(self.intake.prepare, code, viewer(principal)))

    @endpoint("POST", "/api/v1/uploads", status=201, idempotent=True)
    def upload(self, request):
        """Upload one file (PDF, JPEG or PNG; raw body with its Content-Type; `X-File-Name` optional). The
        content is checked, not the name; refused files leave nothing behind.

        `Idempotency-Key` header: a retry with the same key and the same content answers with the first upload's
        record (200, `replayed: true`) and keeps no second copy; the same key with other content: 409."""
        principal = self.auth.principal(request)
        record = receive_upload(self.intake, body_stream(request), request.headers.get("Content-Type", ""),
                                request.content_length, request.headers.get("X-File-Name") or "", viewer(principal),
                                idempotency_key(request))
        record.pop("file_name")
        return created(record)

    # -- drafts -------------------------------------------------------------------------------------------
    @endpoint("POST", "/api/v1/drafts", tag="drafts", status=201, idempotent=True)
    def create_draft(self, request):
        """Save a partly filled dossier to resume later.

        `Idempotency-Key` header: a retry with the same key and body answers with the draft the first request
        created (200, `replayed: true`); the same key with another body: 409."""
        principal = self.auth.principal(request)
        return created(call(self.intake.save_draft, None, read_json(request), viewer(principal),
                            idempotency_key(request)))

    @endpoint("PUT", "/api/v1/drafts/<string:draft_id>", tag="drafts")
    def update_draft(self, request, draft_id):
        """Replace a draft's content."""
        principal = self.auth.principal(request)
        return json_response(call(self.intake.save_draft, draft_id, read_json(request), viewer(principal)))

    @endpoint("GET", "/api/v1/drafts/<string:draft_id>", tag="drafts")
    def get_draft(self, request, draft_id):
        """A saved draft."""
        principal = self.auth.principal(request)
        return json_response(call(self.intake.get_draft, draft_id, viewer(principal)))

    @endpoint("GET", "/api/v1/drafts", tag="drafts")
    def list_drafts(self, request):
        """The caller's drafts, last changed first."""
        principal = self.auth.principal(request)
        return json_response({"items": call(self.intake.list_drafts, viewer(principal))})

    @endpoint("DELETE", "/api/v1/drafts/<string:draft_id>", tag="drafts")
    def delete_draft(self, request, draft_id):
        """Discard a draft."""
        principal = self.auth.principal(request)
        return json_response(call(self.intake.delete_draft, draft_id, viewer(principal)))

    # -- personal data: the citizen's view and agencies' reads ----------------------------------------------
    def _citizen(self, request):
        principal = self.auth.principal(request)
        if principal.kind != "citizen":
            raise Forbidden("citizens_only", "Chức năng dành cho công dân.")
        return principal

    @endpoint("GET", "/api/v1/me/access-log", tag="personal-data")
    def my_access_log(self, request):
        """Who read my data, when, why, for which dossier, and whether it was allowed."""
        principal = self._citizen(request)
        return json_response({"items": call(self.registry.access_log, principal.subject)})

    @endpoint("GET", "/api/v1/me/consents", tag="personal-data")
    def my_consents(self, request):
        """The consents I gave to agencies."""
        principal = self._citizen(request)
        return json_response({"items": call(self.registry.list_consents, principal.subject)})

    @endpoint("POST", "/api/v1/me/consents", tag="personal-data", status=201, idempotent=True)
    def grant_consent(self, request):
        """Let an agency read a category of my data for a purpose, until a date.

        `Idempotency-Key` header: a retry with the same key and body answers with the consent the first request
        granted (200, `replayed: true`); the same key with another body: 409."""
        principal = self._citizen(request)
        return created(call(self.registry.grant_consent, principal.subject, read_json(request),
                            idempotency_key(request)))

    @endpoint("DELETE", "/api/v1/me/consents/<int:consent_id>", tag="personal-data")
    def revoke_consent(self, request, consent_id):
        """Withdraw a consent."""
        principal = self._citizen(request)
        return json_response(call(self.registry.revoke_consent, principal.subject, consent_id))

    @endpoint("GET", "/api/v1/registry/persons/<string:id_number>", tag="agencies",
              query=("category", "purpose", "dossier_code"))
    def agency_read_person(self, request, id_number):
        """For agencies: one category of a person's data, for a purpose the person consented to (logged)."""
        principal = self.auth.principal(request)
        if principal.kind not in ("agency", "officer") or not principal.unit:
            raise Forbidden("agencies_only", "Chức năng dành cho cơ quan.")
        category, purpose = request.args.get("category"), request.args.get("purpose")
        if not category or not purpose:
            raise InvalidInput("invalid_query", "Cần category và purpose.")
        return json_response(call(self.registry.agency_read, principal.unit, id_number, category, purpose,
                                  request.args.get("dossier_code", "")))

    def _visible_dossier(self, principal, code: str) -> tuple[dict, dict | None]:
        """The dossier and its case if `principal` may see them (404 otherwise, to leak nothing)."""
        dossier = call(self.intake.get_dossier, code, viewer(principal))
        try:
            case = call(self.workflow.get_case, code, viewer(principal))
        except NotFound:
            case = None
        if principal.kind == "officer":
            units = {dossier["receiving_agency_code"]} | ({case["agency_code"]} | {s["agency_code"] for s in case["steps"]}
                                                         if case else set())
            if principal.unit not in units:
                raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        elif principal.kind != "citizen":
            raise Forbidden("not_allowed", "Tài khoản không được xem hồ sơ này.")
        return dossier, case

    @endpoint("GET", "/api/v1/dossiers/<string:code>")
    def get_dossier(self, request, code):
        """A dossier with its status, due date (explained), steps, history and the actions you may take."""
        principal = self.auth.principal(request)
        dossier, case = self._visible_dossier(principal, code)
        dossier["status"] = case["status"] if case else "submitted"
        dossier["case"] = case
        dossier["history"] = [{"seq": 0, "action": "submit", "to_status": "submitted",
                               "at": dossier["submitted_at"], "actor": "applicant"}] + (case["history"] if case else [])
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
        return json_response(call(self.intake.list_dossiers, viewer(principal), limit,
                                  request.args.get("before") or None))

    @endpoint("GET", "/api/v1/dossiers/<string:code>/result", produces="application/pdf")
    def result_file(self, request, code):
        """The dossier's signed result (PDF), for its applicant and the officers handling it."""
        principal = self.auth.principal(request)
        self._visible_dossier(principal, code)
        result = call(self.workflow.result_document, code)
        response = attachment(signed_result_path(result), "application/pdf", f"ket-qua-{code}.pdf")
        response.headers["X-Verification-Code"] = result["verification_code"]
        return response

    @endpoint("POST", "/api/v1/dossiers/<string:code>/actions", body=schemas.ActionRequest,
              idempotent={"description": "Fills `client_txn_id` (first 80 characters): the same id with the same "
                                         "action acts once (`replayed: true`); with another action: 409 "
                                         "`client_txn_reused`.",
                          "schema": {"type": "string", "minLength": 8}})
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
        self._visible_dossier(principal, code)
        return html_response(call(self.workflow.render_form, code, number))

    @endpoint("POST", "/api/v1/dossiers/<string:code>/rating", body=schemas.RatingRequest)
    def rate(self, request, code):
        """The citizen rates the handling of their returned dossier (1-5)."""
        principal = self.auth.principal(request)
        body = schemas.validate_body(schemas.RatingRequest, read_json(request))
        call(self.intake.get_dossier, code, viewer(principal))
        return json_response(call(self.workflow.rate, code, body, viewer(principal)))

    # -- payment ------------------------------------------------------------------------------------------
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
        return created(call(self.payment.start_payment, code, client_address(request), principal.subject,
                            idempotency_key(request)))

    @endpoint("GET", "/api/v1/payments/vnpay/ipn", public=True, tag="payments")
    def vnpay_ipn(self, request):
        """The gateway's signed server-to-server callback (public by design: the signature is the check)."""
        return json_response(call(self.payment.handle_ipn, dict(request.args.items())))

    @endpoint("POST", "/api/v1/notifications/receipts", public=True, tag="ops")
    def provider_receipt(self, request):
        """Delivery receipts from the SMS/Zalo provider (public by design: the provider's signature is the check)."""
        if request.content_length and request.content_length > 16 * 1024:
            raise BadRequest("body_too_large", "Biên nhận quá lớn.")
        body = request.get_data(cache=False).decode("utf-8", errors="replace")
        return json_response(call(self.notify.provider_receipt, body, request.headers.get("X-Sandbox-Signature", "")))

    @endpoint("GET", "/api/v1/status/<string:code>", public=True, tag="dossiers")
    def public_status(self, request, code):
        """A dossier's status by its code, without signing in: status, agency, due date. No personal data.
        Rate limited per client address (codes follow a pattern: no walking through them)."""
        self._lookup_allowed(request)
        return json_response(call(self.workflow.public_status, code))

    def _lookup_allowed(self, request) -> None:
        wait = self.web.lookup_limit.check("ip:" + client_address(request))
        if wait:
            raise TooManyRequests("too_many_lookups", "Tra cứu quá nhiều lần, vui lòng thử lại sau ít phút.", wait)

    @endpoint("GET", "/tra-cuu/<string:code>", public=True, tag="dossiers", produces="text/html")
    def public_status_page(self, request, code):
        """The page the links in notifications open: a dossier's status (Vietnamese, English below)."""
        e = _escape
        self._lookup_allowed(request)
        try:
            info = call(self.workflow.public_status, code)
        except NotFound:
            return html_response(_page("Không tìm thấy hồ sơ / Dossier not found",
                                       f"<p>Không có hồ sơ mã <strong>{e(code)}</strong>. Vui lòng kiểm tra lại mã trên "
                                       "giấy tiếp nhận.</p><p lang=\"en\">No dossier has this code.</p>"), 404)

        def local(value):
            if not value:
                return "—"
            return datetime.fromisoformat(value).astimezone(LEGAL_TZ).strftime("%H:%M %d/%m/%Y")

        label = info["status_label"] or {}
        rows = [("Mã hồ sơ / Code", info["dossier_code"]),
                ("Thủ tục / Procedure", (info["procedure"]["name"] or {}).get("vi", info["procedure"]["code"])),
                ("Cơ quan giải quyết / Agency", (info["agency"] or {}).get("name", "—")),
                ("Trạng thái / Status", f"{label.get('vi', info['status'])} / {label.get('en', info['status'])}"),
                ("Ngày tiếp nhận / Received", local(info["received_at"])),
                ("Hẹn trả kết quả / Due", local(info["due_at"]) + (" (đang tạm dừng / clock stopped)"
                                                                   if info["clock_stopped"] else "")),
                ("Hoàn thành / Finished", local(info["finished_at"]))]
        table = "".join(f"<tr><th scope=\"row\">{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
        return html_response(_page(f"Hồ sơ {info['dossier_code']}", f"<table>{table}</table>"
                                   "<p>Giờ Việt Nam. Trang này không hiển thị thông tin cá nhân. / Vietnam time; no "
                                   "personal data is shown.</p>"))

    @endpoint("GET", "/thanh-toan/ket-qua", public=True, tag="payments", produces="text/html")
    def payment_return(self, request):
        """Where the browser lands after the gateway: shows the outcome, changes nothing (the IPN does)."""
        ok = request.args.get("vnp_ResponseCode") == "00"
        code = request.args.get("vnp_OrderInfo", "").rsplit(" ", 1)[-1]
        text = ("Giao dịch đã được cổng thanh toán ghi nhận. Biên lai điện tử sẽ có khi hệ thống nhận được xác nhận "
                "từ cổng thanh toán." if ok else "Giao dịch không thành công hoặc đã bị huỷ. Bạn có thể thanh toán lại.")
        return html_response(f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Kết quả thanh toán</title></head>
<body><h1>{'Thanh toán thành công' if ok else 'Thanh toán chưa thành công'}</h1><p>{text}</p>
<p>Mã hồ sơ: <strong>{_escape(code)}</strong></p>
<p><a href="/ho-so/{_escape(code)}">Xem hồ sơ / View the dossier</a></p></body></html>""")

    @endpoint("GET", "/api/v1/dossiers/<string:code>/receipt", tag="payments")
    def receipt(self, request, code):
        """The e-receipt (biên lai điện tử) of the paid fee; `?format=html` for the printable one."""
        principal = self.auth.principal(request)
        self._visible_dossier(principal, code)
        data = call(self.payment.get_receipt, code)
        if request.args.get("format") == "html":
            return html_response(_receipt_html(data))
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
        return created(call(self.payment.refund, code, body.get("amount_vnd"), str(body.get("reason") or ""),
                            viewer(principal), idempotency_key(request), timeout=20))

    @endpoint("POST", "/api/v1/dossiers/<string:code>/refunds/<string:refund_id>/settlement", tag="payments")
    def settle_refund(self, request, code, refund_id):
        """Settle a refund whose outcome is unknown (the gateway's answer was lost), from the gateway's statement
        (leaders): `{"outcome": "done" | "failed", "note": "..."}`. `done`: the money went out; `failed`: it did
        not, and the amount is refundable again. Audited; only an unknown refund, once (else 409)."""
        principal = self._officer(request)
        self._visible_dossier(principal, code)
        body = read_json(request)
        return json_response(call(self.payment.settle_refund, code, refund_id, str(body.get("outcome") or ""),
                                  str(body.get("note") or ""), viewer(principal)))

    # -- officers -----------------------------------------------------------------------------------------
    def _officer(self, request):
        principal = self.auth.principal(request)
        if principal.kind != "officer":
            raise Forbidden("officers_only", "Chức năng dành cho cán bộ.")
        return principal

    @endpoint("GET", "/api/v1/queue", tag="officers", query=("status", "procedure_code", "due", "limit", "cursor"))
    def work_queue(self, request):
        """The officer's unit queue, soonest due first; filters: status, procedure_code, due=soon|overdue."""
        principal = self._officer(request)
        args = request.args
        due = args.get("due")
        if due not in (None, "soon", "overdue"):
            raise BadRequest("invalid_query", "due phải là 'soon' hoặc 'overdue'.")
        try:
            limit = int(args.get("limit", "50"))
        except ValueError:
            raise BadRequest("invalid_query", "limit phải là số nguyên.") from None
        return json_response(call(self.workflow.work_queue, principal.unit, args.get("status"),
                                  args.get("procedure_code"), due, limit, args.get("cursor")))

    @endpoint("GET", "/api/v1/statistics", tag="officers", query=schemas.STATISTICS_QUERY)
    def statistics(self, request):
        """Service-quality indicators (Decision 766/QĐ-TTg) for an administrative unit, an agency, a level, a
        procedure and a period: received, finished early / on time / late, on-time rate, in progress, overdue,
        online share, online payment, satisfaction. `dossiers` counts each dossier once for the agency that
        received it; `steps` counts each agency for its own step of a transferred or chained dossier. An unknown
        unit, agency, level, procedure or period is refused (422), never answered with zeros."""
        self._officer(request)
        names = {q["name"] for q in schemas.STATISTICS_QUERY}
        unknown = sorted(set(request.args) - names)
        if unknown:
            raise InvalidInput("unknown_parameter", f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
                               {"parameters": unknown, "allowed": sorted(names)})
        return json_response(call(self.workflow.statistics, {k: v for k, v in request.args.items() if v}))

    @endpoint("GET", "/api/v1/logbook", tag="officers", produces="text/html")
    def logbook(self, request):
        """Form 07: the logbook of the officer's unit."""
        principal = self._officer(request)
        return html_response(call(self.workflow.render_logbook, principal.unit))

    @endpoint("POST", "/api/v1/units/merges", tag="officers", body=schemas.MergeRequest)
    def merge_units(self, request):
        """Merge administrative units (leaders): open dossiers move to the successor, statistics roll up."""
        principal = self._officer(request)
        body = schemas.validate_body(schemas.MergeRequest, read_json(request))
        return json_response(call(self.workflow.merge_units, body, viewer(principal), timeout=30))

    # -- the legal calendar -----------------------------------------------------------------------------------
    @endpoint("GET", "/api/v1/calendar/corrections", public=True, tag="calendar")
    def calendar_corrections(self, request):
        """Corrections of the working calendar published at run time (each with the notice that decides it)."""
        return json_response({"items": call(self.workflow.calendar_corrections)})

    @endpoint("POST", "/api/v1/calendar/corrections", tag="calendar", body=schemas.CalendarCorrectionRequest,
              status=201)
    def publish_calendar_correction(self, request):
        """Publish a calendar correction (province administrators, `admin` role): a day off or a working day with
        its legal source. Audited; deadlines computed afterwards use it; open dossiers whose legal time it
        lengthens get a later due date (recorded in their due explanation and history), never an earlier one."""
        principal = self._officer(request)
        body = schemas.validate_body(schemas.CalendarCorrectionRequest, read_json(request))
        return json_response(call(self.workflow.publish_calendar_correction, body, viewer(principal), timeout=30),
                             201)

    # -- web assets and printable pages ---------------------------------------------------------------------
    @page("GET", "/static/app.css", public=True)
    def stylesheet(self, wr):
        response = wr.secure(Response((WEB_DIR / "static" / "app.css").read_bytes(), mimetype="text/css"))
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    @page("GET", "/ho-so/<string:code>/bien-lai", kinds=("citizen", "officer"))
    def receipt_page(self, wr, code):
        """The e-receipt of the paid fee, printable."""
        self._visible_dossier(wr.principal, code)
        return html_response(_receipt_html(call(self.payment.get_receipt, code)))

    # -- local development identity provider ------------------------------------------------------------------
    @endpoint("POST", "/dev/token", public=True, tag="dev", body=schemas.TokenRequest)
    def dev_token(self, request):
        """Local mode only: a signed token for a demo citizen or officer. 404 outside local mode."""
        if self.auth.dev_idp is None:
            raise NotFound("not_found", "Không tìm thấy.")
        body = schemas.validate_body(schemas.TokenRequest, read_json(request))
        kind = body.get("kind", "citizen")
        token = self.auth.dev_idp.issue(
            body["sub"], kind=kind, name=str(body.get("name") or ""), unit=body.get("unit"),
            roles=tuple(body.get("roles") or ()), ttl_seconds=int(body.get("ttl_seconds") or 3600),
        )
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    @endpoint("GET", "/dev-idp/jwks.json", public=True, tag="dev")
    def dev_jwks(self, request):
        """Local mode only: the development identity provider's public keys."""
        if self.auth.dev_idp is None:
            raise NotFound("not_found", "Không tìm thấy.")
        return json_response(self.auth.dev_idp.jwks())

    # Unknown paths and methods: services/gateway/webserver.py answers them with a problem.


def _escape(value: str) -> str:
    return html.escape(value or "")


def _receipt_html(data: dict) -> str:
    rows = "".join(f"<tr><td>{_escape(line['name'])}</td><td>{line['quantity']}</td>"
                   f"<td style='text-align:right'>{line['amount']:,} đ</td></tr>" for line in data["lines"])
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Biên lai {_escape(data['number'])}</title>
<style>body{{font-family:"Times New Roman","Noto Serif",serif;max-width:18cm;margin:1cm auto}}
table{{width:100%;border-collapse:collapse}}td,th{{border:1px solid #000;padding:4px}}</style></head><body>
<h1 style="text-align:center;font-size:1.2em">BIÊN LAI THU PHÍ, LỆ PHÍ (ĐIỆN TỬ)</h1>
<p>Số: <strong>{_escape(data['number'])}</strong> · Ngày: {_escape(data['issued_at'])}</p>
<p>Người nộp: {_escape(data['payer_name'])} · Hồ sơ: {_escape(data['dossier_code'])}</p>
<table><thead><tr><th>Khoản thu</th><th>Số lượng</th><th>Số tiền</th></tr></thead><tbody>{rows}</tbody></table>
<p><strong>Tổng cộng: {data['amount_vnd']:,} đồng</strong> · Mã giao dịch: {_escape(data.get('gateway_transaction_no') or '')}</p>
</body></html>"""


def _page(title: str, body: str) -> str:
    """A small public page, readable on a phone."""
    return (f"<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{_escape(title)}"
            "</title><style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:40rem;color:#1a1a1a}"
            "th{text-align:left;padding:.4rem .8rem .4rem 0;vertical-align:top}td{padding:.4rem 0}"
            f"</style></head><body><main><h1>{_escape(title)}</h1>{body}</main></body></html>")

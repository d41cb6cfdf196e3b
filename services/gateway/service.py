"""Gateway service: the HTTP front door (`/api/v1` JSON API, health) that calls the other services by RPC."""
from __future__ import annotations

import functools
import json
import time

from kombu import Connection
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from prometheus_client import Histogram

from services.chassis.dependencies import SettingsProvider
from services.chassis.errors import Forbidden, NotFound, ServiceError, Unavailable
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.chassis.rpc import call
from services.gateway.auth import Authenticator, viewer
from services.gateway.problems import BadRequest, UnsupportedMediaType, json_response, problem
from services.gateway.problems import from_error as problem_from_error

HTTP_SECONDS = Histogram(
    "motcua_gateway_http_request_duration_seconds",
    "HTTP requests served by the gateway, by route template, method and status code.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
BACKENDS = ("intake", "workflow", "registry", "notify", "payment")
MAX_BODY_BYTES = 256 * 1024


def endpoint(method: str, route: str):
    """`@http` plus what every route needs: problem+json for every error, security headers, metrics."""

    def decorate(fn):
        @functools.wraps(fn)
        def handler(self, request, *args, **kwargs):
            started = time.perf_counter()
            try:
                response = fn(self, request, *args, **kwargs)
            except ServiceError as exc:
                response = problem_from_error(exc)
            except Exception:  # noqa: BLE001 - an unexpected error is a 500 problem, never a stack trace
                self.log.exception("http_handler_failed", route=route)
                response = problem(500, "internal_error", "Lỗi hệ thống", "Đã có lỗi xảy ra, vui lòng thử lại sau.")
            HTTP_SECONDS.labels(request.method, route, str(response.status_code)).observe(time.perf_counter() - started)
            return response

        return http(method, route)(handler)

    return decorate


def read_json(request) -> dict:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise BadRequest("body_too_large", f"Nội dung gửi lên vượt quá {MAX_BODY_BYTES // 1024} KB.")
    mimetype = request.mimetype or ""
    if mimetype != "application/json":
        raise UnsupportedMediaType("unsupported_media_type", "Nội dung phải là JSON (Content-Type: application/json).")
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("malformed_json", "Nội dung JSON không đọc được.", {"error": str(exc)}) from None
    if not isinstance(body, dict):
        raise BadRequest("malformed_json", "Nội dung JSON phải là một đối tượng.")
    return body


class GatewayService:
    name = "gateway"

    auth = Authenticator()
    settings = SettingsProvider()
    intake = RpcProxy("intake")
    workflow = RpcProxy("workflow")
    registry = RpcProxy("registry")
    notify = RpcProxy("notify")
    payment = RpcProxy("payment")
    log = LogContext()
    metrics = EntrypointMetrics()

    # -- health -------------------------------------------------------------------------------------------
    @endpoint("GET", "/healthz")
    def healthz(self, request):
        """Liveness: the process answers. Public."""
        return json_response({"status": "ok"})

    @endpoint("GET", "/readyz")
    def readyz(self, request):
        """Readiness: the broker is reachable and every service answers with its database reachable. Public."""
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

    # -- catalogue (public) -------------------------------------------------------------------------------
    @endpoint("GET", "/api/v1/procedures")
    def list_procedures(self, request):
        """Procedures in force: code, name, documents, fee, processing time. Public."""
        return json_response({"items": call(self.workflow.list_procedures)})

    # -- dossiers -----------------------------------------------------------------------------------------
    @endpoint("POST", "/api/v1/dossiers")
    def submit_dossier(self, request):
        """File a dossier. Citizen: for themself; officer (one-stop desk): for an applicant. 201 + Location."""
        principal = self.auth.principal(request)
        body = read_json(request)
        if principal.kind == "officer" and "channel" not in body:
            body["channel"] = "counter"
        result = call(self.intake.submit_dossier, body, viewer(principal), timeout=15)
        return json_response(result, 201, {"Location": f"/api/v1/dossiers/{result['code']}"})

    @endpoint("GET", "/api/v1/dossiers/<string:code>")
    def get_dossier(self, request, code):
        """A dossier with its status, due date and history. Citizens see their own, officers their unit's."""
        principal = self.auth.principal(request)
        dossier = call(self.intake.get_dossier, code, viewer(principal))
        try:
            case = call(self.workflow.get_case, code)
        except NotFound:
            case = None
        if principal.kind == "officer":
            units = {dossier["receiving_agency_code"], case["agency_code"] if case else None}
            if principal.unit not in units:
                raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        elif principal.kind != "citizen":
            raise Forbidden("not_allowed", "Tài khoản không được xem hồ sơ này.")
        dossier["status"] = case["status"] if case else "submitted"
        dossier["case"] = case
        dossier["history"] = [{"seq": 0, "action": "submit", "to_status": "submitted",
                               "at": dossier["submitted_at"], "actor": "applicant"}] + (case["history"] if case else [])
        try:
            dossier["notifications"] = call(self.notify.list_notifications, code, timeout=3)
        except Unavailable:
            dossier["notifications"] = None  # the timeline still shows; notifications come back with notify
        return json_response(dossier)

    # -- local development identity provider ------------------------------------------------------------------
    @endpoint("POST", "/dev/token")
    def dev_token(self, request):
        """Local mode only: a signed token for a demo citizen or officer. 404 outside local mode."""
        if self.auth.dev_idp is None:
            raise NotFound("not_found", "Không tìm thấy.")
        body = read_json(request)
        kind = body.get("kind", "citizen")
        if kind not in ("citizen", "officer", "agency") or not isinstance(body.get("sub"), str):
            raise BadRequest("invalid_request", "Cần 'sub' (chuỗi) và 'kind' (citizen|officer|agency).")
        token = self.auth.dev_idp.issue(
            body["sub"], kind=kind, name=str(body.get("name") or body["sub"]), unit=body.get("unit"),
            roles=tuple(body.get("roles") or ()), ttl_seconds=int(body.get("ttl_seconds") or 3600),
        )
        return json_response({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    @endpoint("GET", "/dev-idp/jwks.json")
    def dev_jwks(self, request):
        """Local mode only: the development identity provider's public keys."""
        if self.auth.dev_idp is None:
            raise NotFound("not_found", "Không tìm thấy.")
        return json_response(self.auth.dev_idp.jwks())

    # -- anything else ------------------------------------------------------------------------------------
    @endpoint("GET,POST,PUT,PATCH,DELETE", "/<path:path>")
    def not_found(self, request, path):
        """Unknown routes answer with a problem too, never an HTML page."""
        raise NotFound("route_not_found", "Không có địa chỉ này.", {"path": "/" + path})

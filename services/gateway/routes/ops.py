"""What the gateway says about itself and the platform: liveness, readiness (broker and every service), this
API's OpenAPI document, the stylesheet of the pages; and the SMS/Zalo provider's delivery receipts."""

from __future__ import annotations

from kombu import Connection
from werkzeug.wrappers import Response

from services.chassis.rpc import call
from services.gateway import openapi
from services.gateway.problems import BadRequest, json_response
from services.gateway.routing import endpoint
from services.gateway.web.base import page
from services.gateway.web.render import HERE as WEB_DIR

BACKENDS = ("intake", "workflow", "registry", "notify", "payment")


class OpsRoutes:
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

    @endpoint("POST", "/api/v1/notifications/receipts", public=True, tag="ops")
    def provider_receipt(self, request):
        """Delivery receipts from the SMS/Zalo provider (public by design: the provider's signature is the check)."""
        if request.content_length and request.content_length > 16 * 1024:
            raise BadRequest("body_too_large", "Biên nhận quá lớn.")
        body = request.get_data(cache=False).decode("utf-8", errors="replace")
        return json_response(
            call(self.notify.provider_receipt, body, request.headers.get("X-Sandbox-Signature", ""))
        )

    @page("GET", "/static/app.css", public=True)
    def stylesheet(self, wr):
        response = wr.secure(Response((WEB_DIR / "static" / "app.css").read_bytes(), mimetype="text/css"))
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

"""Route plumbing shared by every group of gateway routes: `@endpoint` (problem+json on every error, security
headers, metrics, OpenAPI entry), JSON body reading and HTML responses. Route groups live in their own modules as
mixins of `GatewayService` and import from here."""

from __future__ import annotations

import functools
import inspect
import json
import time

from prometheus_client import Histogram
from werkzeug.wrappers import Response

from services.chassis.errors import ServiceError
from services.gateway import openapi
from services.gateway.problems import (
    SECURITY_HEADERS,
    BadRequest,
    UnsupportedMediaType,
    json_response,
    problem,
)
from services.gateway.problems import from_error as problem_from_error
from services.gateway.webserver import http

HTTP_SECONDS = Histogram(
    "motcua_gateway_http_request_duration_seconds",
    "HTTP requests served by the gateway, by route template, method and status code.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
MAX_BODY_BYTES = 256 * 1024
FORM_NUMBERS = {"01", "02", "03", "04", "05", "06"}


def endpoint(
    method: str,
    route: str,
    *,
    summary: str = "",
    tag: str = "dossiers",
    public: bool = False,
    body=None,
    response=None,
    status: int = 200,
    query: tuple = (),
    produces: str = "application/json",
    idempotent: bool | dict = False,
    consumes: dict | None = None,
):
    """`@http` plus what every route needs: problem+json for every error, security headers, metrics, and an
    entry in the OpenAPI document. `idempotent`: the route honours an `Idempotency-Key` header (True, or what
    differs from openapi.IDEMPOTENCY_KEY in the header's description). `consumes`: a body other than JSON, as
    {media type: schema}."""

    def decorate(fn):
        doc = inspect.cleandoc(fn.__doc__ or "")
        openapi.ROUTES.append(
            {
                "method": method,
                "path": route,
                "summary": summary or doc.split("\n")[0],
                "description": doc,
                "name": fn.__name__,
                "tag": tag,
                "public": public,
                "body": body,
                "response": response,
                "status": status,
                "query": query,
                "produces": produces,
                "idempotent": idempotent,
                "consumes": consumes,
            }
        )
        return http(method, route)(_answering(fn, route))

    return decorate


def _answering(fn, route: str):
    """`fn` answering problem+json for every error, its time measured by method, route template and status."""

    @functools.wraps(fn)
    def handler(self, request, *args, **kwargs):
        started = time.perf_counter()
        try:
            response_ = fn(self, request, *args, **kwargs)
        except ServiceError as exc:
            response_ = problem_from_error(exc)
        except Exception:  # noqa: BLE001 - an unexpected error is a 500 problem, never a stack trace
            self.log.exception("http_handler_failed", route=route)
            response_ = problem(
                500, "internal_error", "Lỗi hệ thống", "Đã có lỗi xảy ra, vui lòng thử lại sau."
            )
        HTTP_SECONDS.labels(request.method, route, str(response_.status_code)).observe(
            time.perf_counter() - started
        )
        return response_

    return handler


def read_json(request) -> dict:
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise BadRequest("body_too_large", f"Nội dung gửi lên vượt quá {MAX_BODY_BYTES // 1024} KB.")
    if (request.mimetype or "") != "application/json":
        raise UnsupportedMediaType(
            "unsupported_media_type", "Nội dung phải là JSON (Content-Type: application/json)."
        )
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("malformed_json", "Nội dung JSON không đọc được.", {"error": str(exc)}) from None
    if not isinstance(body, dict):
        raise BadRequest("malformed_json", "Nội dung JSON phải là một đối tượng.")
    return body


def idempotency_key(request) -> str | None:
    """The client's `Idempotency-Key` header, None without one (the owning service checks it and keeps it)."""
    return request.headers.get("Idempotency-Key") or None


def created(result: dict, headers: dict | None = None) -> Response:
    """The answer of a create: 201, or 200 when it replays an earlier request with the same Idempotency-Key."""
    return json_response(result, 200 if result.get("replayed") else 201, headers)


def attachment(path, media_type: str, filename: str, inline: bool = False) -> Response:
    """A stored file to download (or, `inline`, to open in the browser: a PDF in its viewer, an image), with the
    security headers; their `default-src 'none'` lets chromium's PDF viewer draw the file and nothing run."""
    response = Response(path.read_bytes(), mimetype=media_type or "application/octet-stream")
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    for key, value in SECURITY_HEADERS.items():
        response.headers[key] = value
    return response


def html_response(text: str, status: int = 200) -> Response:
    response = Response(text, status=status, mimetype="text/html")
    for key, value in SECURITY_HEADERS.items():
        response.headers[key] = value
    # Printable forms carry their own inline style and nothing else.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    return response

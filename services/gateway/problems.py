"""HTTP answers: JSON, and errors as RFC 9457 `application/problem+json` (one table for every error)."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

from services.chassis.errors import ServiceError

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

ENGLISH_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    422: "Invalid data",
    500: "Internal error",
    503: "Service unavailable",
}


class BadRequest(ServiceError):
    http_status = 400
    title = "Yêu cầu không hợp lệ"


class Unauthenticated(ServiceError):
    http_status = 401
    title = "Cần đăng nhập"


class UnsupportedMediaType(ServiceError):
    http_status = 415
    title = "Kiểu dữ liệu không được hỗ trợ"


def json_response(payload, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(payload, ensure_ascii=False), status=status, mimetype="application/json")
    for key, value in {**SECURITY_HEADERS, **(headers or {})}.items():
        response.headers[key] = value
    return response


def problem(
    status: int,
    code: str,
    title: str,
    detail: str = "",
    extra: dict | None = None,
    headers: dict | None = None,
) -> Response:
    body = {
        "type": f"https://motcua.example/problems/{code}",
        "title": title,
        "title_en": ENGLISH_TITLES.get(status, ""),
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    if extra:
        body.update(extra)
    response = json_response(body, status=status, headers=headers)
    response.mimetype = "application/problem+json"
    return response


# A 503 (service_timeout, broker_unavailable, service_unavailable) does not say the request did nothing: the
# service may have acted and only its answer was lost (a timeout, a broker that went away after the publish).
RETRY_ADVICE = {
    "retry": {
        "same_idempotency_key": True,
        "may_have_been_processed": True,
        "vi": "Yêu cầu có thể đã được thực hiện (ví dụ hồ sơ đã được nộp) dù chưa nhận được phản hồi. Hãy gửi lại "
        "đúng yêu cầu này với CÙNG Idempotency-Key: nếu lần trước đã thực hiện, hệ thống trả lại kết quả đó, "
        "không tạo bản thứ hai.",
        "en": "The request may have been carried out (e.g. the dossier filed) although no answer came back. Send "
        "the same request again with the SAME Idempotency-Key: if the first attempt acted, you get its "
        "answer back and nothing is created twice.",
    }
}


def from_error(exc: ServiceError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="motcua"'} if exc.http_status == 401 else None
    if exc.http_status == 429:
        headers = {"Retry-After": str(exc.details.get("retry_after_seconds", 60))}
    extra = {"errors": exc.details} if exc.details else {}
    if exc.http_status == 503:
        extra.update(RETRY_ADVICE)
    return problem(exc.http_status, exc.code, exc.title, exc.message, extra or None, headers)

"""Typed errors that cross RPC boundaries intact, and their HTTP meaning.

nameko serialises an exception by its import path; registering these classes with nameko's error registry
makes the caller get the same type back (with code, message and details) instead of a bare RemoteError.
Services raise these (with their own `code`), the gateway turns them into `application/problem+json`.
"""

from __future__ import annotations

from typing import Any

from nameko.exceptions import registry as _nameko_error_registry


class ServiceError(Exception):
    """Base of every typed MotCua error. `code` is stable and machine-readable; `message` is Vietnamese."""

    http_status = 500
    title = "Lỗi hệ thống"

    def __init__(self, code: str, message: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, details or {})
        self.code = code
        self.message = message or code
        self.details: dict[str, Any] = details or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidInput(ServiceError):
    """The request is well-formed but its content breaks a rule (field errors in `details`)."""

    http_status = 422
    title = "Dữ liệu không hợp lệ"


class NotFound(ServiceError):
    http_status = 404
    title = "Không tìm thấy"


class Conflict(ServiceError):
    http_status = 409
    title = "Xung đột dữ liệu"


class Forbidden(ServiceError):
    http_status = 403
    title = "Không có quyền"


class Unavailable(ServiceError):
    http_status = 503
    title = "Dịch vụ tạm thời không sẵn sàng"


for _cls in (ServiceError, InvalidInput, NotFound, Conflict, Forbidden, Unavailable):
    _nameko_error_registry[f"{_cls.__module__}.{_cls.__name__}"] = _cls

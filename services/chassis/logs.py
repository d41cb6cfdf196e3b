"""Structured JSON logs (structlog) with the nameko call id and dossier code bound per worker.

Personal data is masked by a processor, not by discipline: ID numbers, phone numbers and e-mail addresses are
masked wherever they appear in an event's values.
"""

from __future__ import annotations

import logging
import re
import sys
from urllib.parse import unquote

import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from services.chassis.errors import ServiceError
from services.chassis.nameko_types import DependencyProvider, WorkerContext

_ID_NUMBER = re.compile(r"(?<!\d)(\d{9})(\d{3})(?!\d)")  # 12-digit personal ID: keep the last 3 digits
_PHONE = re.compile(r"(?<![\d.])((?:\+?84|0)\d{2})\d{4,5}(\d{3})(?![\d.])")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+)")
_SECRET_KEYS = {"password", "secret", "token", "authorization", "access_token", "id_token", "api_key"}


def mask_text(value: str) -> str:
    """Mask personal identifiers inside free text.

    Percent-encoded text (a request path, a query string) is decoded first: in `/persons/%20037090000001` the
    ID number follows the digits of `%20` and would not stand alone as twelve digits."""
    if "%" in value:
        value = unquote(value)
    value = _ID_NUMBER.sub(lambda m: "*" * 9 + m.group(2), value)
    value = _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), value)
    return _EMAIL.sub(lambda m: m.group(1) + "***" + m.group(2), value)


def _mask(value: object) -> object:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: ("***" if str(k).lower() in _SECRET_KEYS else _mask(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask(v) for v in value)
    return value


def mask_personal_data(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask personal data and secrets in every value."""
    return {k: ("***" if k.lower() in _SECRET_KEYS else _mask(v)) for k, v in event_dict.items()}


class ClientErrorsWithoutTraceback(logging.Filter):
    """A refused request is not a fault: drop the traceback nameko attaches to an entrypoint's expected error.

    nameko logs every exception an entrypoint raises with `exc_info`, a typed 4xx error (`invalid_input`,
    `not_found`, `no_consent`...) too; thousands of tracebacks for ordinary refusals bury the real faults. The
    record stays (code and message), only the traceback goes. Server errors (5xx, untyped) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            if isinstance(exc, ServiceError) and exc.http_status < 500:
                record.exc_info = None
                record.exc_text = None
        return True


def configure(service: str, level: str = "INFO") -> None:
    """Set up JSON logs on stdout for `service`; stdlib logging (nameko, kombu) goes through the same pipe."""

    def add_service(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_service,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        mask_personal_data,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.JSONRenderer(ensure_ascii=False)],
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(ClientErrorsWithoutTraceback())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=structlog.processors.JSONRenderer(ensure_ascii=False),
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class LogContext(DependencyProvider):
    """Binds call id, correlation id and dossier code to the logs of each worker.

    Each nameko worker runs in its own greenlet, and greenlets have their own contextvars, so what is bound here
    stays with this worker only.
    """

    def worker_setup(self, worker_ctx: WorkerContext) -> None:
        data = worker_ctx.data
        # The first worker of a request names the correlation id; nameko passes worker data on as headers
        # of every RPC it makes, and the outbox copies it into the events it writes.
        data.setdefault("correlation_id", worker_ctx.call_id)
        structlog.contextvars.bind_contextvars(
            call_id=worker_ctx.call_id,
            correlation_id=data.get("correlation_id") or worker_ctx.call_id,
            entrypoint=worker_ctx.entrypoint.method_name,
        )
        if data.get("dossier_code"):
            structlog.contextvars.bind_contextvars(dossier_code=data["dossier_code"])

    def worker_teardown(self, worker_ctx: WorkerContext) -> None:
        structlog.contextvars.unbind_contextvars("call_id", "correlation_id", "entrypoint", "dossier_code")

    def get_dependency(self, worker_ctx: WorkerContext) -> FilteringBoundLogger:
        logger: FilteringBoundLogger = structlog.get_logger()
        return logger

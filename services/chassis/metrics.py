"""Prometheus metrics for every service: a per-service exporter that also answers liveness and readiness.

`/metrics` on the service's metrics port (9100-9105), `/healthz` (the process answers: never depends on the
broker) and `/readyz` (the readiness checks registered by the service, e.g. broker connected, database reachable).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from wsgiref.types import StartResponse, WSGIEnvironment

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest

from services.chassis.nameko_types import DependencyProvider, ExcInfo, GreenThread, WorkerContext

HANDLER_SECONDS = Histogram(
    "motcua_handler_duration_seconds",
    "Time spent in a nameko entrypoint (RPC, event handler, timer), by outcome.",
    ["service", "entrypoint", "kind", "outcome"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PUBLISHED = Counter(
    "motcua_outbox_events_published_total",
    "Events the outbox relay published with confirms.",
    ["service", "event_type"],
)
EVENTS_DEAD_LETTERED = Counter(
    "motcua_events_dead_lettered_total",
    "Events sent to a dead-letter queue after failing or being unreadable.",
    ["service", "queue", "reason"],
)
EVENTS_DUPLICATE = Counter(
    "motcua_events_duplicate_total",
    "Event deliveries skipped because the inbox had already processed them.",
    ["service", "handler"],
)
RETENTION_PURGED = Counter(
    "motcua_retention_purged_total",
    "Outbox, inbox and idempotency-key rows deleted once past their retention.",
    ["service", "table"],
)

OUTBOX_BACKLOG = Gauge(
    "motcua_outbox_backlog", "Events written to the outbox and not yet published.", ["service"]
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "motcua_outbox_oldest_unsent_age_seconds", "Age of the oldest unpublished outbox event.", ["service"]
)
DEAD_LETTER_MESSAGES = Gauge(
    "motcua_dead_letter_messages", "Messages waiting in a consumer's dead-letter queue.", ["service", "queue"]
)

_readiness_checks: dict[str, Callable[[], None]] = {}


def add_readiness_check(name: str, check: Callable[[], None]) -> None:
    """Register a check for /readyz; it raises when not ready."""
    _readiness_checks[name] = check


def readiness() -> tuple[bool, dict[str, str]]:
    results = {}
    ok = True
    for name, check in list(_readiness_checks.items()):
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            ok = False
            results[name] = f"failed: {type(exc).__name__}"
    return ok, results


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
    """WSGI app for the metrics port."""
    path = environ.get("PATH_INFO", "/")
    if path == "/metrics":
        body = generate_latest(REGISTRY)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"status":"ok"}']
    if path == "/readyz":
        ok, results = readiness()
        start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "application/json")])
        return [json.dumps({"status": "ok" if ok else "unavailable", "checks": results}).encode()]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found\n"]


def serve(host: str, port: int) -> GreenThread:
    """Serve the metrics app in a green thread (call after eventlet monkey patching)."""
    import eventlet
    import eventlet.wsgi

    sock = eventlet.listen((host, port))
    server: GreenThread = eventlet.spawn(eventlet.wsgi.server, sock, wsgi_app, log_output=False)
    return server


class EntrypointMetrics(DependencyProvider):
    """Observes the duration and outcome of every worker of the service."""

    def setup(self) -> None:
        self._started: dict[WorkerContext, float] = {}

    def worker_setup(self, worker_ctx: WorkerContext) -> None:
        self._started[worker_ctx] = time.perf_counter()

    def worker_result(
        self, worker_ctx: WorkerContext, result: object = None, exc_info: ExcInfo | None = None
    ) -> None:
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        entrypoint = worker_ctx.entrypoint
        outcome = "ok" if exc_info is None else "error"
        if exc_info is not None and getattr(exc_info[1], "http_status", 500) < 500:
            outcome = "refused"  # a typed client error is not a failure of the service
        HANDLER_SECONDS.labels(
            worker_ctx.service_name, entrypoint.method_name, type(entrypoint).__name__, outcome
        ).observe(time.perf_counter() - started)

    def get_dependency(self, worker_ctx: WorkerContext) -> None:
        return None

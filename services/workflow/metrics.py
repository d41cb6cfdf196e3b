"""The workflow's business metrics (Prometheus), observed by the entrypoints once their transaction committed.
Request metrics (RED) come from services/chassis/metrics.py."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram

TRANSITIONS = Counter(
    "motcua_workflow_dossier_transitions_total",
    "Dossiers entering a status, by status and administrative level.",
    ["status", "level"],
)
RECEIVED = Counter(
    "motcua_workflow_dossiers_received_total", "Dossiers received (legal clock started).", ["level", "unit"]
)
FINISHED = Counter(
    "motcua_workflow_dossiers_finished_total",
    "Dossiers whose result was returned, by outcome against the due date.",
    ["level", "unit", "outcome"],
)
PROCESSING_SECONDS = Histogram(
    "motcua_workflow_processing_duration_seconds",
    "Time from receipt to returned result.",
    ["level"],
    buckets=(
        3600,
        4 * 3600,
        86400,
        2 * 86400,
        3 * 86400,
        5 * 86400,
        7 * 86400,
        10 * 86400,
        15 * 86400,
        20 * 86400,
        30 * 86400,
        60 * 86400,
    ),
)
CASES_OPEN = Gauge(
    "motcua_workflow_cases_open", "Open cases by level, agency and status.", ["level", "unit", "status"]
)
RECEIPTS_OVERDUE = Gauge(
    "motcua_workflow_receipts_overdue",
    "Filed dossiers still waiting for receipt past the time the unit has to answer, by agency.",
    ["unit"],
)
CASES_OVERDUE = Gauge(
    "motcua_workflow_cases_overdue", "Open cases past their due date, by level and agency.", ["level", "unit"]
)


def opened(status: str, level: str, agency: str, log=None) -> None:
    """A case opened: the status it entered (received at once, or waiting), logged."""
    if log is not None:
        log.info("case_opened", status=status, level=level)
    if status == "received":
        RECEIVED.labels(level or "none", agency or "none").inc()
    TRANSITIONS.labels(status, level or "none").inc()


def acted(action: str, view: dict) -> dict:
    """An action taken (not replayed): the status entered, a receipt, a returned result and its duration.
    Returns `view`, the answer."""
    if view["replayed"]:
        return view
    TRANSITIONS.labels(view["status"], view["level"] or "none").inc()
    if action == "receive" and view["status"] == "received":
        RECEIVED.labels(view["level"] or "none", view["agency_code"] or "none").inc()
    if action == "return_result" and view["received_at"] and view["finished_at"]:
        FINISHED.labels(
            view["level"] or "none", view["agency_code"] or "none", view["outcome"] or "unknown"
        ).inc()
        seconds = (
            datetime.fromisoformat(view["finished_at"].replace("Z", "+00:00"))
            - datetime.fromisoformat(view["received_at"].replace("Z", "+00:00"))
        ).total_seconds()
        PROCESSING_SECONDS.labels(view["level"] or "none").observe(max(seconds, 0))
    return view


def gauges(figures: dict) -> None:
    """Open and overdue cases, and filings waiting past their receipt time, as the deadline check counted them."""
    RECEIPTS_OVERDUE.clear()
    for unit, n in figures["late_receipts"].items():
        RECEIPTS_OVERDUE.labels(unit or "none").set(n)
    CASES_OPEN.clear()
    CASES_OVERDUE.clear()
    for (level, unit, status), n in figures["open"].items():
        CASES_OPEN.labels(level or "none", unit or "none", status).set(n)
    for (level, unit), n in figures["overdue"].items():
        CASES_OVERDUE.labels(level or "none", unit or "none").set(n)

"""Intake's own metrics (the chassis counts every entrypoint's calls, errors and duration)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge

from services.intake.domain.documents import Resolved

SUBMITTED = Counter(
    "motcua_intake_dossiers_submitted_total", "Dossiers stored with a code, by channel.", ["channel"]
)
DOCUMENTS = Counter(
    "motcua_intake_documents_total",
    "Required documents of submitted dossiers, by where they came from.",
    ["source"],  # reused (from the registry) | uploaded
)
REUSE_RATIO = Gauge(
    "motcua_intake_document_reuse_ratio",
    "Share of required documents (not forms) reused from the registry instead of uploaded, since start.",
)

_counted = {"reused": 0, "uploaded": 0}  # this process's documents since start, behind REUSE_RATIO


def count_submission(channel: str, resolved: Iterable[Resolved]) -> None:
    SUBMITTED.labels(channel).inc()
    for item in resolved:
        if item.source in _counted:
            DOCUMENTS.labels(item.source).inc()
            _counted[item.source] += 1
    total = sum(_counted.values())
    if total:
        REUSE_RATIO.set(_counted["reused"] / total)

"""Verified documents a person holds (the citizen document store): when one stops being valid, and how one is
shown to a service or an agency."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any


def expired(documents: Iterable[Mapping[str, Any]], today: date) -> list[str]:
    """The ids of the documents whose expiry date has passed (a document expiring today is still valid)."""
    return [d["id"] for d in documents if d["expires_on"] and d["expires_on"] < today]


def view(document: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": document["id"],
        "doc_type": document["doc_type"],
        "title": document["title"],
        "issuer": document["issuer"],
        "number": document["number"],
        "issued_on": document["issued_on"].isoformat(),
        "expires_on": document["expires_on"].isoformat() if document["expires_on"] else None,
        "sha256": document["sha256"],
        "provenance": document["provenance"],
        "status": document["status"],
        "source_dossier_code": document["source_dossier_code"],
    }

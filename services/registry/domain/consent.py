"""Consent to read personal data (Law 91/2025/QH15 on personal data protection; Decree 13/2023 before it):
an agency reads a data category of a person only for a purpose the person agreed to, until the consent ends."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

CATEGORIES = ("identity", "contact", "address", "documents")
# Purposes an agency may state; free text would make consent meaningless to check.
PURPOSES = ("dossier_processing", "verification", "statistics", "inspection")


@dataclass(frozen=True)
class Consent:
    id: int
    agency_code: str
    category: str
    purpose: str
    valid_until: datetime
    revoked_at: datetime | None


def permits(consents: list[Consent], agency_code: str, category: str, purpose: str, at: datetime) -> Consent | None:
    """The consent that allows this read, if any."""
    for consent in consents:
        if (consent.agency_code == agency_code and consent.category == category and consent.purpose == purpose
                and consent.revoked_at is None and at < consent.valid_until):
            return consent
    return None

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


def permits(
    consents: list[Consent], agency_code: str, category: str, purpose: str, at: datetime
) -> Consent | None:
    """The consent that allows this read, if any."""
    for consent in consents:
        if (
            consent.agency_code == agency_code
            and consent.category == category
            and consent.purpose == purpose
            and consent.revoked_at is None
            and at < consent.valid_until
        ):
            return consent
    return None


def for_read(
    consents: list[Consent], person_known: bool, agency_code: str, category: str, purpose: str, at: datetime
) -> tuple[Consent | None, str]:
    """(the consent that allows an agency's read, or None; the reason for the access log when refused).

    A person the registry does not hold is refused like a read without consent: an agency without consent must
    not learn whether a person exists (no existence oracle). A consent cannot outlive its person."""
    if not person_known:
        return None, "unknown person"
    consent = permits(consents, agency_code, category, purpose, at)
    return consent, "" if consent else "no consent"


@dataclass(frozen=True)
class Grant:
    """A citizen's consent as asked for, checked."""

    agency_code: str
    category: str
    purpose: str
    valid_until: datetime


class InvalidGrant(ValueError):
    """The request cannot be a consent; `details` names what is allowed, when that helps."""

    def __init__(self, message: str, details: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


def parse_grant(request: object, now: datetime) -> Grant:
    """The consent asked for in `request` ({agency_code, category, purpose, valid_until: ISO 8601 with a zone,
    in the future}), or InvalidGrant."""
    if not isinstance(request, dict):
        raise InvalidGrant("Cần một đối tượng JSON.")
    agency, category, purpose = request.get("agency_code"), request.get("category"), request.get("purpose")
    try:
        valid_until = datetime.fromisoformat(str(request.get("valid_until")).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidGrant("valid_until phải là thời điểm ISO 8601.") from None
    if valid_until.tzinfo is None:
        raise InvalidGrant("valid_until cần múi giờ.")
    if not isinstance(agency, str) or not agency or category not in CATEGORIES or purpose not in PURPOSES:
        raise InvalidGrant(
            "Cần agency_code, category và purpose hợp lệ.",
            {"categories": list(CATEGORIES), "purposes": list(PURPOSES)},
        )
    if valid_until <= now:
        raise InvalidGrant("Thời hạn đồng ý phải ở tương lai.")
    return Grant(agency, category, purpose, valid_until)

"""The registry's use cases, one function each over a unit of work: persons and the agencies' reads
(persons.py), the document store (documents.py), consents (consents.py), tax codes (businesses.py); every
read of personal data is recorded by access.py.

Shared here: today's date in legal time and the ID number check every use case applies the same way."""

from __future__ import annotations

from datetime import date

from services.chassis.clock import legal_day, utcnow
from services.chassis.errors import InvalidInput
from services.registry.domain.identity import InvalidIdNumber, check_id_number


def today() -> date:
    """The date in Vietnam legal time: what expiry dates and birth years are compared with."""
    return legal_day(utcnow())


def checked(id_number: str) -> str:
    """The ID number if well formed, else InvalidInput `invalid_id_number` with the reason."""
    try:
        check_id_number(id_number, today())
    except InvalidIdNumber as exc:
        raise InvalidInput(
            "invalid_id_number", exc.message, {"field": "applicant.id_number", "reason": exc.reason}
        ) from None
    return id_number


def well_formed(id_number: str) -> str:
    """The ID number if it has the form of one (12 digits), else InvalidInput `invalid_id_number`. For numbers the
    platform already holds (reads logged on another service's behalf): they were checked in full when taken, and a
    card whose province code a later list drops (the 2025 merger of provinces) is still read and must be logged."""
    if not (isinstance(id_number, str) and len(id_number) == 12 and id_number.isdigit()):
        raise InvalidInput(
            "invalid_id_number",
            "Số định danh cá nhân phải gồm đúng 12 chữ số.",
            {"field": "id_number", "reason": "format"},
        )
    return id_number

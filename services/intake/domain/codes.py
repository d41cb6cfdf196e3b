"""Dossier codes and applicant references.

Code format `{agency code}-{yymmdd}-{NNNN}` (Decree 118/2025, Circular 03/2025; verify): the receiving agency's
code, the receipt date in legal time (Asia/Ho_Chi_Minh) and a 4-digit daily sequence per agency.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, datetime

from services.chassis import clock

CODE_PATTERN = re.compile(r"^[A-Z0-9.]{3,30}-\d{6}-\d{4,}$")


def legal_day(moment: datetime) -> date:
    """The receipt date the code carries: the day in legal time; a naive moment is refused, never guessed."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return clock.legal_day(moment)


def dossier_code(agency_code: str, day: date, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    # Four digits as the format asks; a 10,000th dossier in one day at one agency widens rather than wraps.
    return f"{agency_code}-{day:%y%m%d}-{sequence:04d}"


def is_dossier_code(value: str) -> bool:
    return bool(CODE_PATTERN.match(value or ""))


def applicant_ref(key: str, id_number: str) -> str:
    """An opaque, stable reference to a person for events and statistics (never the ID number itself)."""
    return hmac.new(key.encode(), id_number.encode(), hashlib.sha256).hexdigest()[:32]

"""Time, the one place it is defined: Vietnam legal time for dates the law counts (deadlines, dossier codes,
periods, quiet hours), UTC for storage and the wire.

Pure (no I/O, no clock read at import): domain modules may import it, the one chassis module they may (the
import contracts in pyproject.toml name it).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import overload
from zoneinfo import ZoneInfo

# Vietnam has one time zone, UTC+7, without daylight saving time.
LEGAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@overload
def iso_utc(value: datetime) -> str: ...


@overload
def iso_utc(value: None) -> None: ...


@overload
def iso_utc(value: datetime | None) -> str | None: ...


def iso_utc(value: datetime | None) -> str | None:
    """`2026-12-07T02:00:00Z` for an aware datetime (any zone), None for None: how times leave a service."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def legal_day(value: datetime) -> date:
    """The date in Vietnam legal time of an aware datetime."""
    return value.astimezone(LEGAL_TZ).date()


def legal_text(value: datetime | str | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
    """An aware datetime (or ISO 8601 text) as a Vietnamese reader expects it: `09:30 07/12/2026`, legal time."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.astimezone(LEGAL_TZ).strftime(fmt)

"""Short messages in Vietnamese: encoding and segments, text without diacritics, quiet hours, and the ladder of
phone channels (Zalo ZNS first, SMS when Zalo cannot reach the citizen)."""

from __future__ import annotations

import unicodedata
from datetime import datetime, time, timedelta

from services.chassis.clock import LEGAL_TZ

# GSM 03.38 basic character set (the escape table's characters count twice).
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")
QUIET_START, QUIET_END = time(21, 0), time(7, 0)


def encoding(text: str) -> str:
    return "GSM-7" if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text) else "UCS-2"


def segments(text: str) -> tuple[str, int]:
    """(encoding, number of SMS segments): GSM-7 160 characters alone or 153 per part; UCS-2 (any Vietnamese
    letter with a diacritic) 70 alone or 67 per part. Operators bill per segment."""
    enc = encoding(text)
    if enc == "GSM-7":
        units = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        single, part = 160, 153
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16 code units
        single, part = 70, 67
    if units <= single:
        return enc, 1 if units else 0
    return enc, -(-units // part)


def without_diacritics(text: str) -> str:
    """Vietnamese without accents (đ → d, Đ → D), so that an SMS fits GSM-7: 160 characters instead of 70."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped)


def next_allowed(now: datetime, urgent: bool = False, quiet: bool = True) -> datetime:
    """When an SMS may go: now, unless it is night in Vietnam (21:00-07:00) and the message is not urgent, then
    07:00 the next morning (local), returned in the caller's timezone. `quiet=False` switches quiet hours off."""
    if urgent or not quiet:
        return now
    local = now.astimezone(LEGAL_TZ)
    if QUIET_END <= local.time() < QUIET_START:
        return now
    morning = local.replace(hour=7, minute=0, second=0, microsecond=0)
    if local.time() >= QUIET_START:
        morning += timedelta(days=1)
    return morning.astimezone(now.tzinfo)


def ladder(configured: str, has_phone: bool) -> list[str]:
    """Phone channels to try, in order, from a setting like "zalo,sms"."""
    if not has_phone:
        return []
    return [c for c in (part.strip() for part in configured.split(",")) if c in ("zalo", "sms")]


def fallback_after(channel: str, configured: str) -> str | None:
    """The next phone channel after `channel` failed for good, if any."""
    order = ladder(configured, True)
    if channel in order and order.index(channel) + 1 < len(order):
        return order[order.index(channel) + 1]
    return None

"""How a citizen notification moves: created → sending → sent → delivered, or temporary-failure (retried with
backoff) → technical-failure after MAX_ATTEMPTS, or permanent-failure; a phone provider failing again and again
is avoided for a while (circuit breaker). Plain rules: the caller passes the time and the counts."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

RETRYABLE = ("created", "temporary-failure")
PHONE = ("sms", "zalo")
FINAL_FAILURES = ("permanent-failure", "technical-failure")
MAX_ATTEMPTS = 8
BREAKER_FAILURES = 5  # consecutive provider failures before it is avoided ...
BREAKER_PAUSE_SECONDS = 120  # ... for this long
# A send cut off by a crash: the exchange takes seconds, so 30 s without news means it died.
STALE_SENDING = timedelta(seconds=30)
RATE_LIMIT_PAUSE = timedelta(minutes=10)


def retry_wait(status: str, attempts: int, scale: float = 1.0) -> timedelta:
    """How long after its last update a pending notification is tried again: at once if never tried, then
    20 s, 40 s, ... up to an hour (× `scale`), 30 s for a send cut off mid-way."""
    if status == "sending":
        return STALE_SENDING
    return timedelta(seconds=min(10 * 2**attempts, 3600) * scale) if attempts else timedelta(0)


def failure_status(status: str, attempts: int) -> str:
    """A temporary failure of the last allowed attempt is final (`attempts`: those made before this one)."""
    if status == "temporary-failure" and attempts + 1 >= MAX_ATTEMPTS:
        return "technical-failure"
    return status


def smtp_failure(smtp_code: int) -> str:
    """A relay's refusal: 5xx is permanent, anything else is worth another try."""
    return "permanent-failure" if 500 <= smtp_code < 600 else "temporary-failure"


def provider_outcome(status_code: int | None) -> str:
    """sent | permanent-failure | temporary-failure from an SMS/Zalo provider's HTTP status (None: no answer).
    A refusal (4xx) is final, except 429 (slow down)."""
    if status_code is not None and status_code < 300:
        return "sent"
    if status_code is not None and 400 <= status_code < 500 and status_code != 429:
        return "permanent-failure"
    return "temporary-failure"


def paused(open_until: datetime | None, now: datetime) -> bool:
    return open_until is not None and open_until > now


@dataclass(frozen=True)
class Breaker:
    """A provider's health after one result: consecutive failures, and whether to open (pause until
    `open_until`), close (`close`) or leave the pause as it is."""

    failures: int
    open_until: datetime | None = None
    close: bool = False


def after_result(failures_before: int, ok: bool, now: datetime, scale: float = 1.0) -> Breaker:
    if ok:
        return Breaker(0, close=True)
    failures = failures_before + 1
    if failures >= BREAKER_FAILURES:
        return Breaker(failures, open_until=now + timedelta(seconds=BREAKER_PAUSE_SECONDS * scale))
    return Breaker(failures)


def receipt_status(outcome: object) -> str:
    """A provider's delivery receipt: delivered, or anything else is a permanent failure."""
    return "delivered" if outcome == "delivered" else "permanent-failure"


def receipt_signed(provider_key: str, body: str, signature: str | None) -> bool:
    """A delivery receipt carries the hex HMAC-SHA256 of its body with the provider key."""
    expected = hmac.new(provider_key.encode(), body.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature or "")

"""Everything notify reads from its environment, in one place. Read at call time (`current()`), not at start:
operators and tests change these without restarting the service. What all services share (SMTP relay, sender,
public URL, Message-ID domain) is in the chassis Settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

LOCAL_PROVIDER_KEY = "local-message-sandbox-key-not-for-production"


@dataclass(frozen=True)
class NotifySettings:
    provider_url: str  # MESSAGE_PROVIDER_URL: the SMS/Zalo provider; empty = no phone channel
    provider_key: str = field(repr=False)  # MESSAGE_PROVIDER_KEY: API key, and the key of its signed receipts
    phone_channels: str = "sms"  # NOTIFY_PHONE_CHANNELS: the ladder, e.g. "zalo,sms"
    sms_plain: bool = True  # NOTIFY_SMS_PLAIN=1: text without diacritics (GSM-7)
    quiet_hours: bool = True  # NOTIFY_QUIET_HOURS=1: no SMS 21:00-07:00 Vietnam time
    phone_per_hour: int = 10  # NOTIFY_PHONE_PER_HOUR: messages a phone may get in an hour
    retry_scale: float = 1.0  # NOTIFY_RETRY_SCALE: multiplies retry waits and the breaker's pause (tests)
    webhook_allowed_hosts: tuple[
        str, ...
    ] = ()  # WEBHOOK_ALLOWED_HOSTS: targets allowed by name, comma-separated
    webhook_retry_scale: float = 1.0  # WEBHOOK_RETRY_SCALE: multiplies the webhook retry schedule (tests)


def current(environ: Mapping[str, str] = os.environ) -> NotifySettings:
    return NotifySettings(
        provider_url=environ.get("MESSAGE_PROVIDER_URL", "").rstrip("/"),
        provider_key=environ.get("MESSAGE_PROVIDER_KEY", LOCAL_PROVIDER_KEY),
        phone_channels=environ.get("NOTIFY_PHONE_CHANNELS", "sms"),
        sms_plain=environ.get("NOTIFY_SMS_PLAIN", "1") == "1",
        quiet_hours=environ.get("NOTIFY_QUIET_HOURS", "1") == "1",
        phone_per_hour=int(environ.get("NOTIFY_PHONE_PER_HOUR", "10")),
        retry_scale=float(environ.get("NOTIFY_RETRY_SCALE", "1")),
        webhook_allowed_hosts=tuple(
            h for h in environ.get("WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()
        ),
        webhook_retry_scale=float(environ.get("WEBHOOK_RETRY_SCALE", "1")),
    )

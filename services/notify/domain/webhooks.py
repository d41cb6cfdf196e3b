"""Agency webhooks: Standard Webhooks signatures, the retry schedule, what a subscription matches, what leaves
the platform, and which targets may be called. Plain Python: the DNS look-up of a target is done by
services/notify/adapters/targets.py, which hands the addresses to `refuse_internal`.

Signature (https://www.standardwebhooks.com): headers `webhook-id`, `webhook-timestamp` (Unix seconds) and
`webhook-signature` = space-separated `v1,<base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))>`, where the key
is the base64 part of the `whsec_...` secret. While a secret is being rotated both are valid, so deliveries carry
two signatures. `verify` is what an agency's receiver does; it is small on purpose, to be copied.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
# Seconds to wait before each attempt after the first: minutes, then hours, then days (about 4 days in all).
SCHEDULE = (5, 60, 300, 1800, 7200, 18000, 36000, 86400, 86400, 86400)


class WebhookVerificationError(Exception):
    pass


class TargetRefused(Exception):
    pass


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    return base64.b64decode(secret[len(SECRET_PREFIX) :])


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secrets_in_force: Iterable[str], msg_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """The three signature headers for one delivery (`timestamp`: Unix seconds now), signed with every secret in
    force."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_in_force),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise WebhookVerificationError unless `body` was signed with `secret` within the tolerance window.

    What an agency's receiver runs (never the service), so `now` defaults to its clock: the one clock read in
    this module, kept so the function can be copied as it is."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = (
        lowered.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature")
    )
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError("missing webhook headers")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("bad timestamp") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookVerificationError("timestamp outside the tolerance window (replay?)")
    expected = sign(secret, msg_id, timestamp, body).encode()
    for candidate in signatures.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return
    raise WebhookVerificationError("no matching signature")


def next_delay(attempts: int, scale: float = 1.0) -> float | None:
    """Seconds before the next attempt after `attempts` failed ones; None once the schedule is exhausted."""
    if attempts < 1 or attempts > len(SCHEDULE):
        return None
    return SCHEDULE[attempts - 1] * scale


def message_id(event_id: str, replay_round: int) -> str:
    """`webhook-id` of a delivery: the event id the first time, a new one per replay round (a replay is a new
    message, so a receiver that deduplicates by webhook-id takes it)."""
    return event_id if replay_round == 0 else f"{event_id}.replay{replay_round}"


def secrets_in_force(subscription: Mapping[str, Any], now: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period after a rotation lasts."""
    in_force = [subscription["secret"]]
    previous, until = subscription.get("previous_secret"), subscription.get("previous_valid_until")
    if previous and until and until > now:
        in_force.append(previous)
    return in_force


def matches(subscription: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """An event matches when every non-empty filter of the subscription contains its value."""
    for key, value in (
        ("event_types", event["type"]),
        ("units", event.get("unit", "")),
        ("procedures", event.get("procedure_code", "")),
    ):
        wanted = subscription.get(key) or []
        if wanted and value not in wanted:
            return False
    return True


def _forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10"))
    )


def target_host(url: str, allowed_hosts: Iterable[str] = ()) -> tuple[str, int] | None:
    """(host, port) to resolve and check, or None for a host the province allowed by name
    (WEBHOOK_ALLOWED_HOSTS). TargetRefused for anything but an http(s) URL with a host and no credentials."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("the target must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not allowed")
    host = parts.hostname.lower()
    if host in {h.strip().lower() for h in allowed_hosts if h.strip()}:
        return None
    return host, parts.port or (443 if parts.scheme == "https" else 80)


def refuse_internal(addresses: Iterable[str]) -> list[str]:
    """The addresses a target host resolved to, sorted, if every one is public; TargetRefused otherwise (SSRF:
    the platform must not call itself or the province's internal network)."""
    found = set(addresses)
    if not found:
        raise TargetRefused("the host does not resolve")
    bad = sorted(a for a in found if _forbidden_address(a))
    if bad:
        raise TargetRefused(f"the host resolves to private or internal addresses: {', '.join(bad)}")
    return sorted(found)

"""Agency webhooks: Standard Webhooks signatures, the retry schedule, what a subscription matches, what leaves
the platform, and which targets may be called. Plain Python, no I/O except DNS resolution in `check_target`.

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
import socket
import time
from collections.abc import Iterable
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
    return base64.b64decode(secret[len(SECRET_PREFIX):])


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def headers(secrets_in_force: Iterable[str], msg_id: str, body: bytes, timestamp: int | None = None) -> dict:
    """The three signature headers for one delivery, signed with every secret in force."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets_in_force),
    }


def verify(secret: str, headers: dict, body: bytes, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> None:
    """Raise WebhookVerificationError unless `body` was signed with `secret` within the tolerance window."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = (lowered.get(h) for h in ("webhook-id", "webhook-timestamp", "webhook-signature"))
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


def matches(subscription: dict, event: dict) -> bool:
    """An event matches when every non-empty filter of the subscription contains its value."""
    for key, value in (("event_types", event["type"]), ("units", event.get("unit", "")),
                       ("procedures", event.get("procedure_code", ""))):
        wanted = subscription.get(key) or []
        if wanted and value not in wanted:
            return False
    return True


def _forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")))


def check_target(url: str, allowed_hosts: Iterable[str] = (), resolve=socket.getaddrinfo) -> list[str]:
    """Refuse URLs that would make the platform call itself or the province's internal network (SSRF): every
    address the host resolves to must be public, unless the host is explicitly allowed. Called when a
    subscription is created and again before every delivery (DNS answers change).

    Returns the checked addresses (empty for an allowed host): the delivery connects to one of them, never
    resolving the name a second time, so a DNS answer that changes between check and connect (rebinding) cannot
    send it inside."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("the target must be an http(s) URL with a host")
    if parts.username or parts.password:
        raise TargetRefused("credentials in the URL are not allowed")
    host = parts.hostname.lower()
    if host in {h.strip().lower() for h in allowed_hosts if h.strip()}:
        return []
    try:
        infos = resolve(host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host does not resolve: {exc}") from None
    addresses = {info[4][0] for info in infos}
    if not addresses:
        raise TargetRefused("the host does not resolve")
    bad = sorted(a for a in addresses if _forbidden_address(a))
    if bad:
        raise TargetRefused(f"the host resolves to private or internal addresses: {', '.join(bad)}")
    return sorted(addresses)

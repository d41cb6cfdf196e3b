"""Stable identities of a notification on the wire, so that a resend is recognisably the same message.

Sending is at-least-once: a notify process killed after the relay (or the SMS/Zalo provider) accepted a message
but before it recorded "sent" sends it again when the claim goes stale (service.retry_pending). Both copies must
carry the same identity, so that the citizen's mail client (which threads and deduplicates by Message-ID) and the
provider (which deduplicates by its `reference`) see one message. The identity is derived from the notification's
row id, which is written once, in the transaction that creates the notification, and never changes; never from
the clock or a random number.
"""

from __future__ import annotations

import re

DEFAULT_DOMAIN = "motcua.local"
# The right-hand side of a Message-ID (RFC 5322 dot-atom-text, kept to what DNS names use).
_DOMAIN = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def message_id_domain(configured: str, mail_from_address: str = "") -> str:
    """The domain of Message-IDs: the configured one, else the sender address's domain, else motcua.local.
    Raises ValueError for a configured value that cannot stand in a Message-ID (a setting typo must stop the
    service at start, not produce headers mail clients reject)."""
    configured = configured.strip()
    if configured:
        if not _DOMAIN.match(configured):
            raise ValueError(f"not a domain for Message-IDs: {configured!r}")
        return configured.lower()
    _, _, domain = mail_from_address.rpartition("@")
    return domain.lower() if domain and _DOMAIN.match(domain) else DEFAULT_DOMAIN


def message_id(notification_id: str, domain: str) -> str:
    """The RFC 5322 Message-ID of the e-mail of a notification: the same for every attempt to send it."""
    if not _ID.match(notification_id or ""):
        raise ValueError(f"not a notification id: {notification_id!r}")
    if not _DOMAIN.match(domain or ""):
        raise ValueError(f"not a domain for Message-IDs: {domain!r}")
    return f"<notification.{notification_id}@{domain}>"


def provider_reference(notification_id: str) -> str:
    """The `reference` an SMS/Zalo provider receives (and names in its delivery receipt): the same for every
    attempt, so a provider that deduplicates by reference sends a resend once."""
    if not _ID.match(notification_id or ""):
        raise ValueError(f"not a notification id: {notification_id!r}")
    return notification_id

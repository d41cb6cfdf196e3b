"""Webhook targets checked against the DNS: the host's addresses must all be public (domain/webhooks.py says
which are not). Called when a subscription is created and again before every delivery (DNS answers change)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable

from services.notify.domain.webhooks import TargetRefused, refuse_internal, target_host


def check_target(
    url: str, allowed_hosts: Iterable[str] = (), resolve: Callable = socket.getaddrinfo
) -> list[str]:
    """Refuse URLs that would make the platform call itself or the province's internal network (SSRF): every
    address the host resolves to must be public, unless the host is explicitly allowed.

    Returns the checked addresses (empty for an allowed host): the delivery connects to one of them, never
    resolving the name a second time, so a DNS answer that changes between check and connect (rebinding) cannot
    send it inside."""
    target = target_host(url, allowed_hosts)
    if target is None:
        return []
    host, port = target
    try:
        infos = resolve(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"the host does not resolve: {exc}") from None
    return refuse_internal(info[4][0] for info in infos)

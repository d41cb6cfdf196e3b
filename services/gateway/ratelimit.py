"""Rate limits on sign-in, submission and status look-up by code: a sliding window per key (client address, or
the signed-in subject), kept in each gateway replica's memory. With N replicas behind a balancer the effective limit is up to N times the
configured one; the ingress's own limit is the province-wide guard, this one stops a single client hammering one
replica. Limits come from the environment: `RATE_LIMIT_SIGNIN`, `RATE_LIMIT_SUBMIT` and `RATE_LIMIT_LOOKUP`
(status by code without signing in), each "count/seconds"."""

from __future__ import annotations

import ipaddress
import os
import threading
import time
from collections import deque

from services.chassis.errors import ServiceError


class TooManyRequests(ServiceError):
    http_status = 429
    title = "Quá nhiều yêu cầu"

    def __init__(self, code: str, message: str, retry_after: int):
        super().__init__(code, message, {"retry_after_seconds": retry_after})
        self.retry_after = retry_after


def parse(spec: str, default: tuple[int, float]) -> tuple[int, float]:
    try:
        count, _, seconds = spec.partition("/")
        return max(int(count), 1), max(float(seconds), 1.0)
    except (ValueError, AttributeError):
        return default


class SlidingWindow:
    def __init__(self, limit: int, window_seconds: float, clock=time.monotonic, max_keys: int = 100_000):
        self.limit, self.window = limit, window_seconds
        self._clock = clock
        self._hits: dict[str, deque] = {}
        self._lock = threading.Lock()
        self._max_keys = max_keys

    def check(self, key: str) -> int:
        """Count one hit for `key`; 0 if allowed, else the seconds to wait."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self._max_keys:
                    self._prune(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return max(int(hits[0] + self.window - now) + 1, 1)
            hits.append(now)
            return 0

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]


def from_env(name: str, default: tuple[int, float]) -> SlidingWindow:
    limit, seconds = parse(os.environ.get(name, ""), default)
    return SlidingWindow(limit, seconds)


def trusted_proxies(spec: str | None = None) -> tuple:
    """The networks whose `X-Forwarded-For` the gateway believes (`TRUSTED_PROXIES`, comma-separated addresses or
    CIDR blocks, e.g. the ingress controller's pod network). Empty by default: no forwarded header is believed,
    since any client can write one."""
    spec = os.environ.get("TRUSTED_PROXIES", "") if spec is None else spec
    networks = []
    for part in spec.split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))  # a bad entry stops start-up
    return tuple(networks)


def _trusted(address: str, networks: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(request, networks: tuple | None = None) -> str:
    """The caller's address. The socket's peer, unless that peer is a trusted proxy: then `X-Forwarded-For` is read
    from the right (each proxy appends the address it saw), skipping trusted proxies, and the first address that is
    not one of them is the client. The leftmost hops are the client's own words and are never taken on trust."""
    networks = _TRUSTED if networks is None else networks
    peer = request.remote_addr or "unknown"
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage where an address should be: the proxy is the last address we know
    return hops[0] if hops else peer


_TRUSTED = trusted_proxies()

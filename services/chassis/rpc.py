"""RPC calls with a deadline: nameko 2's proxies wait forever for a reply, a citizen must not."""

from __future__ import annotations

from typing import Any, Protocol

import eventlet
from kombu.exceptions import OperationalError as BrokerError
from nameko.exceptions import UnknownService

from services.chassis.errors import Unavailable

DEFAULT_TIMEOUT = 10.0


class RpcReply(Protocol):
    """nameko's pending reply (`nameko.rpc.RpcReply`)."""

    def result(self) -> Any: ...


class MethodProxy(Protocol):
    """`self.<proxy>.<method>` (`nameko.rpc.MethodProxy`)."""

    def call_async(self, *args: Any, **kwargs: Any) -> RpcReply: ...


def call(method_proxy: MethodProxy, *args: Any, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> Any:
    """Call `self.<proxy>.<method>` and wait at most `timeout` seconds for the reply (the callee's answer, as
    nameko's JSON serializer gives it back)."""
    try:
        reply = method_proxy.call_async(*args, **kwargs)
    except UnknownService as exc:
        raise Unavailable(
            "service_unavailable", "Dịch vụ chưa sẵn sàng, vui lòng thử lại sau.", {"service": str(exc)}
        ) from exc
    except (BrokerError, ConnectionError, OSError) as exc:
        # The broker is unreachable (restart, failover): a clean "try again", never a 500.
        raise Unavailable(
            "broker_unavailable",
            "Hệ thống đang bận, vui lòng thử lại sau giây lát.",
            {"error_type": type(exc).__name__},
        ) from exc
    try:
        with eventlet.Timeout(timeout):
            return reply.result()
    except eventlet.Timeout as exc:
        raise Unavailable(
            "service_timeout", "Dịch vụ phản hồi quá lâu, vui lòng thử lại sau.", {"timeout_seconds": timeout}
        ) from exc

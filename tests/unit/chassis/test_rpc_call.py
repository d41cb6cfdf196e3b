"""`call` turns every way an RPC can fail to reach its service into a typed, retryable error."""

from __future__ import annotations

import eventlet
import pytest
from kombu.exceptions import OperationalError
from nameko.exceptions import UnknownService

from services.chassis.errors import Unavailable
from services.chassis.rpc import call


class _Reply:
    def __init__(self, value=None, delay: float = 0.0):
        self.value, self.delay = value, delay

    def result(self):
        eventlet.sleep(self.delay)
        return self.value


class _Method:
    def __init__(self, fail: Exception | None = None, reply: _Reply | None = None):
        self.fail, self.reply = fail, reply

    def call_async(self, *args, **kwargs):
        if self.fail is not None:
            raise self.fail
        return self.reply


def test_reply_is_returned():
    assert call(_Method(reply=_Reply({"ok": 1}))) == {"ok": 1}


@pytest.mark.parametrize(
    "failure, code",
    [
        (OperationalError("[Errno 111] ECONNREFUSED"), "broker_unavailable"),
        (ConnectionResetError("reset by peer"), "broker_unavailable"),
        (UnknownService("intake"), "service_unavailable"),
    ],
)
def test_unreachable_broker_or_service_is_unavailable(failure, code):
    with pytest.raises(Unavailable) as info:
        call(_Method(fail=failure))
    assert info.value.code == code


def test_slow_reply_times_out_as_unavailable():
    with pytest.raises(Unavailable) as info:
        call(_Method(reply=_Reply("late", delay=1.0)), timeout=0.05)
    assert info.value.code == "service_timeout"

"""The mailer against a real SMTP server (aiosmtpd): messages decode as sent, sessions are reused, a session the
server dropped is replaced without losing the message, refusals surface with their SMTP code."""

from __future__ import annotations

import smtplib

import pytest
from aiosmtpd.controller import Controller

from devtools.smtp_sink import read_messages
from services.notify.adapters.mailer import Mailer, build_message
from tests.support import free_port


def _message(n: int) -> tuple[str, bytes]:
    return build_message(
        "Một cửa điện tử <motcua@localhost>",
        "an.nguyen@example.vn",
        f"Hồ sơ H15-261130-{n:04d} đã được tiếp nhận",
        f"Kính gửi ông Nguyễn Văn An,\nlần {n}.\n" + "Hồ sơ của ông đã được tiếp nhận. " * 60,
        {"X-MotCua-Dossier-Code": f"H15-261130-{n:04d}"},
        message_id=f"<notification.n{n}@motcua.local>",
    )


def test_messages_decode_as_written_and_one_session_carries_them(sink):
    mailer = Mailer("127.0.0.1", sink.port)
    for n in range(3):
        sender, data = _message(n)
        mailer.send(sender, "an.nguyen@example.vn", data)
    assert len(mailer._idle) == 1  # one session, kept for the next message
    kept = read_messages(sink.directory)
    assert [m["subject"] for m in kept] == [f"Hồ sơ H15-261130-{n:04d} đã được tiếp nhận" for n in range(3)]
    assert kept[0]["from"] == "Một cửa điện tử <motcua@localhost>"
    assert kept[2]["text"].startswith("Kính gửi ông Nguyễn Văn An,\nlần 2.\nHồ sơ của ông")
    assert len(kept[2]["text"]) > 1500  # longer than an SMTP line: the message is sent in CRLF-ended lines
    assert kept[1]["headers"]["X-MotCua-Dossier-Code"] == "H15-261130-0001"
    assert kept[0]["date"] and kept[0]["message_id"].endswith("@motcua.local>")
    mailer.close()


def test_a_session_the_server_dropped_is_replaced_and_the_message_still_goes(sink):
    mailer = Mailer("127.0.0.1", sink.port)
    sender, data = _message(1)
    mailer.send(sender, "an.nguyen@example.vn", data)
    sink.stop()  # the relay restarts: the kept session is dead
    sink.start()
    sender, data = _message(2)
    mailer.send(sender, "an.nguyen@example.vn", data)
    assert [m["headers"]["X-MotCua-Dossier-Code"] for m in read_messages(sink.directory)] == [
        "H15-261130-0001",
        "H15-261130-0002",
    ]


def test_no_relay_is_an_os_error_and_nothing_is_kept():
    mailer = Mailer("127.0.0.1", free_port(), timeout=2)
    sender, data = _message(1)
    with pytest.raises((OSError, smtplib.SMTPException)):
        mailer.send(sender, "an.nguyen@example.vn", data)
    assert mailer._idle == []


class _OneMessagePerSession:
    """A relay that takes one message per connection and answers 421 to the next (as relays with a per-connection
    limit do), keeping what it accepted."""

    def __init__(self):
        self.accepted: list[bytes] = []
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802 - aiosmtpd hook
        session.host_name = hostname
        self.sessions += 1
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        if getattr(session, "took_one", False):
            return "421 4.7.0 One message per connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        session.took_one = True
        self.accepted.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def test_a_relay_that_ends_a_kept_session_with_421_gets_the_message_on_a_new_one():
    relay = _OneMessagePerSession()
    controller = Controller(relay, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        mailer = Mailer("127.0.0.1", controller.port)
        for n in range(3):
            sender, data = _message(n)
            mailer.send(sender, "an.nguyen@example.vn", data)
        assert len(relay.accepted) == 3 and relay.sessions == 3
        assert [b"H15-261130-000%d" % n in body for n, body in enumerate(relay.accepted)] == [True] * 3
    finally:
        controller.stop()

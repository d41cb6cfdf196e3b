"""Shared by notify's unit tests: a real SMTP server (the project's sink, aiosmtpd) on a free loopback port."""

import pytest

from devtools.smtp_sink import SmtpSink
from tests.support import free_port


@pytest.fixture
def sink(tmp_path):
    box = SmtpSink(tmp_path / "mail", free_port(), None)
    box.start()
    yield box
    box.stop()

"""E-mail over SMTP with the connection kept open between messages.

Opening an SMTP session costs a TCP connect, the server's greeting, EHLO and QUIT: four round trips and a name
lookup for every message, more than the message itself. The mailer keeps a few idle sessions and reuses them; a
session the server closed meanwhile (idle timeout, relay restart) is replaced and the message sent once more on
a fresh one (the server had refused the transaction, so nothing was sent twice).

Messages are built with the compat32 policy of the standard library: the same RFC 5322 output (UTF-8 body, RFC
2047 encoded subject and display name) for a fraction of the CPU of the default policy's header parser.
"""

from __future__ import annotations

import smtplib
import time
from email.header import Header
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr

from services.notify.domain import identity


def build_message(
    mail_from: str, to: str, subject: str, body: str, headers: dict[str, str], message_id: str
) -> tuple[str, bytes]:
    """(envelope sender, RFC 5322 bytes) of a plain-text message in UTF-8. `message_id` is given by the caller
    (services/notify/domain/identity.py), stable across resends of one notification."""
    message = MIMEText(body, "plain", "utf-8")
    name, address = parseaddr(mail_from)
    message["From"] = formataddr((name, address))  # a non-ASCII display name comes out RFC 2047 encoded
    message["To"] = to
    message["Subject"] = Header(subject, "utf-8") if not subject.isascii() else subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id
    for key, value in headers.items():
        message[key] = value
    return address, message.as_bytes(policy=_SMTP_POLICY)  # CRLF line ends: smtplib sends bytes as they are


_SMTP_POLICY = compat32.clone(linesep="\r\n")


def message_id_domain(settings) -> str:
    """The right-hand side of Message-IDs: the setting MESSAGE_ID_DOMAIN, else the sender's domain
    (domain/identity.py); ValueError for a configured value that cannot stand in a header."""
    return identity.message_id_domain(
        getattr(settings, "message_id_domain", ""), parseaddr(settings.mail_from)[1]
    )


class Mailer:
    """A small pool of SMTP sessions to one relay. Green threads take a session each; none is shared."""

    def __init__(self, host: str, port: int, timeout: float = 15, keep: int = 4, idle_seconds: float = 20):
        self.host, self.port, self.timeout = host, port, timeout
        self.keep, self.idle_seconds = keep, idle_seconds
        self._idle: list[tuple[float, smtplib.SMTP]] = []

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Hand one message to the relay. Raises smtplib.SMTPResponseException (the relay refused: the code tells
        temporary from permanent), or OSError / smtplib.SMTPException (no answer)."""
        session, reused = self._take()
        try:
            session.sendmail(sender, [recipient], data)
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException) as exc:
            _close(session)
            # A kept session the relay has closed meanwhile, or ends now (421: e.g. its limit of messages per
            # connection): the message was refused as a whole, one more try on a new session.
            if not reused or (isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code != 421):
                raise
            session = self._open()
            try:
                session.sendmail(sender, [recipient], data)
            except BaseException:
                _close(session)
                raise
        except BaseException:
            _close(session)
            raise
        self._give_back(session)

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for _, session in idle:
            _quit(session)

    def _take(self) -> tuple[smtplib.SMTP, bool]:
        now = time.monotonic()
        while self._idle:
            since, session = self._idle.pop()
            if now - since < self.idle_seconds:
                return session, True
            _quit(session)
        return self._open(), False

    def _open(self) -> smtplib.SMTP:
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _give_back(self, session: smtplib.SMTP) -> None:
        if len(self._idle) >= self.keep:
            _quit(session)
            return
        self._idle.append((time.monotonic(), session))


def _quit(session: smtplib.SMTP) -> None:
    try:
        session.quit()
    except (OSError, smtplib.SMTPException):
        _close(session)


def _close(session: smtplib.SMTP) -> None:
    try:
        session.close()
    except OSError:
        pass

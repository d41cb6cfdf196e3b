"""Notify service: tells citizens what happened to their dossiers (e-mail over SMTP for now)."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr

import requests
from motcua.intake.v1.events_pb2 import ApplicantContactRecorded, DossierSubmitted
from motcua.notify.v1.events_pb2 import NotificationSent
from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer
from prometheus_client import Counter
from sqlalchemy import bindparam, func, select, update

from services.chassis.clock import LEGAL_TZ
from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.chassis.rpc import call
from services.chassis.statements import dialect_insert, prebuilt
from services.notify import storage
from services.notify.domain import identity, sms
from services.notify.domain.templates import Templates, template_for
from services.notify.feeds import AgencyFeeds
from services.notify.mailer import Mailer, build_message

RETRYABLE = ("created", "temporary-failure")
PHONE = ("sms", "zalo")
BREAKER_FAILURES = 5  # consecutive provider failures before it is avoided ...
BREAKER_PAUSE_SECONDS = 120  # ... for this long


def PROVIDER_URL() -> str:  # noqa: N802 - read at call time so tests and operators can set the environment
    return os.environ.get("MESSAGE_PROVIDER_URL", "").rstrip("/")


def PROVIDER_KEY() -> str:  # noqa: N802
    return os.environ.get("MESSAGE_PROVIDER_KEY", "local-message-sandbox-key-not-for-production")


def PHONE_CHANNELS() -> str:  # noqa: N802
    return os.environ.get("NOTIFY_PHONE_CHANNELS", "sms")


def SMS_PLAIN() -> bool:  # noqa: N802
    return os.environ.get("NOTIFY_SMS_PLAIN", "1") == "1"


def QUIET_HOURS() -> bool:  # noqa: N802
    return os.environ.get("NOTIFY_QUIET_HOURS", "1") == "1"


def PHONE_PER_HOUR() -> int:  # noqa: N802
    return int(os.environ.get("NOTIFY_PHONE_PER_HOUR", "10"))


def RETRY_SCALE() -> float:  # noqa: N802
    return float(os.environ.get("NOTIFY_RETRY_SCALE", "1"))


_http = requests.Session()
MAX_ATTEMPTS = 8
NOTIFICATIONS = Counter(
    "motcua_notify_notifications_total", "Notifications by channel and final or intermediate status.",
    ["channel", "status"],
)


class MailerProvider(DependencyProvider):
    """SMTP sessions kept open between messages (services/notify/mailer.py), one pool per container."""

    def setup(self):
        settings = self.container.config["MOTCUA"]
        message_id_domain(settings)  # a MESSAGE_ID_DOMAIN that cannot stand in a header stops the start
        self.mailer = Mailer(settings.smtp_host, settings.smtp_port)

    def stop(self):
        self.mailer.close()

    def kill(self):
        self.mailer.close()

    def get_dependency(self, worker_ctx):
        return self.mailer


class TemplatesProvider(DependencyProvider):
    def setup(self):
        self.templates = Templates()

    def get_dependency(self, worker_ctx):
        return self.templates


def message_id_domain(settings) -> str:
    return identity.message_id_domain(getattr(settings, "message_id_domain", ""), parseaddr(settings.mail_from)[1])


def _now() -> datetime:
    return datetime.now(timezone.utc)


class NotifyService(AgencyFeeds):
    name = "notify"

    db = Database(storage.metadata)
    settings = SettingsProvider()
    templates = TemplatesProvider()
    mailer = MailerProvider()
    intake = RpcProxy("intake")
    log = LogContext()
    metrics = EntrypointMetrics()

    @on_event(DossierSubmitted)
    def on_dossier_submitted(self, event):
        """Record the event for agency feeds (it names the applicant only by a keyed reference)."""
        with self.db.unit() as uow:
            self.record_in(uow.session, event)

    @on_event(ApplicantContactRecorded)
    def on_applicant_contact_recorded(self, event):
        """Keep how to reach the applicant of a dossier. A private event (intake.private): it never reaches the
        agency feeds. Idempotent: the first copy per dossier wins, a redelivery inserts nothing."""
        contact = event.data.contact
        with self.db.unit() as uow:
            table = storage.recipients
            dialect = uow.session.get_bind().dialect.name
            keep = prebuilt(("notify.recipients.keep", dialect), lambda: dialect_insert(uow.session, table)
                            .on_conflict_do_nothing(index_elements=[table.c.dossier_code]))
            uow.session.execute(keep, {
                "dossier_code": event.data.dossier_code, "full_name": contact.full_name, "email": contact.email,
                "phone": contact.phone, "language": contact.language or "vi"})

    @on_event(DossierStatusChanged)
    def on_dossier_status_changed(self, event):
        """Tell the citizen when their dossier enters a status that has a template, and record the event for
        agency feeds (in the same transaction as the notifications)."""
        data = event.data
        name = template_for(data.action, data.from_status, data.to_status)
        if name is None:
            with self.db.unit() as uow:
                self.record_in(uow.session, event)
            return
        now = _now()
        created = []
        # One transaction: claim the event, record it for the feeds, read how to reach the applicant, and store
        # each notification already claimed for sending ("sending", first attempt) when it may go out now, so
        # the send below needs no claim of its own. A crash before the send leaves a "sending" row that
        # retry_pending takes over after 30 s.
        with self.db.unit() as uow:
            if not self.record_in(uow.session, event):
                return  # seen before (the event log deduplicates, see AgencyFeeds.record_in)
            recipient = storage.find_recipient(uow.session, data.dossier_code)
            if recipient is None:
                # Status events may overtake ApplicantContactRecorded (separate queues): ask intake, the
                # dossier's owner.
                recipient = call(self.intake.get_contact, data.dossier_code)
            for channel, to, rendered, not_before in self._render_for(name, data, recipient, now):
                due_now = not_before is None or not_before <= now
                note = dict(
                    id=str(uuid.uuid4()), dossier_code=data.dossier_code, channel=channel,
                    recipient=to, template=rendered.template, language=rendered.language,
                    subject=rendered.subject, body=rendered.body, status="sending" if due_now else "created",
                    attempts=1 if due_now else 0, last_error="", cause_event_id=event.id, created_at=now,
                    updated_at=now, not_before=not_before,
                )
                uow.session.execute(prebuilt(("notify.notifications.insert",),
                                             lambda: storage.notifications.insert()), note)
                created.append((note, due_now))
        for note, due_now in created:
            NOTIFICATIONS.labels(note["channel"], "created").inc()
            if due_now:
                self._send(note)

    def _render_for(self, name: str, data, recipient: dict, now: datetime) -> list[tuple]:
        """(channel, recipient, rendered, not_before) for each channel the applicant can be reached on."""
        due_local = ""
        if data.HasField("due_at"):
            due_local = data.due_at.ToDatetime(tzinfo=timezone.utc).astimezone(LEGAL_TZ).strftime("%H:%M %d/%m/%Y")
        language = recipient.get("language") or "vi"
        context = {
            "full_name": recipient["full_name"], "dossier_code": data.dossier_code,
            "procedure_code": data.procedure_code, "agency_code": data.agency_code, "due_local": due_local,
            "public_url": self.settings.public_url, "reason": data.reason,
        }
        rows = []
        if recipient.get("email"):
            rendered = self.templates.render(name, language, context)
            rows.append(("email", recipient["email"], rendered, None))
        phone_channels = sms.ladder(PHONE_CHANNELS(), bool(recipient.get("phone")) and bool(PROVIDER_URL()))
        if phone_channels:
            short = self.templates.render_short(name, language, context, plain=SMS_PLAIN())
            rows.append((phone_channels[0], recipient["phone"], short, sms.next_allowed(now, quiet=QUIET_HOURS())))
        return rows

    @timer(interval=2)
    def retry_pending(self):
        """Send what is still pending: created but never sent (process stopped, quiet hours over), temporary
        failures after their backoff, and sends cut off mid-way. Replicas may run this together: each row is
        claimed first."""
        now = _now()
        table = storage.notifications
        with self.db.unit() as uow:
            rows = uow.session.execute(
                select(table.c.id, table.c.status, table.c.attempts, table.c.updated_at, table.c.not_before)
                .where(table.c.status.in_(RETRYABLE + ("sending",)),
                       # deferred ones (quiet hours, paused provider, rate limit) must not crowd out the rest
                       table.c.not_before.is_(None) | (table.c.not_before <= now))
                .order_by(table.c.updated_at).limit(100)
            ).all()
        for row in rows:
            if row.not_before is not None and row.not_before > now:
                continue
            wait = timedelta(seconds=min(10 * 2 ** row.attempts, 3600) * RETRY_SCALE()) if row.attempts else timedelta(0)
            if row.status == "sending":
                # A send cut off by a crash: the exchange takes seconds, so 30 s without news means it died.
                wait = timedelta(seconds=30)
            if row.updated_at + wait <= now:
                self._deliver(row.id, stale_sending=row.status == "sending")

    def _deliver(self, notification_id: str, stale_sending: bool = False):
        table = storage.notifications
        claimable = RETRYABLE + (("sending",) if stale_sending else ())
        with self.db.unit() as uow:
            claimed = uow.session.execute(
                update(table).where(table.c.id == notification_id, table.c.status.in_(claimable))
                .values(status="sending", attempts=table.c.attempts + 1, updated_at=_now())
            ).rowcount
            note = uow.session.execute(select(table).where(table.c.id == notification_id)).mappings().first()
        if not claimed:
            return
        self._send(dict(note))

    def _send(self, note: dict) -> None:
        """Send a notification this worker has claimed (status "sending"), then record how it went."""
        if note["channel"] in PHONE:
            self._deliver_phone(note)
            return
        try:
            self._send_email(note)
        except smtplib.SMTPResponseException as exc:
            status = "permanent-failure" if 500 <= exc.smtp_code < 600 else "temporary-failure"
            self._fail(note, status, f"{exc.smtp_code} {exc.smtp_error!r}")
            return
        except (OSError, smtplib.SMTPException) as exc:
            self._fail(note, "temporary-failure", f"{type(exc).__name__}: {exc}")
            return
        self._sent(note)

    def _sent(self, note, provider_message_id: str | None = None):
        table = storage.notifications
        with self.db.unit() as uow:
            now = _now()
            uow.session.execute(prebuilt(("notify.notifications.sent",), lambda: update(table).where(
                table.c.id == bindparam("note_id"))), {"note_id": note["id"], "status": "sent", "sent_at": now,
                                                       "updated_at": now, "last_error": "",
                                                       "provider_message_id": provider_message_id})
            uow.publish(NotificationSent, {
                "notification_id": note["id"], "dossier_code": note["dossier_code"], "channel": note["channel"],
                "template": note["template"], "cause_event_id": note["cause_event_id"],
            }, subject=note["dossier_code"])
        NOTIFICATIONS.labels(note["channel"], "sent").inc()

    def _fail(self, note, status: str, error: str):
        if status == "temporary-failure" and note["attempts"] + 1 >= MAX_ATTEMPTS:
            status = "technical-failure"
        with self.db.unit() as uow:
            uow.session.execute(update(storage.notifications).where(storage.notifications.c.id == note["id"])
                                .values(status=status, last_error=error[:500], updated_at=_now()))
            if status in ("permanent-failure", "technical-failure"):
                self._fall_back(uow, note)
        NOTIFICATIONS.labels(note["channel"], status).inc()

    def _fall_back(self, uow, note) -> None:
        """A phone channel failed for good: the next one of the ladder (Zalo → SMS) carries the same message."""
        following = sms.fallback_after(note["channel"], PHONE_CHANNELS())
        if following is None:
            return
        now = _now()
        uow.session.execute(storage.notifications.insert().values(
            id=str(uuid.uuid4()), dossier_code=note["dossier_code"], channel=following, recipient=note["recipient"],
            template=note["template"], language=note["language"], subject="", body=note["body"], status="created",
            attempts=0, last_error="", cause_event_id=note["cause_event_id"], created_at=now, updated_at=now,
            not_before=None))

    # -- phone channels: SMS and Zalo ZNS through an HTTP provider ------------------------------------------------
    def _deliver_phone(self, note):
        channel = note["channel"]
        now = _now()
        with self.db.unit() as uow:
            health = uow.session.execute(select(storage.provider_health).where(
                storage.provider_health.c.channel == channel)).mappings().first()
        if health and health["open_until"] and health["open_until"] > now:
            # The provider keeps failing: wait until the pause ends, without spending an attempt.
            with self.db.unit() as uow:
                uow.session.execute(update(storage.notifications).where(storage.notifications.c.id == note["id"])
                                    .values(status="temporary-failure", attempts=storage.notifications.c.attempts - 1,
                                            not_before=health["open_until"], last_error="provider paused",
                                            updated_at=now))
            return
        sent_lately = self._recently_sent(note["recipient"], now)
        if sent_lately >= PHONE_PER_HOUR():
            # Per-recipient limit: a runaway loop must not flood a citizen's phone (or the province's bill).
            with self.db.unit() as uow:
                uow.session.execute(update(storage.notifications).where(storage.notifications.c.id == note["id"])
                                    .values(status="temporary-failure", attempts=storage.notifications.c.attempts - 1,
                                            not_before=now + timedelta(minutes=10), last_error="rate limited",
                                            updated_at=now))
            NOTIFICATIONS.labels(channel, "rate-limited").inc()
            return
        # The same reference on every attempt: a resend after a crash is the same message to the provider.
        payload = {"to": note["recipient"], "reference": identity.provider_reference(note["id"]),
                   "callback_url": f"{self.settings.public_url}/api/v1/notifications/receipts"}
        if channel == "sms":
            payload["text"] = note["body"]
        else:
            payload.update(template_id=note["template"], params={"text": note["body"]})
        try:
            response = _http.post(f"{PROVIDER_URL()}/{channel}/send", json=payload, timeout=10,
                                  headers={"X-Api-Key": PROVIDER_KEY()})
            status_code = response.status_code
        except requests.RequestException as exc:
            status_code, response = None, exc
        if status_code is not None and status_code < 300:
            self._provider_result(channel, ok=True)
            self._sent(note, provider_message_id=str(response.json().get("message_id", ""))[:64])
            return
        if status_code is not None and 400 <= status_code < 500 and status_code != 429:
            self._fail(note, "permanent-failure", f"HTTP {status_code}: {response.text[:200]}")
            return
        self._provider_result(channel, ok=False)
        error = f"HTTP {status_code}" if status_code else f"{type(response).__name__}: {response}"
        self._fail(note, "temporary-failure", error)

    def _recently_sent(self, recipient: str, now: datetime) -> int:
        table = storage.notifications
        with self.db.unit() as uow:
            return uow.session.execute(select(func.count()).select_from(table).where(
                table.c.recipient == recipient, table.c.channel.in_(PHONE),
                table.c.status.in_(("sent", "delivered")), table.c.sent_at > now - timedelta(hours=1))).scalar_one()

    def _provider_result(self, channel: str, ok: bool) -> None:
        table = storage.provider_health
        with self.db.unit() as uow:
            row = uow.session.execute(select(table).where(table.c.channel == channel)).mappings().first()
            if row is None:
                uow.session.execute(table.insert().values(channel=channel, consecutive_failures=0, open_until=None))
                row = {"consecutive_failures": 0}
            failures = 0 if ok else row["consecutive_failures"] + 1
            values = {"consecutive_failures": failures}
            if not ok and failures >= BREAKER_FAILURES:
                values["open_until"] = _now() + timedelta(seconds=BREAKER_PAUSE_SECONDS * RETRY_SCALE())
                self.log.warning("provider_paused", channel=channel, failures=failures)
            if ok:
                values["open_until"] = None
            uow.session.execute(update(table).where(table.c.channel == channel).values(**values))

    @rpc
    def provider_receipt(self, body: str, signature: str) -> dict:
        """A delivery receipt from the SMS/Zalo provider (public callback): signed with the provider key."""
        expected = hmac.new(PROVIDER_KEY().encode(), body.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature or ""):
            raise Forbidden("invalid_signature", "Chữ ký biên nhận không hợp lệ.")
        try:
            receipt = json.loads(body)
            reference, outcome = str(receipt["reference"]), receipt["status"]
        except (ValueError, KeyError, TypeError):
            raise InvalidInput("invalid_receipt", "Biên nhận không đọc được.") from None
        table = storage.notifications
        with self.db.unit() as uow:
            note = uow.session.execute(select(table).where(table.c.id == reference)).mappings().first()
            if note is None:
                raise NotFound("notification_not_found", "Không tìm thấy thông báo.")
            if note["status"] in ("delivered", "permanent-failure"):
                return {"id": reference, "status": note["status"]}  # a repeated receipt changes nothing
            status = "delivered" if outcome == "delivered" else "permanent-failure"
            uow.session.execute(update(table).where(table.c.id == reference).values(
                status=status, updated_at=_now(), last_error=str(receipt.get("error") or "")[:500]))
            if status == "permanent-failure":
                self._fall_back(uow, note)
        NOTIFICATIONS.labels(note["channel"], status).inc()
        return {"id": reference, "status": status}

    def _send_email(self, note):
        sender, data = build_message(
            self.settings.mail_from, note["recipient"], note["subject"], note["body"],
            {"X-MotCua-Notification-Id": note["id"], "X-MotCua-Dossier-Code": note["dossier_code"]},
            # The same Message-ID on every attempt (a resend after a crash): mail clients show one message.
            message_id=identity.message_id(note["id"], message_id_domain(self.settings)))
        self.mailer.send(sender, note["recipient"], data)

    @rpc
    def list_notifications(self, dossier_code: str) -> list[dict]:
        """Notifications about a dossier, for its timeline (no message bodies)."""
        with self.db.unit() as uow:
            rows = storage.for_dossier(uow.session, dossier_code)
        if rows is None:
            raise NotFound("dossier_not_found", "Không tìm thấy hồ sơ.")
        return [{"id": r["id"], "channel": r["channel"], "template": r["template"], "status": r["status"],
                 "created_at": r["created_at"].isoformat(), "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None}
                for r in rows]

    @rpc
    def health(self) -> dict:
        self.db.engine.connect().close()
        return {"status": "ok"}

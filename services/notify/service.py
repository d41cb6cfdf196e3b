"""Notify service: tells citizens what happened to their dossiers (e-mail over SMTP for now)."""
from __future__ import annotations

import smtplib
import uuid
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from motcua.intake.v1.events_pb2 import DossierSubmitted
from motcua.notify.v1.events_pb2 import NotificationSent
from motcua.workflow.v1.events_pb2 import DossierStatusChanged
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer
from prometheus_client import Counter
from sqlalchemy import select, update

from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.errors import NotFound
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.chassis.rpc import call
from services.notify import storage
from services.notify.domain.templates import Templates, template_for
from services.notify.feeds import AgencyFeeds

LEGAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
RETRYABLE = ("created", "temporary-failure")
MAX_ATTEMPTS = 8
NOTIFICATIONS = Counter(
    "motcua_notify_notifications_total", "Notifications by channel and final or intermediate status.",
    ["channel", "status"],
)


class TemplatesProvider(DependencyProvider):
    def setup(self):
        self.templates = Templates()

    def get_dependency(self, worker_ctx):
        return self.templates


def _now() -> datetime:
    return datetime.now(timezone.utc)


class NotifyService(AgencyFeeds):
    name = "notify"

    db = Database(storage.metadata)
    settings = SettingsProvider()
    templates = TemplatesProvider()
    intake = RpcProxy("intake")
    log = LogContext()
    metrics = EntrypointMetrics()

    @on_event(DossierSubmitted)
    def on_dossier_submitted(self, event):
        """Keep how to reach the applicant of the dossier."""
        contact = event.data.contact
        with self.db.unit(event) as uow:
            if uow.duplicate or storage.find_recipient(uow.session, event.data.dossier_code):
                return
            uow.session.execute(storage.recipients.insert().values(
                dossier_code=event.data.dossier_code, full_name=contact.full_name, email=contact.email,
                phone=contact.phone, language=contact.language or "vi",
            ))

    @on_event(DossierStatusChanged)
    def on_dossier_status_changed(self, event):
        """Tell the citizen when their dossier enters a status that has a template."""
        data = event.data
        name = template_for(data.action, data.from_status, data.to_status)
        if name is None:
            return
        with self.db.unit() as uow:
            recipient = storage.find_recipient(uow.session, data.dossier_code)
        if recipient is None:
            # Status events may overtake DossierSubmitted (separate queues): ask intake, the dossier's owner.
            recipient = call(self.intake.get_contact, data.dossier_code)
        if not recipient.get("email"):
            return
        due_local = ""
        if data.HasField("due_at"):
            due_local = data.due_at.ToDatetime(tzinfo=timezone.utc).astimezone(LEGAL_TZ).strftime("%H:%M %d/%m/%Y")
        rendered = self.templates.render(name, recipient.get("language") or "vi", {
            "full_name": recipient["full_name"], "dossier_code": data.dossier_code,
            "procedure_code": data.procedure_code, "agency_code": data.agency_code, "due_local": due_local,
            "public_url": self.settings.public_url, "reason": data.reason,
        })
        notification_id = str(uuid.uuid4())
        with self.db.unit(event) as uow:
            if uow.duplicate:
                return
            now = _now()
            uow.session.execute(storage.notifications.insert().values(
                id=notification_id, dossier_code=data.dossier_code, channel="email",
                recipient=recipient["email"], template=rendered.template, language=rendered.language,
                subject=rendered.subject, body=rendered.body, status="created", attempts=0, last_error="",
                cause_event_id=event.id, created_at=now, updated_at=now,
            ))
        NOTIFICATIONS.labels("email", "created").inc()
        self._deliver(notification_id)

    @timer(interval=5)
    def retry_pending(self):
        """Send what is still pending: created but never sent (process stopped), temporary failures after
        their backoff, and sends cut off mid-way. Replicas may run this together: each row is claimed first."""
        now = _now()
        table = storage.notifications
        with self.db.unit() as uow:
            rows = uow.session.execute(
                select(table.c.id, table.c.status, table.c.attempts, table.c.updated_at)
                .where(table.c.status.in_(RETRYABLE + ("sending",)))
                .order_by(table.c.updated_at).limit(100)
            ).all()
        for row in rows:
            wait = timedelta(seconds=min(10 * 2 ** row.attempts, 3600))
            if row.status == "sending":
                # A send cut off by a crash: the SMTP exchange takes seconds, so 30 s without news means it died.
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
        try:
            self._send_email(note)
        except smtplib.SMTPResponseException as exc:
            status = "permanent-failure" if 500 <= exc.smtp_code < 600 else "temporary-failure"
            self._fail(note, status, f"{exc.smtp_code} {exc.smtp_error!r}")
            return
        except (OSError, smtplib.SMTPException) as exc:
            self._fail(note, "temporary-failure", f"{type(exc).__name__}: {exc}")
            return
        with self.db.unit() as uow:
            uow.session.execute(update(table).where(table.c.id == notification_id).values(
                status="sent", sent_at=_now(), updated_at=_now(), last_error=""))
            uow.publish(NotificationSent, {
                "notification_id": notification_id, "dossier_code": note["dossier_code"], "channel": "email",
                "template": note["template"], "cause_event_id": note["cause_event_id"],
            }, subject=note["dossier_code"])
        NOTIFICATIONS.labels("email", "sent").inc()

    def _fail(self, note, status: str, error: str):
        if status == "temporary-failure" and note["attempts"] + 1 >= MAX_ATTEMPTS:
            status = "technical-failure"
        with self.db.unit() as uow:
            uow.session.execute(update(storage.notifications).where(storage.notifications.c.id == note["id"])
                                .values(status=status, last_error=error[:500], updated_at=_now()))
        NOTIFICATIONS.labels("email", status).inc()

    def _send_email(self, note):
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = note["recipient"]
        message["Subject"] = note["subject"]
        message["Message-ID"] = make_msgid(idstring=note["id"], domain="motcua.local")
        message["X-MotCua-Notification-Id"] = note["id"]
        message["X-MotCua-Dossier-Code"] = note["dossier_code"]
        message.set_content(note["body"])
        with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=15) as smtp:
            smtp.send_message(message)

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

"""Notify service: tells citizens what happened to their dossiers (e-mail, SMS, Zalo) and feeds agencies every
public event as signed webhooks.

Entrypoints only: each one calls one use case (services/notify/use_cases/) and answers. The rules are in
domain/, the SQL, the mailer, the phone provider and the webhook HTTP client in adapters/; see README.md."""

from __future__ import annotations

from motcua.intake.v1.events_pb2 import ApplicantContactRecorded, DossierSubmitted
from motcua.payment.v1.events_pb2 import (
    PaymentCompleted,
    PaymentExpired,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
)
from motcua.workflow.v1.events_pb2 import CaseDueSoon, CaseOverdue, DossierStatusChanged, ResultIssued
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services.chassis.consumers import on_event
from services.chassis.database import Database
from services.chassis.dependencies import SettingsProvider
from services.chassis.logs import LogContext
from services.chassis.metrics import EntrypointMetrics
from services.notify.adapters import storage
from services.notify.dependencies import MailerProvider, TemplatesProvider
from services.notify.use_cases import Ports, citizens, feeds, phone, reminders, sending, subscriptions


class NotifyService:
    name = "notify"

    db = Database(storage.metadata)
    settings = SettingsProvider()
    templates = TemplatesProvider()
    mailer = MailerProvider()
    intake = RpcProxy("intake")
    workflow = RpcProxy("workflow")
    log = LogContext()
    metrics = EntrypointMetrics()

    # -- citizens -----------------------------------------------------------------------------------------------
    @on_event(ApplicantContactRecorded)
    def on_applicant_contact_recorded(self, event):
        """Keep how to reach the applicant of a dossier. A private event (intake.private): it never reaches the
        agency feeds. Idempotent: the first copy per dossier wins, a redelivery inserts nothing."""
        citizens.keep_contact(self.db, event.data)

    @on_event(DossierStatusChanged)
    def on_dossier_status_changed(self, event):
        """Tell the citizen when their dossier enters a status that has a template, and record the event for
        agency feeds (in the same transaction as the notifications)."""
        citizens.tell_status_change(Ports.of(self), event)

    @timer(interval=2)
    def retry_pending(self):
        """Send what is still pending: created but never sent (process stopped, quiet hours over), temporary
        failures after their backoff, and sends cut off mid-way. Replicas may run this together: each row is
        claimed first."""
        sending.retry_pending(Ports.of(self))

    @rpc
    def provider_receipt(self, body: str, signature: str) -> dict:
        """A delivery receipt from the SMS/Zalo provider (public callback): signed with the provider key."""
        return phone.receipt(Ports.of(self), body, signature)

    @rpc
    def list_notifications(self, dossier_code: str) -> list[dict]:
        """Notifications about a dossier, for its timeline (no message bodies, no addresses)."""
        return citizens.timeline(self.db, dossier_code)

    @rpc
    def health(self) -> dict:
        """Database reachable."""
        self.db.engine.connect().close()
        return {"status": "ok"}

    # -- agency feeds: one handler (and queue) per public event type --------------------------------------------
    # DossierStatusChanged is recorded by the citizen handler above, in the same transaction as the
    # notifications (one message and one transaction per event instead of two: notify is the busiest service
    # per dossier). DossierSubmitted names the applicant only by a keyed reference; its contact travels apart,
    # on the private ApplicantContactRecorded.
    @on_event(DossierSubmitted)
    def on_dossier_submitted(self, event):
        """Record the event for agency feeds."""
        feeds.record(self.db, event)

    @on_event(CaseDueSoon)
    def feed_case_due_soon(self, event):
        """Record the event for agency feeds; remind the case's assignee and its agency's leaders by e-mail."""
        reminders.remind(Ports.of(self), event)

    @on_event(CaseOverdue)
    def feed_case_overdue(self, event):
        """Record the event for agency feeds; tell the case's assignee and its agency's leaders by e-mail."""
        reminders.remind(Ports.of(self), event)

    @on_event(ResultIssued)
    def feed_result_issued(self, event):
        feeds.record(self.db, event)

    @on_event(PaymentRequested)
    def feed_payment_requested(self, event):
        feeds.record(self.db, event)

    @on_event(PaymentCompleted)
    def feed_payment_completed(self, event):
        feeds.record(self.db, event)

    @on_event(PaymentFailed)
    def feed_payment_failed(self, event):
        feeds.record(self.db, event)

    @on_event(PaymentExpired)
    def feed_payment_expired(self, event):
        feeds.record(self.db, event)

    @on_event(PaymentRefunded)
    def feed_payment_refunded(self, event):
        feeds.record(self.db, event)

    @timer(interval=1)
    def deliver_webhooks(self):
        """Send what is due. Replicas run this together: each delivery is claimed by one of them first."""
        feeds.deliver_due(self.db)

    # -- agencies' subscriptions (through the gateway, agencies only) -------------------------------------------
    @rpc
    def create_subscription(self, owner: str, request: dict, idempotency_key: str | None = None) -> dict:
        """Subscribe `owner` (an agency) to events; the secret is shown once, here.

        With `idempotency_key`, a retry of the same request answers with the subscription the first one created
        (`replayed: True`, with the secret in force: the kept answer never holds a copy of it); another
        request: Conflict."""
        return subscriptions.create(self.db, owner, request, idempotency_key)

    @rpc
    def list_subscriptions(self, owner: str) -> list[dict]:
        """An agency's subscriptions (never their secrets)."""
        return subscriptions.list_for(self.db, owner)

    @rpc
    def get_subscription(self, owner: str, subscription_id: str) -> dict:
        """One subscription with its deliveries counted by status."""
        return subscriptions.get(self.db, owner, subscription_id)

    @rpc
    def delete_subscription(self, owner: str, subscription_id: str) -> dict:
        """Stop a subscription; its deliveries not yet made are cancelled."""
        return subscriptions.delete(self.db, owner, subscription_id)

    @rpc
    def rotate_secret(self, owner: str, subscription_id: str, grace_seconds: int = 86400) -> dict:
        """A new secret; the old one stays valid for `grace_seconds` (deliveries carry both signatures)."""
        return subscriptions.rotate_secret(self.db, owner, subscription_id, grace_seconds)

    @rpc
    def list_deliveries(
        self, owner: str, subscription_id: str, status: str | None = None, limit: int = 50
    ) -> list:
        """Delivery history, newest first; `status="dead"` is the dead-letter view."""
        return subscriptions.deliveries(self.db, owner, subscription_id, status, limit)

    @rpc
    def replay(self, owner: str, subscription_id: str, request: dict) -> dict:
        """Deliver again every matching event recorded since a time (`since`, ISO 8601) or after an event
        (`after_event_id`), in their original order, as new messages (their own webhook-id)."""
        return subscriptions.replay(self.db, owner, subscription_id, request)

"""SMS and Zalo ZNS through the HTTP provider: a paused provider (circuit breaker) and a flooded phone wait
without spending an attempt; the provider's signed delivery receipts close a notification."""

from __future__ import annotations

import json
from datetime import timedelta

from services.chassis.clock import utcnow
from services.chassis.errors import Forbidden, InvalidInput, NotFound
from services.notify.adapters import citizen_store, phone, settings
from services.notify.domain import delivery, identity
from services.notify.metrics import NOTIFICATIONS
from services.notify.use_cases import Ports, outcomes

RECEIPTS_PATH = "/api/v1/notifications/receipts"  # the gateway route that hands receipts to provider_receipt


def deliver(ports: Ports, note: dict) -> None:
    """Send one claimed phone notification, unless its provider is paused or the phone had enough this hour."""
    config = settings.current()
    if _waits(ports, note, config):
        return
    # The same reference on every attempt: a resend after a crash is the same message to the provider.
    answer = phone.send(
        config.provider_url,
        config.provider_key,
        note["channel"],
        note["recipient"],
        identity.provider_reference(note["id"]),
        note["body"],
        note["template"],
        f"{ports.settings.public_url}{RECEIPTS_PATH}",
    )
    outcome = delivery.provider_outcome(answer.status_code)
    if outcome == "sent":
        _provider_result(ports, note["channel"], ok=True)
        outcomes.sent(ports.db, note, provider_message_id=answer.message_id)
        return
    if outcome == "temporary-failure":
        _provider_result(ports, note["channel"], ok=False)
    outcomes.failed(ports.db, note, outcome, answer.error)


def _waits(ports: Ports, note: dict, config: settings.NotifySettings) -> bool:
    """Defer the notification (True) when its provider is paused or its phone is at the hourly limit."""
    now = utcnow()
    with ports.db.unit() as uow:
        health = citizen_store.provider_state(uow.session, note["channel"])
        if health and delivery.paused(health["open_until"], now):
            # The provider keeps failing: wait until the pause ends, without spending an attempt.
            citizen_store.defer(uow.session, note["id"], health["open_until"], "provider paused", now)
            return True
        sent_lately = citizen_store.recently_sent(
            uow.session, note["recipient"], delivery.PHONE, now - timedelta(hours=1)
        )
        if sent_lately < config.phone_per_hour:
            return False
        # Per-recipient limit: a runaway loop must not flood a citizen's phone (or the province's bill).
        citizen_store.defer(uow.session, note["id"], now + delivery.RATE_LIMIT_PAUSE, "rate limited", now)
    NOTIFICATIONS.labels(note["channel"], "rate-limited").inc()
    return True


def _provider_result(ports: Ports, channel: str, ok: bool) -> None:
    """Count the provider's consecutive failures; pause it after BREAKER_FAILURES (for every replica)."""
    with ports.db.unit() as uow:
        row = citizen_store.provider_state(uow.session, channel)
        if row is None:
            citizen_store.add_provider(uow.session, channel)
            row = {"consecutive_failures": 0}
        breaker = delivery.after_result(
            row["consecutive_failures"], ok, utcnow(), settings.current().retry_scale
        )
        values: dict = {"consecutive_failures": breaker.failures}
        if breaker.open_until is not None:
            values["open_until"] = breaker.open_until
            ports.log.warning("provider_paused", channel=channel, failures=breaker.failures)
        if breaker.close:
            values["open_until"] = None
        citizen_store.set_provider(uow.session, channel, **values)


def receipt(ports: Ports, body: str, signature: str) -> dict:
    """A delivery receipt from the provider (a public callback, signed with the provider key): delivered or a
    permanent failure (then the next phone channel); a repeated or late contrary receipt changes nothing."""
    if not delivery.receipt_signed(settings.current().provider_key, body, signature):
        raise Forbidden("invalid_signature", "Chữ ký biên nhận không hợp lệ.")
    try:
        parsed = json.loads(body)
        reference, outcome = str(parsed["reference"]), parsed["status"]
    except (ValueError, KeyError, TypeError):
        raise InvalidInput("invalid_receipt", "Biên nhận không đọc được.") from None
    with ports.db.unit() as uow:
        note = citizen_store.find_notification(uow.session, reference)
        if note is None:
            raise NotFound("notification_not_found", "Không tìm thấy thông báo.")
        if note["status"] in ("delivered", "permanent-failure"):
            return {"id": reference, "status": note["status"]}  # a repeated receipt changes nothing
        status = delivery.receipt_status(outcome)
        citizen_store.set_status(uow.session, reference, status, str(parsed.get("error") or ""), utcnow())
        if status == "permanent-failure":
            outcomes.fall_back(uow, note)
    NOTIFICATIONS.labels(note["channel"], status).inc()
    return {"id": reference, "status": status}

"""Agencies manage their subscriptions (through the gateway): create (the secret shown once), list, read with
delivery counts, delete, rotate the secret with a grace period, the delivery history (and dead letters), replay."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

from services.chassis import idempotency
from services.chassis.clock import utcnow
from services.chassis.errors import InvalidInput, NotFound
from services.notify.adapters import feed_store, settings, targets
from services.notify.domain import webhooks
from services.notify.use_cases.feeds import CLAIMABLE, FEED_TYPES, filters_of


def _strings(value, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 120 for v in value):
        raise InvalidInput("invalid_request", f"{name} phải là danh sách chuỗi.", {"field": name})
    return sorted(set(value))


def _view(row) -> dict:
    return {
        "id": row["id"],
        "url": row["url"],
        "event_types": json.loads(row["event_types"]),
        "units": json.loads(row["units"]),
        "procedures": json.loads(row["procedures"]),
        "active": row["active"],
        "created_at": row["created_at"].isoformat(),
        "secret_rotating_until": row["previous_valid_until"].isoformat()
        if row["previous_valid_until"]
        else None,
    }


def _own(session, owner: str, subscription_id: str):
    row = feed_store.find_subscription(session, subscription_id, owner=owner)
    if row is None:
        raise NotFound("subscription_not_found", "Không tìm thấy đăng ký nhận sự kiện.")
    return row


def _checked(request) -> tuple[str, list[str]]:
    """The url and event types a request asks for, validated."""
    if not isinstance(request, dict):
        raise InvalidInput("invalid_request", "Cần một đối tượng JSON.")
    url = request.get("url")
    if not isinstance(url, str) or len(url) > 500:
        raise InvalidInput("invalid_url", "Cần địa chỉ url hợp lệ.")
    try:
        targets.check_target(url, settings.current().webhook_allowed_hosts)
    except webhooks.TargetRefused as exc:
        raise InvalidInput(
            "target_refused",
            "Địa chỉ nhận không được phép (mạng nội bộ hoặc không phân giải được).",
            {"reason": str(exc)},
        ) from None
    types = _strings(request.get("event_types"), "event_types")
    unknown = sorted(set(types) - set(FEED_TYPES))
    if unknown:
        raise InvalidInput(
            "unknown_event_type",
            "Loại sự kiện không tồn tại.",
            {"unknown": unknown, "known": list(FEED_TYPES)},
        )
    return url, types


def create(db, owner: str, request: dict, idempotency_key: str | None) -> dict:
    """The new subscription with its secret. With a key, a retry answers with the first one's subscription and
    the secret in force (the kept answer never holds a copy of it)."""
    url, types = _checked(request)
    key = idempotency.checked_key(idempotency_key)
    secret = webhooks.new_secret()
    values = {
        "id": str(uuid.uuid4()),
        "owner": owner,
        "url": url,
        "event_types": json.dumps(types),
        "units": json.dumps(_strings(request.get("units"), "units")),
        "procedures": json.dumps(_strings(request.get("procedures"), "procedures")),
        "secret": secret,
        "previous_secret": None,
        "previous_valid_until": None,
        "active": True,
        "created_at": utcnow(),
    }

    def insert(uow) -> dict:
        feed_store.add_subscription(uow.session, values)
        return _view(values)

    answer = idempotency.perform(
        db, owner, key, idempotency.request_hash(request, "create_subscription"), insert
    )
    if answer.get("replayed"):
        with db.unit() as uow:
            secret = _own(uow.session, owner, answer["id"])["secret"]
    return {**answer, "secret": secret}


def list_for(db, owner: str) -> list[dict]:
    with db.unit() as uow:
        return [_view(r) for r in feed_store.subscriptions_of(uow.session, owner)]


def get(db, owner: str, subscription_id: str) -> dict:
    with db.unit() as uow:
        row = _own(uow.session, owner, subscription_id)
        counts = feed_store.delivery_counts(uow.session, subscription_id)
    return {**_view(row), "deliveries": counts}


def delete(db, owner: str, subscription_id: str) -> dict:
    with db.unit() as uow:
        _own(uow.session, owner, subscription_id)
        feed_store.deactivate(uow.session, subscription_id, CLAIMABLE, utcnow())
    return {"id": subscription_id, "active": False}


def rotate_secret(db, owner: str, subscription_id: str, grace_seconds: int) -> dict:
    """A new secret; the old one stays valid for `grace_seconds` (deliveries carry both signatures)."""
    if not isinstance(grace_seconds, int) or not 0 <= grace_seconds <= 7 * 86400:
        raise InvalidInput("invalid_request", "grace_seconds từ 0 đến 604800.")
    secret = webhooks.new_secret()
    with db.unit() as uow:
        row = _own(uow.session, owner, subscription_id)
        feed_store.set_secret(
            uow.session, subscription_id, secret, row["secret"], utcnow() + timedelta(seconds=grace_seconds)
        )
    return {
        "id": subscription_id,
        "secret": secret,
        "previous_valid_until": (utcnow() + timedelta(seconds=grace_seconds)).isoformat(),
    }


def deliveries(db, owner: str, subscription_id: str, status: str | None, limit: int) -> list:
    """Delivery history, newest first; `status="dead"` is the dead-letter view."""
    limit = max(1, min(int(limit), 500))
    with db.unit() as uow:
        _own(uow.session, owner, subscription_id)
        rows = feed_store.deliveries_of(uow.session, subscription_id, status, limit)
    return [
        {
            "id": r["id"],
            "event_id": r["event_id"],
            "event_type": r["type"],
            "subject": r["subject"],
            "round": r["round"],
            "status": r["status"],
            "attempts": r["attempts"],
            "last_status_code": r["last_status_code"],
            "last_error": r["last_error"],
            "next_attempt_at": r["next_attempt_at"].isoformat(),
            "delivered_at": r["delivered_at"].isoformat() if r["delivered_at"] else None,
        }
        for r in rows
    ]


def _since(value) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("invalid_request", "since phải là thời điểm ISO 8601.") from None
    if moment.tzinfo is None:
        raise InvalidInput("invalid_request", "since cần múi giờ.")
    return moment


def replay(db, owner: str, subscription_id: str, request: dict) -> dict:
    """Deliver again every matching event recorded since a time (`since`) or after an event (`after_event_id`),
    in their original order, as new messages (a new round: their own webhook-id)."""
    since, after = (request or {}).get("since"), (request or {}).get("after_event_id")
    if bool(since) == bool(after):
        raise InvalidInput("invalid_request", "Cần đúng một trong hai: since hoặc after_event_id.")
    with db.unit() as uow:
        sub = _own(uow.session, owner, subscription_id)
        if since:
            logged = feed_store.logged_events(uow.session, since=_since(since))
        else:
            start = feed_store.seq_of(uow.session, str(after))
            if start is None:
                raise NotFound("event_not_found", "Không tìm thấy sự kiện.")
            logged = feed_store.logged_events(uow.session, after_seq=start)
        filters = filters_of(sub)
        events = [
            e
            for e in logged
            if webhooks.matches(
                filters, {"type": e["type"], "unit": e["unit"], "procedure_code": e["procedure_code"]}
            )
        ]
        round_ = feed_store.next_round(uow.session, subscription_id)
        now = utcnow()
        for e in events:
            feed_store.add_delivery(uow.session, subscription_id, e["seq"], e["event_id"], round_, now)
    return {"id": subscription_id, "round": round_, "events": len(events)}

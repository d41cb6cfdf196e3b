"""Agency feeds: every public event is logged, matched against agencies' subscriptions and delivered as a signed
CloudEvent (Standard Webhooks), at least once, with backoff for days, a delivery history, a dead-letter view
and replay. A mixin of NotifyService (it uses its `db`, `settings` and `log`)."""
from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
import requests
from motcua.intake.v1.events_pb2 import DossierSubmitted
from motcua.payment.v1.events_pb2 import (
    PaymentCompleted,
    PaymentExpired,
    PaymentFailed,
    PaymentRefunded,
    PaymentRequested,
)
from motcua.workflow.v1.events_pb2 import CaseDueSoon, CaseOverdue, DossierStatusChanged, ResultIssued
from nameko.rpc import rpc
from nameko.timer import timer
from prometheus_client import Counter
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql

from services.chassis import idempotency
from services.chassis.consumers import on_event
from services.chassis.errors import InvalidInput, NotFound
from services.chassis.events import event_type, public_view
from services.chassis.metrics import EVENTS_DUPLICATE
from services.chassis.statements import dialect_insert, prebuilt
from services.notify import pinned, storage
from services.notify.domain import webhooks

FEED_TYPES = tuple(event_type(m) for m in (
    DossierSubmitted, DossierStatusChanged, CaseDueSoon, CaseOverdue, ResultIssued, PaymentRequested,
    PaymentCompleted, PaymentFailed, PaymentExpired, PaymentRefunded))
CLAIMABLE = ("pending", "retrying")
STALE_DELIVERING = timedelta(seconds=60)
DELIVERIES = Counter("motcua_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"])
_http = requests.Session()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def outbound(envelope: dict) -> dict:
    """The CloudEvent as an agency receives it: the contract's fields, never one marked personal (an agency that
    needs personal data asks the registry, with the citizen's consent)."""
    return {**envelope, "data": public_view(envelope["type"], envelope.get("data", {}))}


def _allowed_hosts() -> list[str]:
    return [h for h in os.environ.get("WEBHOOK_ALLOWED_HOSTS", "").split(",") if h.strip()]


def _scale() -> float:
    return float(os.environ.get("WEBHOOK_RETRY_SCALE", "1"))


def _strings(value, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 120 for v in value):
        raise InvalidInput("invalid_request", f"{name} phải là danh sách chuỗi.", {"field": name})
    return sorted(set(value))


def _view(row) -> dict:
    return {"id": row["id"], "url": row["url"], "event_types": json.loads(row["event_types"]),
            "units": json.loads(row["units"]), "procedures": json.loads(row["procedures"]),
            "active": row["active"], "created_at": row["created_at"].isoformat(),
            "secret_rotating_until": row["previous_valid_until"].isoformat() if row["previous_valid_until"] else None}


def _record_matching():
    """PostgreSQL: add an event to the log unless there (ON CONFLICT DO NOTHING) and, in the same statement, read
    the active subscriptions: `WITH recorded AS (INSERT … RETURNING seq) SELECT seq, subscriptions.* FROM
    recorded LEFT JOIN subscriptions ON active`."""
    log_table, subs = storage.event_log, storage.subscriptions
    names = ("event_id", "type", "subject", "unit", "procedure_code", "occurred_at", "envelope", "received_at")
    recorded = (postgresql.insert(log_table).values({name: bindparam(name, type_=log_table.c[name].type)
                                                      for name in names})
                .on_conflict_do_nothing(index_elements=[log_table.c.event_id])
                .returning(log_table.c.seq).cte("recorded"))
    return select(recorded.c.seq, subs).select_from(recorded.outerjoin(subs, subs.c.active.is_(True)))


class AgencyFeeds:
    # -- recording: one handler per public event type, each with its own queue. DossierSubmitted and
    # DossierStatusChanged are recorded by the citizen handlers in NotifyService, in the same transaction (one
    # message and one transaction per event instead of two: notify is the busiest service per dossier).
    def _record(self, event) -> None:
        with self.db.unit() as uow:
            self.record_in(uow.session, event)

    def record_in(self, session, event) -> bool:
        """Add `event` to the event log and queue a delivery for every active subscription it matches, in the
        caller's transaction. False if the event was recorded before (a redelivery): recording it is then
        nothing.

        The event log's unique event id is also the handlers' deduplication: each public event type is recorded
        by exactly one handler of this service, so an inbox entry beside it would say the same thing again (one
        statement fewer per event). Two replicas racing: the second insert waits for the first transaction,
        then inserts nothing."""
        data = event.raw.get("data", {})
        unit = data.get("agency_code") or data.get("receiving_agency_code") or ""
        now = _now()
        log_table, subs = storage.event_log, storage.subscriptions
        dialect = session.get_bind().dialect.name
        values = {
            "event_id": event.id, "type": event.type, "subject": event.subject, "unit": unit,
            "procedure_code": data.get("procedure_code", ""), "occurred_at": event.time,
            "envelope": json.dumps(event.raw, ensure_ascii=False), "received_at": now}
        if dialect == "postgresql":
            # One round trip: the insert and the read of the active subscriptions in a single statement (a
            # data-modifying WITH). No row back: recorded before. Otherwise one row per active subscription, or
            # one with no subscription when there is none.
            rows = session.execute(prebuilt(("notify.event_log.record_matching",), _record_matching), values).all()
            if not rows:
                EVENTS_DUPLICATE.labels("notify", f"record:{event.type}").inc()
                return False
            seq = rows[0].seq
            active = [row._mapping for row in rows if row.id is not None]
        else:
            record = prebuilt(("notify.event_log.record", dialect), lambda: dialect_insert(session, log_table)
                              .on_conflict_do_nothing(index_elements=[log_table.c.event_id]).returning(log_table.c.seq))
            seq = session.execute(record, values).scalar()
            if seq is None:
                EVENTS_DUPLICATE.labels("notify", f"record:{event.type}").inc()
                return False
            active = session.execute(prebuilt(("notify.subscriptions.active",), lambda: select(subs).where(
                subs.c.active.is_(True)))).mappings().all()
        entry = {"type": event.type, "unit": unit, "procedure_code": data.get("procedure_code", "")}
        for sub in active:
            filters = {k: json.loads(sub[k]) for k in ("event_types", "units", "procedures")}
            if webhooks.matches(filters, entry):
                session.execute(storage.webhook_deliveries.insert().values(
                    id=str(uuid.uuid4()), subscription_id=sub["id"], event_seq=seq, event_id=event.id, round=0,
                    status="pending", attempts=0, next_attempt_at=now, last_error="", created_at=now,
                    updated_at=now))
        return True

    @on_event(CaseDueSoon)
    def feed_case_due_soon(self, event):
        self._record(event)

    @on_event(CaseOverdue)
    def feed_case_overdue(self, event):
        self._record(event)

    @on_event(ResultIssued)
    def feed_result_issued(self, event):
        self._record(event)

    @on_event(PaymentRequested)
    def feed_payment_requested(self, event):
        self._record(event)

    @on_event(PaymentCompleted)
    def feed_payment_completed(self, event):
        self._record(event)

    @on_event(PaymentFailed)
    def feed_payment_failed(self, event):
        self._record(event)

    @on_event(PaymentExpired)
    def feed_payment_expired(self, event):
        self._record(event)

    @on_event(PaymentRefunded)
    def feed_payment_refunded(self, event):
        self._record(event)

    # -- delivering -------------------------------------------------------------------------------------------
    @timer(interval=1)
    def deliver_webhooks(self):
        """Send what is due. Replicas run this together: each delivery is claimed by one of them first."""
        now = _now()
        table = storage.webhook_deliveries
        with self.db.unit() as uow:
            due = uow.session.execute(
                select(table.c.id).where(
                    ((table.c.status.in_(CLAIMABLE)) & (table.c.next_attempt_at <= now))
                    | ((table.c.status == "delivering") & (table.c.updated_at <= now - STALE_DELIVERING)))
                .order_by(table.c.next_attempt_at, table.c.event_seq).limit(100)).scalars().all()
        if due:
            pool = eventlet.GreenPool(10)
            for delivery_id in due:
                pool.spawn_n(self._deliver_webhook, delivery_id)
            pool.waitall()

    def _deliver_webhook(self, delivery_id: str) -> None:
        table = storage.webhook_deliveries
        now = _now()
        with self.db.unit() as uow:
            claimed = uow.session.execute(update(table).where(
                table.c.id == delivery_id,
                (table.c.status.in_(CLAIMABLE)) | ((table.c.status == "delivering")
                                                   & (table.c.updated_at <= now - STALE_DELIVERING)),
            ).values(status="delivering", attempts=table.c.attempts + 1, updated_at=now)).rowcount
            if not claimed:
                return
            delivery = uow.session.execute(select(table).where(table.c.id == delivery_id)).mappings().one()
            sub = uow.session.execute(select(storage.subscriptions).where(
                storage.subscriptions.c.id == delivery["subscription_id"])).mappings().one()
            envelope = uow.session.execute(select(storage.event_log.c.envelope).where(
                storage.event_log.c.seq == delivery["event_seq"])).scalar_one()
        if not sub["active"]:
            self._settle(delivery_id, "cancelled", None, "subscription deleted")
            return
        try:
            addresses = webhooks.check_target(sub["url"], _allowed_hosts())
        except webhooks.TargetRefused as exc:
            self._settle(delivery_id, "dead", None, f"target refused: {exc}")
            DELIVERIES.labels("refused_target").inc()
            return
        body = json.dumps(outbound(json.loads(envelope)), ensure_ascii=False).encode()
        msg_id = delivery["event_id"] if delivery["round"] == 0 else f"{delivery['event_id']}.replay{delivery['round']}"
        in_force = [sub["secret"]]
        if sub["previous_secret"] and sub["previous_valid_until"] and sub["previous_valid_until"] > now:
            in_force.append(sub["previous_secret"])
        headers = {"Content-Type": "application/cloudevents+json; charset=utf-8", "User-Agent": "MotCua-Webhooks/1",
                   **webhooks.headers(in_force, msg_id, body)}
        try:
            if addresses:  # connect to the address just checked, not to a second DNS answer
                code, text = pinned.post(sub["url"], addresses[0], body, headers, timeout=10)
                error = "" if 200 <= code < 400 else text
            else:  # a host the province allowed by name (WEBHOOK_ALLOWED_HOSTS)
                response = _http.post(sub["url"], data=body, headers=headers, timeout=10, allow_redirects=False)
                code, error = response.status_code, "" if response.ok else response.text[:300]
        except (requests.RequestException, pinned.DeliveryError) as exc:
            code, error = None, f"{type(exc).__name__}: {exc}"[:300]
        if code is not None and 200 <= code < 300:
            self._settle(delivery_id, "delivered", code, "")
            DELIVERIES.labels("delivered").inc()
            return
        delay = webhooks.next_delay(delivery["attempts"] + 1, _scale())
        if delay is None:
            self._settle(delivery_id, "dead", code, error or "no answer")
            DELIVERIES.labels("dead").inc()
        else:
            self._settle(delivery_id, "retrying", code, error or f"HTTP {code}",
                         next_attempt_at=_now() + timedelta(seconds=delay))
            DELIVERIES.labels("retrying").inc()

    def _settle(self, delivery_id: str, status: str, code, error: str, next_attempt_at=None) -> None:
        values = {"status": status, "last_status_code": code, "last_error": error, "updated_at": _now()}
        if status == "delivered":
            values["delivered_at"] = _now()
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        with self.db.unit() as uow:
            uow.session.execute(update(storage.webhook_deliveries).where(
                storage.webhook_deliveries.c.id == delivery_id).values(**values))

    # -- managing subscriptions (through the gateway, agencies only) --------------------------------------------
    def _own(self, session, owner: str, subscription_id: str):
        row = session.execute(select(storage.subscriptions).where(
            storage.subscriptions.c.id == subscription_id, storage.subscriptions.c.owner == owner)).mappings().first()
        if row is None:
            raise NotFound("subscription_not_found", "Không tìm thấy đăng ký nhận sự kiện.")
        return row

    @rpc
    def create_subscription(self, owner: str, request: dict, idempotency_key: str | None = None) -> dict:
        """Subscribe `owner` (an agency) to events; the secret is shown once, here.

        With `idempotency_key`, a retry of the same request answers with the subscription the first one created
        (`replayed: True`, with the secret in force: the kept answer never holds a copy of it); another
        request: Conflict."""
        if not isinstance(request, dict):
            raise InvalidInput("invalid_request", "Cần một đối tượng JSON.")
        url = request.get("url")
        if not isinstance(url, str) or len(url) > 500:
            raise InvalidInput("invalid_url", "Cần địa chỉ url hợp lệ.")
        try:
            webhooks.check_target(url, _allowed_hosts())
        except webhooks.TargetRefused as exc:
            raise InvalidInput("target_refused", "Địa chỉ nhận không được phép (mạng nội bộ hoặc không phân giải "
                                                 "được).", {"reason": str(exc)}) from None
        types = _strings(request.get("event_types"), "event_types")
        unknown = sorted(set(types) - set(FEED_TYPES))
        if unknown:
            raise InvalidInput("unknown_event_type", "Loại sự kiện không tồn tại.", {"unknown": unknown,
                                                                                     "known": list(FEED_TYPES)})
        key = idempotency.checked_key(idempotency_key)
        now, secret = _now(), webhooks.new_secret()
        values = {"id": str(uuid.uuid4()), "owner": owner, "url": url, "event_types": json.dumps(types),
                  "units": json.dumps(_strings(request.get("units"), "units")),
                  "procedures": json.dumps(_strings(request.get("procedures"), "procedures")),
                  "secret": secret, "previous_secret": None, "previous_valid_until": None, "active": True,
                  "created_at": now}

        def create(uow) -> dict:
            uow.session.execute(storage.subscriptions.insert().values(**values))
            return _view(values)

        answer = idempotency.perform(self.db, owner, key, idempotency.request_hash(request, "create_subscription"),
                                     create)
        if answer.get("replayed"):
            with self.db.unit() as uow:
                secret = self._own(uow.session, owner, answer["id"])["secret"]
        return {**answer, "secret": secret}

    @rpc
    def list_subscriptions(self, owner: str) -> list[dict]:
        with self.db.unit() as uow:
            rows = uow.session.execute(select(storage.subscriptions).where(
                storage.subscriptions.c.owner == owner).order_by(storage.subscriptions.c.created_at)).mappings()
            return [_view(r) for r in rows]

    @rpc
    def get_subscription(self, owner: str, subscription_id: str) -> dict:
        table = storage.webhook_deliveries
        with self.db.unit() as uow:
            row = self._own(uow.session, owner, subscription_id)
            counts = dict(uow.session.execute(select(table.c.status, func.count()).where(
                table.c.subscription_id == subscription_id).group_by(table.c.status)).all())
        return {**_view(row), "deliveries": counts}

    @rpc
    def delete_subscription(self, owner: str, subscription_id: str) -> dict:
        with self.db.unit() as uow:
            self._own(uow.session, owner, subscription_id)
            uow.session.execute(update(storage.subscriptions).where(
                storage.subscriptions.c.id == subscription_id).values(active=False))
            uow.session.execute(update(storage.webhook_deliveries).where(
                storage.webhook_deliveries.c.subscription_id == subscription_id,
                storage.webhook_deliveries.c.status.in_(CLAIMABLE)).values(status="cancelled", updated_at=_now()))
        return {"id": subscription_id, "active": False}

    @rpc
    def rotate_secret(self, owner: str, subscription_id: str, grace_seconds: int = 86400) -> dict:
        """A new secret; the old one stays valid for `grace_seconds` (deliveries carry both signatures)."""
        if not isinstance(grace_seconds, int) or not 0 <= grace_seconds <= 7 * 86400:
            raise InvalidInput("invalid_request", "grace_seconds từ 0 đến 604800.")
        secret = webhooks.new_secret()
        with self.db.unit() as uow:
            row = self._own(uow.session, owner, subscription_id)
            uow.session.execute(update(storage.subscriptions).where(storage.subscriptions.c.id == subscription_id)
                                .values(secret=secret, previous_secret=row["secret"],
                                        previous_valid_until=_now() + timedelta(seconds=grace_seconds)))
        return {"id": subscription_id, "secret": secret,
                "previous_valid_until": (_now() + timedelta(seconds=grace_seconds)).isoformat()}

    @rpc
    def list_deliveries(self, owner: str, subscription_id: str, status: str | None = None, limit: int = 50) -> list:
        """Delivery history, newest first; `status="dead"` is the dead-letter view."""
        table, log = storage.webhook_deliveries, storage.event_log
        limit = max(1, min(int(limit), 500))
        with self.db.unit() as uow:
            self._own(uow.session, owner, subscription_id)
            query = (select(table, log.c.type, log.c.subject).join(log, log.c.seq == table.c.event_seq)
                     .where(table.c.subscription_id == subscription_id))
            if status:
                query = query.where(table.c.status == status)
            rows = uow.session.execute(query.order_by(table.c.created_at.desc(), table.c.event_seq.desc())
                                       .limit(limit)).mappings().all()
        return [{"id": r["id"], "event_id": r["event_id"], "event_type": r["type"], "subject": r["subject"],
                 "round": r["round"], "status": r["status"], "attempts": r["attempts"],
                 "last_status_code": r["last_status_code"], "last_error": r["last_error"],
                 "next_attempt_at": r["next_attempt_at"].isoformat(),
                 "delivered_at": r["delivered_at"].isoformat() if r["delivered_at"] else None} for r in rows]

    @rpc
    def replay(self, owner: str, subscription_id: str, request: dict) -> dict:
        """Deliver again every matching event recorded since a time (`since`, ISO 8601) or after an event
        (`after_event_id`), in their original order, as new messages (their own webhook-id)."""
        since, after = (request or {}).get("since"), (request or {}).get("after_event_id")
        if bool(since) == bool(after):
            raise InvalidInput("invalid_request", "Cần đúng một trong hai: since hoặc after_event_id.")
        log, table = storage.event_log, storage.webhook_deliveries
        with self.db.unit() as uow:
            sub = self._own(uow.session, owner, subscription_id)
            query = select(log.c.seq, log.c.event_id, log.c.type, log.c.unit, log.c.procedure_code)
            if since:
                try:
                    moment = datetime.fromisoformat(str(since).replace("Z", "+00:00"))
                except ValueError:
                    raise InvalidInput("invalid_request", "since phải là thời điểm ISO 8601.") from None
                if moment.tzinfo is None:
                    raise InvalidInput("invalid_request", "since cần múi giờ.")
                query = query.where(log.c.received_at >= moment)
            else:
                start = uow.session.execute(select(log.c.seq).where(log.c.event_id == str(after))).scalar()
                if start is None:
                    raise NotFound("event_not_found", "Không tìm thấy sự kiện.")
                query = query.where(log.c.seq > start)
            filters = {k: json.loads(sub[k]) for k in ("event_types", "units", "procedures")}
            events = [e for e in uow.session.execute(query.order_by(log.c.seq)).mappings()
                      if webhooks.matches(filters, {"type": e["type"], "unit": e["unit"],
                                                    "procedure_code": e["procedure_code"]})]
            round_ = (uow.session.execute(select(func.max(table.c.round)).where(
                table.c.subscription_id == subscription_id)).scalar() or 0) + 1
            now = _now()
            for e in events:
                uow.session.execute(table.insert().values(
                    id=str(uuid.uuid4()), subscription_id=subscription_id, event_seq=e["seq"],
                    event_id=e["event_id"], round=round_, status="pending", attempts=0, next_attempt_at=now,
                    last_error="", created_at=now, updated_at=now))
        return {"id": subscription_id, "round": round_, "events": len(events)}

"""Queries of the agency feeds: the event log (every public event notify consumed, in arrival order),
subscriptions, and webhook deliveries (claimed before each attempt, so replicas never send one twice at once)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql

from services.chassis.metrics import EVENTS_DUPLICATE
from services.chassis.statements import dialect_insert, prebuilt
from services.notify.adapters.storage import event_log, subscriptions, webhook_deliveries

_LOGGED = ("event_id", "type", "subject", "unit", "procedure_code", "occurred_at", "envelope", "received_at")


def _record_matching():
    """PostgreSQL: add an event to the log unless there (ON CONFLICT DO NOTHING) and, in the same statement, read
    the active subscriptions: `WITH recorded AS (INSERT … RETURNING seq) SELECT seq, subscriptions.* FROM
    recorded LEFT JOIN subscriptions ON active`."""
    recorded = (
        postgresql.insert(event_log)
        .values({name: bindparam(name, type_=event_log.c[name].type) for name in _LOGGED})
        .on_conflict_do_nothing(index_elements=[event_log.c.event_id])
        .returning(event_log.c.seq)
        .cte("recorded")
    )
    return select(recorded.c.seq, subscriptions).select_from(
        recorded.outerjoin(subscriptions, subscriptions.c.active.is_(True))
    )


def record_event(session, values: dict[str, Any]) -> tuple[int | None, list]:
    """(seq, the active subscriptions) of an event added to the log; (None, []) if it was logged before."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # One round trip: the insert and the read of the active subscriptions in a single statement (a
        # data-modifying WITH). No row back: recorded before. Otherwise one row per active subscription, or
        # one with no subscription when there is none.
        rows = session.execute(
            prebuilt(("notify.event_log.record_matching",), _record_matching), values
        ).all()
        if not rows:
            EVENTS_DUPLICATE.labels("notify", f"record:{values['type']}").inc()
            return None, []
        return rows[0].seq, [row._mapping for row in rows if row.id is not None]
    record = prebuilt(
        ("notify.event_log.record", dialect),
        lambda: (
            dialect_insert(session, event_log)
            .on_conflict_do_nothing(index_elements=[event_log.c.event_id])
            .returning(event_log.c.seq)
        ),
    )
    seq = session.execute(record, values).scalar()
    if seq is None:
        EVENTS_DUPLICATE.labels("notify", f"record:{values['type']}").inc()
        return None, []
    active = (
        session.execute(
            prebuilt(
                ("notify.subscriptions.active",),
                lambda: select(subscriptions).where(subscriptions.c.active.is_(True)),
            )
        )
        .mappings()
        .all()
    )
    return seq, list(active)


def add_delivery(
    session, subscription_id: str, event_seq: int, event_id: str, replay_round: int, now: datetime
) -> None:
    session.execute(
        webhook_deliveries.insert().values(
            id=str(uuid.uuid4()),
            subscription_id=subscription_id,
            event_seq=event_seq,
            event_id=event_id,
            round=replay_round,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            last_error="",
            created_at=now,
            updated_at=now,
        )
    )


def _claimable(claimable: tuple[str, ...], stale_before: datetime):
    table = webhook_deliveries
    return (table.c.status.in_(claimable)) | (
        (table.c.status == "delivering") & (table.c.updated_at <= stale_before)
    )


def due_deliveries(
    session, claimable: tuple[str, ...], now: datetime, stale_before: datetime, limit: int = 100
) -> list[str]:
    table = webhook_deliveries
    return (
        session.execute(
            select(table.c.id)
            .where(
                ((table.c.status.in_(claimable)) & (table.c.next_attempt_at <= now))
                | ((table.c.status == "delivering") & (table.c.updated_at <= stale_before))
            )
            .order_by(table.c.next_attempt_at, table.c.event_seq)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def claim_delivery(
    session, delivery_id: str, claimable: tuple[str, ...], now: datetime, stale_before: datetime
) -> bool:
    table = webhook_deliveries
    return bool(
        session.execute(
            update(table)
            .where(table.c.id == delivery_id, _claimable(claimable, stale_before))
            .values(status="delivering", attempts=table.c.attempts + 1, updated_at=now)
        ).rowcount
    )


def find_delivery(session, delivery_id: str):
    return (
        session.execute(select(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id))
        .mappings()
        .one()
    )


def find_subscription(session, subscription_id: str, owner: str | None = None):
    query = select(subscriptions).where(subscriptions.c.id == subscription_id)
    if owner is not None:
        query = query.where(subscriptions.c.owner == owner)
    return session.execute(query).mappings().first()


def envelope_of(session, seq: int) -> str:
    return session.execute(select(event_log.c.envelope).where(event_log.c.seq == seq)).scalar_one()


def settle_delivery(session, delivery_id: str, **values: Any) -> None:
    session.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(**values))


def add_subscription(session, values: dict[str, Any]) -> None:
    session.execute(subscriptions.insert().values(**values))


def subscriptions_of(session, owner: str) -> list:
    return (
        session.execute(
            select(subscriptions).where(subscriptions.c.owner == owner).order_by(subscriptions.c.created_at)
        )
        .mappings()
        .all()
    )


def delivery_counts(session, subscription_id: str) -> dict[str, int]:
    table = webhook_deliveries
    return dict(
        session.execute(
            select(table.c.status, func.count())
            .where(table.c.subscription_id == subscription_id)
            .group_by(table.c.status)
        ).all()
    )


def deactivate(session, subscription_id: str, cancel: tuple[str, ...], now: datetime) -> None:
    """A deleted subscription: inactive, and its deliveries not yet made cancelled."""
    session.execute(update(subscriptions).where(subscriptions.c.id == subscription_id).values(active=False))
    session.execute(
        update(webhook_deliveries)
        .where(
            webhook_deliveries.c.subscription_id == subscription_id, webhook_deliveries.c.status.in_(cancel)
        )
        .values(status="cancelled", updated_at=now)
    )


def set_secret(
    session, subscription_id: str, secret: str, previous: str, previous_valid_until: datetime
) -> None:
    session.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(secret=secret, previous_secret=previous, previous_valid_until=previous_valid_until)
    )


def deliveries_of(session, subscription_id: str, status: str | None, limit: int) -> list:
    """Delivery history with each event's type and subject, newest first."""
    table, log = webhook_deliveries, event_log
    query = (
        select(table, log.c.type, log.c.subject)
        .join(log, log.c.seq == table.c.event_seq)
        .where(table.c.subscription_id == subscription_id)
    )
    if status:
        query = query.where(table.c.status == status)
    return (
        session.execute(query.order_by(table.c.created_at.desc(), table.c.event_seq.desc()).limit(limit))
        .mappings()
        .all()
    )


def seq_of(session, event_id: str) -> int | None:
    return session.execute(select(event_log.c.seq).where(event_log.c.event_id == event_id)).scalar()


def logged_events(session, *, since: datetime | None = None, after_seq: int | None = None) -> list:
    """Events logged since a time or after a position, in their original order (what a replay re-sends)."""
    log = event_log
    query = select(log.c.seq, log.c.event_id, log.c.type, log.c.unit, log.c.procedure_code)
    query = (
        query.where(log.c.received_at >= since) if since is not None else query.where(log.c.seq > after_seq)
    )
    return session.execute(query.order_by(log.c.seq)).mappings().all()


def next_round(session, subscription_id: str) -> int:
    table = webhook_deliveries
    return (
        session.execute(
            select(func.max(table.c.round)).where(table.c.subscription_id == subscription_id)
        ).scalar()
        or 0
    ) + 1

"""Event consumers that lose nothing, and the queue topology declared before anyone publishes.

nameko's stock `event_handler` acks a message whose handler failed and declares its queue only when the
consumer starts. Here:
- every consumer queue is a durable quorum queue with a delivery limit and a dead-letter exchange;
- a failing handler's message is requeued after a short backoff; past the limit RabbitMQ moves it to the
  consumer's dead-letter queue `dlq.<queue>` where it can be inspected and re-queued;
- a message that is not a readable MotCua event (bad JSON, unknown type, wrong content type) goes straight
  to the dead-letter queue instead of crashing the service;
- `declare_topology()` declares exchanges, queues and dead-letter queues ahead of time (run at deploy and at
  service start), so events published before a consumer first runs are kept.

`@on_broadcast` is the other kind, for what each process keeps in memory: every replica gets the event through a
queue of its own that lives as long as its connection (nothing to declare ahead, nothing dead-lettered).
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable
from typing import Any

import eventlet
import structlog
from google.protobuf.message import Message as ProtoMessage
from kombu import Connection, Exchange, Queue
from nameko.events import SERVICE_POOL

from services.chassis import metrics
from services.chassis.errors import ServiceError
from services.chassis.events import (
    Event,
    UnreadableEvent,
    event_type,
    exchange_name,
    parse_event,
    producer_of,
)
from services.chassis.nameko_types import (
    Consumer,
    EventHandler,
    ExcInfo,
    Message,
    QueueConsumer,
    WorkerContext,
)

log = structlog.get_logger()

DEAD_LETTER_EXCHANGE = "motcua.dead-letter"
DEFAULT_DELIVERY_LIMIT = 5
TRANSIENT_RETRIES = 60  # about ten minutes of waiting for a dependency before the delivery limit counts again


def is_transient(exc: BaseException) -> bool:
    """Failures of infrastructure, not of the message: retried without counting towards the delivery limit."""
    from sqlalchemy.exc import OperationalError

    from services.chassis.errors import Unavailable

    if isinstance(exc, (Unavailable, OperationalError, ConnectionError, TimeoutError)):
        return True
    return type(exc).__name__ in ("RemoteError",) and "Unavailable" in str(getattr(exc, "exc_type", ""))


def event_exchange(type_name: str) -> Exchange:
    """The topic exchange of an event type: `<producer>.events` (public) or `<producer>.private`."""
    return Exchange(exchange_name(type_name), type="topic", durable=True)


def queue_name(type_name: str, service: str, method: str) -> str:
    """Same naming as nameko's service-pool event handlers, so tools that know nameko read it."""
    return f"evt-{producer_of(type_name)}-{type_name}--{service}.{method}"


def consumer_queue(type_name: str, service: str, method: str, delivery_limit: int) -> Queue:
    name = queue_name(type_name, service, method)
    return Queue(
        name,
        exchange=event_exchange(type_name),
        routing_key=type_name,
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": name,
        },
    )


def dead_letter_queue(name: str) -> Queue:
    return Queue(
        f"dlq.{name}",
        exchange=Exchange(DEAD_LETTER_EXCHANGE, type="direct", durable=True),
        routing_key=name,
        durable=True,
        queue_arguments={"x-queue-type": "quorum"},
    )


class DeadLetteringQueueConsumer(QueueConsumer):
    """Queue consumer that rejects undecodable messages (to the dead-letter queue) instead of raising."""

    def get_consumers(self, consumer_cls: Callable[..., Any], channel: Any) -> list[Any]:
        consumers = super().get_consumers(consumer_cls, channel)
        for consumer in consumers:
            consumer.on_decode_error = self._on_decode_error
        return consumers

    # The broker connection can die between receiving a message and settling it; the broker then redelivers the
    # message by itself, so a failed ack/requeue/reject is logged, never allowed to kill the container.
    def ack_message(self, message: Message) -> None:
        _settle(message, "ack")

    def requeue_message(self, message: Message) -> None:
        _settle(message, "requeue")

    def reject_message(self, message: Message) -> None:
        _settle(message, "reject")

    def _on_decode_error(self, message: Message, exc: Exception) -> None:
        log.error("event_undecodable", error=str(exc), routing_key=message.delivery_info.get("routing_key"))
        metrics.EVENTS_DEAD_LETTERED.labels(
            self.container.service_name, message.delivery_info.get("routing_key", ""), "undecodable"
        ).inc()
        self.reject_message(message)


def _settle(message: Message, how: str) -> None:
    if not message.channel.connection:
        return
    try:
        if how == "ack":
            message.ack()
        elif how == "requeue":
            message.requeue()
        else:
            message.reject(requeue=False)
    except Exception as exc:  # noqa: BLE001 - connection gone: the broker will redeliver
        log.warning("message_settle_failed", how=how, error=str(exc), error_type=type(exc).__name__)


class ReliableEventHandler(EventHandler):
    """`@on_event(MessageClass)`: consume one event type through a quorum queue with dead-lettering.

    The decorated method receives a parsed `services.chassis.events.Event`. Raise a `ServiceError` for a
    message that can never succeed (it is dead-lettered at once); any other exception is retried.
    """

    queue_consumer: DeadLetteringQueueConsumer = DeadLetteringQueueConsumer()
    broadcast = False  # one queue for the service, shared by its replicas (BroadcastEventHandler: one each)

    def __init__(
        self, message_cls: type[ProtoMessage], delivery_limit: int | None = None, **kwargs: Any
    ) -> None:
        self.type_name = event_type(message_cls)
        self.delivery_limit = delivery_limit
        super().__init__(
            producer_of(self.type_name),
            self.type_name,
            handler_type=SERVICE_POOL,
            reliable_delivery=True,
            requeue_on_error=True,
            **kwargs,
        )

    def setup(self) -> None:
        settings = self.container.config.get("MOTCUA")
        configured: int = getattr(settings, "max_delivery_attempts", DEFAULT_DELIVERY_LIMIT)
        limit = self.delivery_limit or configured
        self.queue = consumer_queue(self.type_name, self.container.service_name, self.method_name, limit)
        Consumer.setup(self)

    def handle_message(self, body: object, message: Message) -> None:
        try:
            event = parse_event(body, expected_type=self.type_name)
        except UnreadableEvent as exc:
            log.error("event_unreadable", error=str(exc), queue=self.queue.name)
            metrics.EVENTS_DEAD_LETTERED.labels(
                self.container.service_name, self.queue.name, "unreadable"
            ).inc()
            self.queue_consumer.reject_message(message)
            return
        context_data = self.unpack_message_headers(message)
        context_data.setdefault("correlation_id", event.correlation_id)
        if event.subject:
            context_data.setdefault("dossier_code", event.subject)
        self._spawn(message, event, context_data, 0)

    def _spawn(
        self, message: Message, event: Event, context_data: dict[str, Any], transient_attempts: int
    ) -> None:
        def handle_result(
            worker_ctx: WorkerContext, result: object = None, exc_info: ExcInfo | None = None
        ) -> tuple[object, ExcInfo | None]:
            if exc_info is not None and is_transient(exc_info[1]) and transient_attempts < TRANSIENT_RETRIES:
                # A dependency is down (database restarting, broker reconnecting): keep the message unacked and
                # try again later, without spending the delivery limit meant for messages that cannot succeed.
                delay = min(0.5 * 2**transient_attempts, 10.0)
                log.warning(
                    "event_handler_waiting_for_dependency",
                    error=str(exc_info[1]),
                    attempt=transient_attempts + 1,
                    retry_in_seconds=delay,
                )
                eventlet.spawn_after(delay, self._spawn, message, event, context_data, transient_attempts + 1)
                return result, exc_info
            self.handle_message_processed(message, result, exc_info)
            return result, exc_info

        try:
            self.container.spawn_worker(
                self, (event,), {}, context_data=dict(context_data), handle_result=handle_result
            )
        except Exception:  # ContainerBeingKilled: leave it for another consumer
            self.queue_consumer.requeue_message(message)

    def handle_message_processed(
        self, message: Message, result: object = None, exc_info: ExcInfo | None = None
    ) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        exc = exc_info[1]
        if isinstance(exc, ServiceError) and exc.http_status < 500:
            log.error("event_refused", code=exc.code, error=exc.message, queue=self.queue.name)
            metrics.EVENTS_DEAD_LETTERED.labels(self.container.service_name, self.queue.name, "refused").inc()
            self.queue_consumer.reject_message(message)
            return
        attempts = int((message.headers or {}).get("x-delivery-count", 0) or 0) + 1
        log.warning("event_handler_failed", error=str(exc), error_type=type(exc).__name__, attempt=attempts)
        # Backoff before giving the message back: a broken dependency gets time to recover before the
        # delivery limit sends the message to the dead-letter queue.
        eventlet.sleep(min(0.2 * 2**attempts, 5.0))
        self.queue_consumer.requeue_message(message)


class BroadcastEventHandler(ReliableEventHandler):
    """`@on_broadcast(MessageClass)`: every running replica of the service gets the event, through an exclusive,
    auto-deleted queue of its own bound while its connection lasts. For a cache each process keeps (the gateway's
    resolved officers): a replica that is down or reconnecting misses what is published meanwhile, so such a cache
    must also expire by itself. A failing handler is logged and the message acknowledged: nothing is retried or
    dead-lettered, and the queue is neither declared at deploy nor listed for autoscaling (`handlers_of`)."""

    broadcast = True

    def setup(self) -> None:
        own = (
            f"{queue_name(self.type_name, self.container.service_name, self.method_name)}-{uuid.uuid4().hex}"
        )
        self.queue = Queue(
            own,
            exchange=event_exchange(self.type_name),
            routing_key=self.type_name,
            durable=False,
            auto_delete=True,
            exclusive=True,
        )
        Consumer.setup(self)

    def handle_message_processed(
        self, message: Message, result: object = None, exc_info: ExcInfo | None = None
    ) -> None:
        if exc_info is not None:
            log.warning("broadcast_handler_failed", error=str(exc_info[1]), queue=self.queue.name)
        self.queue_consumer.ack_message(message)


on_event = ReliableEventHandler.decorator
on_broadcast = BroadcastEventHandler.decorator


def handlers_of(service_cls: type) -> list[tuple[str, str]]:
    """(event type, method name) for every `@on_event` of a service class (its durable queues; not the
    replicas' own `@on_broadcast` queues)."""
    found = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler) and not entrypoint.broadcast:
                found.append((entrypoint.type_name, name))
    return found


def declare_topology(amqp_uri: str, service_classes: dict[str, type], delivery_limit: int) -> list[str]:
    """Declare every event exchange, consumer queue and dead-letter queue; return the queue names."""
    from services.chassis.events import EVENTS

    declared = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        Exchange(DEAD_LETTER_EXCHANGE, type="direct", durable=True)(channel).declare()
        for type_name in EVENTS:
            event_exchange(type_name)(channel).declare()
        for service, cls in service_classes.items():
            for type_name, method in handlers_of(cls):
                queue = consumer_queue(type_name, service, method, delivery_limit)
                queue(channel).declare()
                dead_letter_queue(queue.name)(channel).declare()
                declared.append(queue.name)
        channel.close()
    return declared


def watch_dead_letters(amqp_uri: str, service: str, service_cls: type, interval: float = 30.0) -> None:
    """Export the depth of this service's dead-letter queues (green thread; passive declares only)."""
    names = [f"dlq.{queue_name(t, service, m)}" for t, m in handlers_of(service_cls)]
    if not names:
        return

    def loop() -> None:
        while True:
            try:
                with Connection(amqp_uri, connect_timeout=5) as conn:
                    channel = conn.channel()
                    for name in names:
                        _, depth, _ = channel.queue_declare(name, passive=True)
                        metrics.DEAD_LETTER_MESSAGES.labels(service, name).set(depth)
                    channel.close()
            except Exception as exc:  # noqa: BLE001 - a metric must never take the service down
                log.debug("dead_letter_watch_failed", error=str(exc))
            eventlet.sleep(interval)

    eventlet.spawn(loop)

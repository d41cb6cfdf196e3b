"""Look into dead-letter queues and send messages back once the cause is fixed (ops, at 2 a.m.).

    python -m services.chassis.deadletters list                    every dlq.* queue with its depth
    python -m services.chassis.deadletters show <queue> [--limit N]  the messages, oldest first (not consumed)
    python -m services.chassis.deadletters requeue <queue> [--limit N] [--id EVENT_ID]

`<queue>` is the consumer queue (e.g. `evt-intake-motcua.intake.v1.DossierSubmitted--workflow.on_dossier_submitted`)
or its `dlq.` name. Re-queued messages are published back to the consumer queue (persistent, with publisher
confirms) before they are removed from the dead-letter queue, so a crash in between duplicates at worst (the
consumers' inbox absorbs that) and never loses one. Uses AMQP_URI. Personal data in bodies is masked on screen.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from typing import TypedDict

from kombu import Connection, Exchange, Queue

from services.chassis.logs import mask_text
from services.chassis.nameko_types import Message

DLQ_PREFIX = "dlq."


def _names(queue: str) -> tuple[str, str]:
    original = queue[len(DLQ_PREFIX) :] if queue.startswith(DLQ_PREFIX) else queue
    return original, DLQ_PREFIX + original


class DeadLetter(TypedDict):
    """A dead letter as `show` prints it (personal data in the body masked)."""

    # As the message carries them (JSON body, AMQP headers): whatever its sender wrote, None when absent.
    event_id: object
    type: object
    subject: object
    reason: object
    deliveries: object
    content_type: str | None
    body: str


def _describe(message: Message) -> DeadLetter:
    headers = message.headers or {}
    deaths = headers.get("x-death") or []
    try:
        body = json.loads(message.body)
    except (TypeError, ValueError):
        body = None
    text = (
        message.body
        if isinstance(message.body, str)
        else bytes(message.body or b"").decode("utf-8", "replace")
    )
    return {
        "event_id": (body or {}).get("id") if isinstance(body, dict) else None,
        "type": (body or {}).get("type") if isinstance(body, dict) else None,
        "subject": (body or {}).get("subject") if isinstance(body, dict) else None,
        "reason": deaths[0].get("reason") if deaths else headers.get("x-first-death-reason"),
        "deliveries": headers.get("x-delivery-count"),
        "content_type": message.content_type,
        "body": mask_text(text[:300]),
    }


def peek(amqp_uri: str, queue: str, limit: int = 20) -> list[DeadLetter]:
    """The first `limit` dead letters, without removing them (fetched, then returned to the queue)."""
    _, dlq = _names(queue)
    seen = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        channel.basic_qos(0, limit, False)
        taken = []
        for _ in range(limit):
            message = Queue(dlq, channel=channel).get(
                no_ack=False, accept=["json", "text/plain", "application/data"]
            )
            if message is None:
                break
            taken.append(message)
            seen.append(_describe(message))
        for message in taken:
            message.requeue()
    return seen


def _identity(message: Message) -> str:
    """What makes a dead letter the same one when it comes round again: its message id, else its body's hash."""
    message_id = (message.properties or {}).get("message_id")
    if message_id:
        return str(message_id)
    body = message.body if isinstance(message.body, bytes) else str(message.body).encode("utf-8", "replace")
    return hashlib.sha256(body).hexdigest()


def _take(queue: Queue, settle_seconds: float) -> Message | None:
    """The next dead letter, waiting up to `settle_seconds` for one: messages just given back by another
    connection (`peek`) can take a moment to be ready again, and the queue's count lags behind them."""
    deadline = time.monotonic() + settle_seconds
    while True:
        message: Message | None = queue.get(no_ack=False, accept=["json", "text/plain", "application/data"])
        if message is not None or time.monotonic() >= deadline:
            return message
        time.sleep(0.1)


def requeue(
    amqp_uri: str, queue: str, limit: int = 1000, event_id: str | None = None, settle_seconds: float = 2.0
) -> int:
    """Move dead letters back to their consumer queue; all of them (up to `limit`) or the one with `event_id`.

    Each message is moved at most once per call: one that fails again and comes back to the dead-letter queue
    while this runs (a poison message is back within milliseconds) is left there, not moved round and round."""
    original, dlq = _names(queue)
    moved = 0
    handled: set[str] = set()
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        producer = conn.Producer(channel=channel)
        skipped = []
        while moved < limit:
            message = _take(Queue(dlq, channel=channel), settle_seconds)
            if message is None:
                break
            key = _identity(message)
            if key in handled:
                skipped.append(message)  # came round again
                break
            handled.add(key)
            if event_id is not None and _describe(message)["event_id"] != event_id:
                skipped.append(message)
                continue
            headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
            producer.publish(
                message.body,
                exchange=Exchange(""),
                routing_key=original,
                delivery_mode=2,
                headers=headers,
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                message_id=message.properties.get("message_id"),
                retry=False,
            )
            message.ack()  # only after the broker confirmed the copy
            moved += 1
            if event_id is not None:
                break
        for message in skipped:
            message.requeue()
    return moved


def depths(amqp_uri: str, queues: list[str]) -> dict[str, int]:
    out = {}
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        for name in queues:
            _, dlq = _names(name)
            try:
                out[dlq] = Queue(dlq, channel=channel).queue_declare(passive=True).message_count
            except Exception:  # noqa: BLE001 - not declared: nothing dead-lettered there
                channel = conn.channel()
    return out


def main(argv: list[str]) -> int:
    import os

    from services.chassis.consumers import handlers_of, queue_name
    from services.chassis.registry import SERVICE_CLASSES, service_class

    parser = argparse.ArgumentParser(prog="python -m services.chassis.deadletters")
    parser.add_argument("command", choices=["list", "show", "requeue"])
    parser.add_argument("queue", nargs="?")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--id", dest="event_id")
    args = parser.parse_args(argv)
    amqp_uri = os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    if args.command == "list":
        names = [queue_name(t, s, m) for s in SERVICE_CLASSES for t, m in handlers_of(service_class(s))]
        for name, depth in sorted(depths(amqp_uri, names).items()):
            print(f"{depth:8d}  {name}")
        return 0
    if not args.queue:
        parser.error("give the queue")
    if args.command == "show":
        for item in peek(amqp_uri, args.queue, args.limit):
            print(json.dumps(item, ensure_ascii=False))
        return 0
    moved = requeue(amqp_uri, args.queue, args.limit if args.event_id is None else 1, args.event_id)
    print(f"re-queued {moved} message(s) to {_names(args.queue)[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

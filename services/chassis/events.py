"""Event contracts and the CloudEvents envelope.

Payloads are defined once in `protos/` and compiled to `.build/gen` in the build. A payload is validated against
its proto message before it is written to the outbox (unknown fields, wrong types: refused), and is carried as
proto3 JSON inside a CloudEvents 1.0 structured envelope. Consumers parse with unknown fields ignored, so
producers can add fields without breaking them.
"""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from motcua.common.v1 import options_pb2

from services.chassis.clock import iso_utc, utcnow
from services.chassis.errors import InvalidInput

CONTRACT_MODULES = (
    "motcua.intake.v1.events_pb2",
    "motcua.workflow.v1.events_pb2",
    "motcua.notify.v1.events_pb2",
    "motcua.payment.v1.events_pb2",
)
SPEC_VERSION = "1.0"


class Envelope(TypedDict):
    """A CloudEvents 1.0 structured envelope as MotCua writes it (JSON on the wire, a row in the outbox)."""

    specversion: str
    id: str
    source: str
    type: str
    time: str
    subject: str
    datacontenttype: str
    dataschema: str
    data: dict[str, Any]  # the payload, proto3 JSON of the event's message (`metadata` first)


class InvalidEventPayload(InvalidInput):
    """A payload does not match its proto message: a programming error caught before publishing."""


class UnreadableEvent(Exception):
    """A message on the wire is not a valid MotCua event; it goes to the dead-letter queue."""


def _load_contracts() -> dict[str, type[Message]]:
    contracts: dict[str, type[Message]] = {}
    for module_name in CONTRACT_MODULES:
        module = importlib.import_module(module_name)
        for message in module.DESCRIPTOR.message_types_by_name.values():
            contracts[message.full_name] = getattr(module, message.name)
    return contracts


CONTRACTS = _load_contracts()
METADATA_TYPE = "motcua.common.v1.EventMetadata"


def is_event(message_cls: type[Message]) -> bool:
    """An event type is a message whose `metadata` field is the common EventMetadata (Contact, say, is not)."""
    field = message_cls.DESCRIPTOR.fields_by_name.get("metadata")
    if field is None or field.message_type is None:
        return False
    name: str = field.message_type.full_name
    return name == METADATA_TYPE


EVENTS = {name: cls for name, cls in CONTRACTS.items() if is_event(cls)}


def is_private(type_name: str) -> bool:
    """Whether an event type is private (`option (motcua.common.v1.audience) = AUDIENCE_PRIVATE`)."""
    options = CONTRACTS[type_name].DESCRIPTOR.GetOptions()
    private: bool = options.Extensions[options_pb2.audience] == options_pb2.AUDIENCE_PRIVATE
    return private


def exchange_name(type_name: str) -> str:
    """The topic exchange an event type is published on: `<producer>.events` for public events, which agencies
    may bind to, `<producer>.private` for private ones, which only the platform's services consume."""
    return f"{producer_of(type_name)}.{'private' if is_private(type_name) else 'events'}"


def public_event_types() -> list[str]:
    return sorted(name for name in EVENTS if not is_private(name))


def personal_fields(
    descriptor: Descriptor, prefix: str = "", seen: frozenset[str] = frozenset()
) -> list[str]:
    """Paths of the fields marked `(motcua.common.v1.personal) = true` in a message, nested messages included
    (`contact.email`)."""
    found = []
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        if field.GetOptions().Extensions[options_pb2.personal]:
            found.append(path)
        elif field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.full_name not in seen:
            found += personal_fields(field.message_type, f"{path}.", seen | {descriptor.full_name})
    return found


def public_view(type_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """A payload as it may leave the platform: only the fields the current contract declares, none marked personal.
    A second line behind the build check: it also drops what an older producer wrote in a field since removed
    (DossierSubmitted's `contact`, kept in event logs written before it moved to a private event)."""

    def keep(descriptor: Descriptor, value: dict[str, Any]) -> dict[str, Any]:
        kept = {}
        for key, item in value.items():
            field = descriptor.fields_by_name.get(key)
            if field is None or field.GetOptions().Extensions[options_pb2.personal]:
                continue
            if field.type == FieldDescriptor.TYPE_MESSAGE and isinstance(item, dict):
                item = keep(field.message_type, item)
            kept[key] = item
        return kept

    return keep(CONTRACTS[type_name].DESCRIPTOR, data)


def event_type(message_cls: type[Message]) -> str:
    """The event type of a proto message class: its full name, e.g. `motcua.intake.v1.DossierSubmitted`."""
    name: str = message_cls.DESCRIPTOR.full_name
    return name


def producer_of(type_name: str) -> str:
    """The service that owns an event type: `motcua.<service>.v1.X` → `<service>`."""
    parts = type_name.split(".")
    if len(parts) < 4 or parts[0] != "motcua":
        raise ValueError(f"not a MotCua event type: {type_name}")
    return parts[1]


def validate_payload(message_cls: type[Message], data: dict[str, Any]) -> dict[str, Any]:
    """Check `data` against `message_cls` strictly and return its canonical proto3 JSON form."""
    try:
        message = json_format.ParseDict(data, message_cls(), ignore_unknown_fields=False)
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise InvalidEventPayload(
            "invalid_event_payload", f"payload does not match {event_type(message_cls)}", {"error": str(exc)}
        ) from exc
    canonical: dict[str, Any] = json_format.MessageToDict(message, preserving_proto_field_name=True)
    return canonical


def build_event(
    message_cls: type[Message],
    data: dict[str, Any],
    *,
    source: str,
    subject: str = "",
    correlation_id: str = "",
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    """A CloudEvents envelope (dict) with a validated payload; metadata is filled in from the arguments."""
    event_id = event_id or str(uuid.uuid4())
    occurred_at = occurred_at or utcnow()
    payload = dict(data)
    payload["metadata"] = {
        "event_id": event_id,
        "occurred_at": iso_utc(occurred_at),
        "correlation_id": correlation_id,
        "dossier_code": subject,
    }
    return {
        "specversion": SPEC_VERSION,
        "id": event_id,
        "source": f"motcua/{source}",
        "type": event_type(message_cls),
        "time": iso_utc(occurred_at),
        "subject": subject,
        "datacontenttype": "application/json",
        "dataschema": f"proto:{event_type(message_cls)}",
        "data": validate_payload(message_cls, payload),
    }


@dataclass(frozen=True)
class Event:
    """An event as a consumer sees it: envelope attributes plus the parsed proto payload."""

    id: str
    type: str
    source: str
    time: str
    subject: str
    data: Message
    raw: dict[str, Any]  # the envelope as received

    @property
    def correlation_id(self) -> str:
        correlation_id: str = self.raw.get("data", {}).get("metadata", {}).get("correlation_id", "")
        return correlation_id


def parse_event(body: object, expected_type: str | None = None) -> Event:
    """Parse a received envelope; raise UnreadableEvent when it is not one of ours."""
    if not isinstance(body, dict):
        raise UnreadableEvent("body is not a JSON object")
    for key in ("specversion", "id", "type", "source", "data"):
        if key not in body:
            raise UnreadableEvent(f"envelope lacks {key!r}")
    if body["specversion"] != SPEC_VERSION:
        raise UnreadableEvent(f"unsupported specversion {body['specversion']!r}")
    type_name = body["type"]
    if expected_type is not None and type_name != expected_type:
        raise UnreadableEvent(f"expected {expected_type}, got {type_name}")
    message_cls = CONTRACTS.get(type_name)
    if message_cls is None:
        raise UnreadableEvent(f"unknown event type {type_name!r}")
    if not isinstance(body["data"], dict):
        raise UnreadableEvent("data is not an object")
    try:
        message = json_format.ParseDict(body["data"], message_cls(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise UnreadableEvent(f"data does not match {type_name}: {exc}") from exc
    try:
        uuid.UUID(str(body["id"]))
    except ValueError as exc:
        raise UnreadableEvent("id is not a UUID") from exc
    return Event(
        id=str(body["id"]),
        type=type_name,
        source=str(body["source"]),
        time=str(body.get("time", "")),
        subject=str(body.get("subject", "")),
        data=message,
        raw=body,
    )

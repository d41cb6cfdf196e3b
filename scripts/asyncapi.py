"""Generate docs/asyncapi.yaml (AsyncAPI 2.6) from the event contracts in protos/: for agencies that bind their own
queues on the province's RabbitMQ instead of receiving webhooks.

    python scripts/asyncapi.py            # write docs/asyncapi.yaml
    python scripts/asyncapi.py --check    # exit 1 if the committed file is out of date

Every PUBLIC event type is a channel named by its routing key on the producing service's topic exchange
(`<service>.events`); the message is a CloudEvents 1.0 JSON envelope whose `data` is the proto message in its
canonical proto3 JSON form with the proto field names. Descriptions come from the comments in the .proto files.
Private events (`option (motcua.common.v1.audience) = AUDIENCE_PRIVATE`, on `<service>.private`) are the
platform's own and are left out: the document offers agencies only what they may bind to.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml
from google.protobuf.descriptor import FieldDescriptor

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / ".build" / "gen")]

from services.chassis.events import CONTRACTS, exchange_name, producer_of, public_event_types  # noqa: E402

OUT = ROOT / "docs" / "asyncapi.yaml"
SCALARS = {
    FieldDescriptor.TYPE_STRING: {"type": "string"},
    FieldDescriptor.TYPE_BOOL: {"type": "boolean"},
    FieldDescriptor.TYPE_INT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FieldDescriptor.TYPE_UINT32: {"type": "integer", "minimum": 0},
    # proto3 JSON writes 64-bit integers as strings.
    FieldDescriptor.TYPE_INT64: {"type": "string", "pattern": "^-?[0-9]+$"},
    FieldDescriptor.TYPE_SINT64: {"type": "string", "pattern": "^-?[0-9]+$"},
    FieldDescriptor.TYPE_UINT64: {"type": "string", "pattern": "^[0-9]+$"},
    FieldDescriptor.TYPE_DOUBLE: {"type": "number"},
    FieldDescriptor.TYPE_FLOAT: {"type": "number"},
    FieldDescriptor.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}


def proto_comments() -> dict[str, str]:
    """`Package.Message` and `Package.Message.field` → the comment lines just above them in the .proto files."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "protos").rglob("*.proto")):
        package, message, pending = "", "", []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("//"):
                pending.append(line[2:].strip())
                continue
            if m := re.match(r"package\s+([\w.]+);", line):
                package = m.group(1)
            elif m := re.match(r"message\s+(\w+)\s*{", line):
                message = m.group(1)
                found[f"{package}.{message}"] = " ".join(pending)
            elif message and (m := re.match(r"(?:repeated\s+)?[\w.]+\s+(\w+)\s*=\s*\d+;", line)):
                found[f"{package}.{message}.{m.group(1)}"] = " ".join(pending)
            elif line == "}":
                message = ""
            pending = []
    return found


def schema_of(descriptor, comments: dict[str, str], components: dict) -> dict:
    name = descriptor.full_name
    if name == "google.protobuf.Timestamp":
        return {"type": "string", "format": "date-time"}
    if name not in components:
        components[name] = {}  # reserve first: recursive messages refer to themselves
        properties = {}
        for field in descriptor.fields:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                item = schema_of(field.message_type, comments, components)
            elif field.type == FieldDescriptor.TYPE_ENUM:
                item = {"type": "string", "enum": [v.name for v in field.enum_type.values]}
            else:
                item = dict(SCALARS[field.type])
            if field.is_repeated:
                item = {"type": "array", "items": item}
            note = comments.get(f"{name}.{field.name}")
            properties[field.name] = {**item, **({"description": note} if note else {})}
        components[name] = {
            "type": "object",
            "additionalProperties": False,
            "properties": properties,
            **({"description": comments[name]} if comments.get(name) else {}),
        }
    return {"$ref": f"#/components/schemas/{name}"}


def build() -> dict:
    comments, schemas, channels, messages = proto_comments(), {}, {}, {}
    for type_name in public_event_types():
        payload = schema_of(CONTRACTS[type_name].DESCRIPTOR, comments, schemas)
        short = type_name.rsplit(".", 1)[-1]
        messages[short] = message_of(type_name, payload, comments)
        channels[type_name] = channel_of(type_name, comments)
    exchanges = sorted({exchange_name(t) for t in public_event_types()})
    return {
        "asyncapi": "2.6.0",
        "info": info(exchanges),
        "defaultContentType": "application/json",
        "servers": {
            "province": {
                "url": "rabbitmq:5671",
                "protocol": "amqps",
                "description": "The province's RabbitMQ cluster (address given by its operators).",
            }
        },
        "x-public-exchanges": exchanges,
        "channels": channels,
        "components": {"messages": messages, "schemas": schemas},
    }


def message_of(type_name: str, payload: dict, comments: dict[str, str]) -> dict:
    """An event type's message: its AMQP headers and the CloudEvents envelope around the payload."""
    service, short = producer_of(type_name), type_name.rsplit(".", 1)[-1]
    return {
        "name": type_name,
        "title": short,
        "summary": comments.get(type_name, ""),
        "contentType": "application/json",
        "headers": {
            "type": "object",
            "properties": {
                "nameko.correlation_id": {"type": "string"},
                "nameko.dossier_code": {"type": "string"},
            },
        },
        "payload": {
            "type": "object",
            "required": ["specversion", "id", "source", "type", "data"],
            "properties": {
                "specversion": {"const": "1.0"},
                "id": {"type": "string", "format": "uuid", "description": "Deduplicate on it."},
                "source": {"const": f"motcua/{service}"},
                "type": {"const": type_name},
                "time": {"type": "string", "format": "date-time"},
                "subject": {
                    "type": "string",
                    "description": "The dossier code, when the event is about one.",
                },
                "datacontenttype": {"const": "application/json"},
                "dataschema": {"const": f"proto:{type_name}"},
                "data": payload,
            },
        },
    }


def channel_of(type_name: str, comments: dict[str, str]) -> dict:
    """An event type's channel: its routing key on the producer's topic exchange."""
    service, short = producer_of(type_name), type_name.rsplit(".", 1)[-1]
    return {
        "description": f"{comments.get(type_name, short)} Published by {service}, persistent, after the "
        "state change committed (transactional outbox); at least once: deduplicate on `id`.",
        "bindings": {
            "amqp": {
                "is": "routingKey",
                "exchange": {
                    "name": exchange_name(type_name),
                    "type": "topic",
                    "durable": True,
                    "autoDelete": False,
                    "vhost": "/",
                },
            }
        },
        "subscribe": {
            "operationId": f"on{short}",
            "message": {"$ref": f"#/components/messages/{short}"},
            "bindings": {"amqp": {"ack": True}},
        },
    }


def info(exchanges: list[str]) -> dict:
    return {
        "title": "MotCua dossier events",
        "version": "1.0.0",
        "description": (
            "Events of a province's one-stop shop, for agencies that bind their own queues on the "
            "province's RabbitMQ (ask the operators for a user with read access). Bind a durable (quorum) "
            "queue to the producer's topic exchange with the event type as routing key, or "
            "`motcua.workflow.v1.#` for all of a service's events. Agencies outside the cluster use signed "
            "webhooks instead (/api/v1/subscriptions). Public exchanges: "
            + ", ".join(f"`{name}`" for name in exchanges)
            + ". "
            "They carry no personal data: a citizen appears only as `applicant_ref` (a keyed reference) or "
            "as the actor `applicant`; an agency that needs personal data asks the registry, with the "
            "citizen's consent. The `<service>.private` exchanges are the platform's own: operators never "
            "grant agencies access to them. Generated from protos/ by scripts/asyncapi.py; do not edit by "
            "hand."
        ),
    }


def render() -> str:
    return "# Generated by scripts/asyncapi.py from protos/: do not edit.\n" + yaml.safe_dump(
        build(), sort_keys=False, allow_unicode=True, width=110
    )


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run `make asyncapi`", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(build()['channels'])} channels)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The AsyncAPI document for agencies on the broker is generated from the protos and stays in step with them, and
what the platform really publishes validates against it."""

from __future__ import annotations

import subprocess
import sys

import jsonschema
import yaml
from motcua.workflow.v1.events_pb2 import DossierStatusChanged

from services.chassis.config import REPO_ROOT
from services.chassis.consumers import event_exchange
from services.chassis.events import CONTRACTS, build_event, is_private, producer_of

DOC = yaml.safe_load((REPO_ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))


def test_the_committed_document_is_up_to_date_with_the_protos():
    result = subprocess.run(
        [sys.executable, "scripts/asyncapi.py", "--check"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_every_public_event_type_and_nothing_else_is_a_channel_on_its_producers_public_exchange():
    events = {name for name, cls in CONTRACTS.items() if "metadata" in cls.DESCRIPTOR.fields_by_name}
    private = {name for name in events if is_private(name)}
    assert private and set(DOC["channels"]) == events - private  # no private event, no Contact message
    assert "motcua.intake.v1.Contact" not in DOC["components"]["schemas"]
    for type_name, channel in DOC["channels"].items():
        exchange = channel["bindings"]["amqp"]["exchange"]
        assert exchange["name"] == event_exchange(type_name).name == f"{producer_of(type_name)}.events"
        assert exchange["type"] == "topic"
    assert DOC["x-public-exchanges"] == sorted({f"{producer_of(t)}.events" for t in DOC["channels"]})


def test_a_published_envelope_validates_against_its_message_schema():
    envelope = build_event(
        DossierStatusChanged,
        {
            "dossier_code": "000.00.07.H41-261122-0001",
            "procedure_code": "1.000656",
            "agency_code": "000.00.07.H41",
            "from_status": "submitted",
            "to_status": "received",
            "action": "receive",
            "level": "province",
            "actor": "system",
            "due_at": "2026-11-27T10:00:00Z",
            "clock_stopped": False,
        },
        source="workflow",
        subject="000.00.07.H41-261122-0001",
    )
    schema = {
        **DOC["components"]["messages"]["DossierStatusChanged"]["payload"],
        "components": DOC["components"],
    }
    jsonschema.validate(envelope, schema)
    envelope["data"]["unknown_field"] = 1
    try:
        jsonschema.validate(envelope, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("an unknown field in data should not validate")

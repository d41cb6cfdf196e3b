"""Event envelope and proto validation: what is published matches its contract, and nothing else is."""

import json
import uuid

import pytest
from motcua.intake.v1.events_pb2 import DossierSubmitted
from motcua.workflow.v1.events_pb2 import DossierStatusChanged

from services.chassis.events import (
    CONTRACTS,
    InvalidEventPayload,
    UnreadableEvent,
    build_event,
    event_type,
    parse_event,
    producer_of,
)

GOOD = {
    "dossier_code": "000.00.07.H41-261122-0001",
    "procedure_code": "1.000656",
    "procedure_version": 1,
    "receiving_agency_code": "000.00.07.H41",
    "applicant_unit_code": "NB",
    "applicant_ref": "abc",
    "channel": "online",
    "submitted_at": "2026-11-22T01:02:03Z",
}


def test_envelope_carries_cloudevents_attributes_and_metadata():
    event = build_event(
        DossierSubmitted, GOOD, source="intake", subject=GOOD["dossier_code"], correlation_id="c1"
    )
    assert event["specversion"] == "1.0"
    assert event["type"] == "motcua.intake.v1.DossierSubmitted"
    assert event["source"] == "motcua/intake"
    assert event["subject"] == GOOD["dossier_code"]
    uuid.UUID(event["id"])
    assert event["data"]["metadata"]["event_id"] == event["id"]
    assert event["data"]["metadata"]["correlation_id"] == "c1"
    assert event["time"].endswith("Z")
    json.dumps(event)  # serialisable as it goes on the wire


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "unknown_field": 1},
        {**GOOD, "procedure_version": "one"},
        {**GOOD, "submitted_at": "yesterday"},
        {**GOOD, "contact": {"full_name": "Nguyễn Văn An"}},  # removed from the contract: refused
    ],
)
def test_a_payload_that_breaks_its_proto_is_refused(bad):
    with pytest.raises(InvalidEventPayload) as err:
        build_event(DossierSubmitted, bad, source="intake", subject="x")
    assert err.value.code == "invalid_event_payload"


def test_round_trip_and_unknown_fields_ignored_by_consumers():
    event = build_event(
        DossierStatusChanged,
        {"dossier_code": "X-1", "to_status": "received"},
        source="workflow",
        subject="X-1",
    )
    event["data"]["added_later"] = "ok"  # a producer may add fields; old consumers must keep working
    parsed = parse_event(event, expected_type=event_type(DossierStatusChanged))
    assert parsed.data.to_status == "received"
    assert parsed.subject == "X-1"


@pytest.mark.parametrize(
    "body",
    [
        "not a dict",
        {},
        {"specversion": "1.0", "id": "x", "type": "motcua.intake.v1.Nope", "source": "s", "data": {}},
        {
            "specversion": "0.3",
            "id": str(uuid.uuid4()),
            "type": "motcua.intake.v1.DossierSubmitted",
            "source": "s",
            "data": {},
        },
        {
            "specversion": "1.0",
            "id": "not-a-uuid",
            "type": "motcua.intake.v1.DossierSubmitted",
            "source": "s",
            "data": {},
        },
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "type": "motcua.intake.v1.DossierSubmitted",
            "source": "s",
            "data": {"procedure_version": "x"},
        },
    ],
)
def test_unreadable_messages_are_recognised(body):
    with pytest.raises(UnreadableEvent):
        parse_event(body, expected_type="motcua.intake.v1.DossierSubmitted")


def test_every_contract_belongs_to_a_known_producer():
    producers = {producer_of(name) for name in CONTRACTS}
    assert producers <= {"intake", "workflow", "notify", "payment", "registry"}
    assert {
        "motcua.intake.v1.DossierSubmitted",
        "motcua.workflow.v1.DossierStatusChanged",
        "motcua.notify.v1.NotificationSent",
    } <= set(CONTRACTS)

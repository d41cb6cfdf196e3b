"""A stopped consumer loses nothing and processes nothing twice; poison messages go to the dead-letter queue."""

from __future__ import annotations

import json

import pytest
from kombu import Connection, Exchange
from sqlalchemy import create_engine, text

from tests.conftest import wait_for

pytestmark = pytest.mark.integration

N = 20


def _cases(running) -> dict[str, int]:
    """Per dossier code: its case and the actions logged for it (a filed dossier's case opens with none; a
    consumer that processed DossierSubmitted twice would log twice, e.g. a second routing or receipt)."""
    engine = create_engine(running.db_url("workflow"))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.dossier_code, 1 + count(a.id) FROM cases c LEFT JOIN case_actions a "
                "ON a.dossier_code = c.dossier_code GROUP BY c.dossier_code"
            )
        ).all()
    engine.dispose()
    return {code: n for code, n in rows}


def test_workflow_killed_while_dossiers_arrive_gets_every_dossier_exactly_once(running):
    codes = []
    for i in range(N):
        if i == 3:
            running.platform.kill("workflow")  # SIGKILL in the middle of the stream
        response = running.submit("1.000656", "037090000001", form={"i": i})
        assert response.status_code == 201, response.text
        codes.append(response.json()["code"])
    # While workflow is down, its queue holds the events.
    queue = "evt-intake-motcua.intake.v1.DossierSubmitted--workflow.on_dossier_submitted"
    wait_for(
        lambda: running.queue_depths().get(queue, 0) >= N - 3,
        20,
        message="events waiting in workflow's queue",
    )
    running.platform.start("workflow")
    wait_for(lambda: set(codes) <= set(_cases(running)), 60, message="every dossier in workflow")
    cases = _cases(running)
    print(
        f"sent={N} accepted={len(codes)} arrived={len(set(codes) & set(cases))} "
        f"duplicates={sum(cases[c] - 1 for c in codes)}"
    )
    assert all(cases[c] == 1 for c in codes)


def test_a_duplicate_delivery_is_processed_once(running):
    code = running.submit("1.000656", "037090000001").json()["code"]
    wait_for(lambda: code in _cases(running), 30, message="case opened")
    engine = create_engine(running.db_url("intake"))
    with engine.connect() as conn:
        envelope = json.loads(
            conn.execute(
                text(
                    "SELECT envelope FROM outbox WHERE subject = :c AND event_type = "
                    "'motcua.intake.v1.DossierSubmitted'"
                ),
                {"c": code},
            ).scalar_one()
        )
    engine.dispose()
    with Connection(running.amqp_uri) as conn:
        producer = conn.Producer(serializer="json")
        for _ in range(3):  # the relay may publish again after a crash: consumers must not care
            producer.publish(
                envelope,
                exchange=Exchange("intake.events", type="topic", durable=True),
                routing_key=envelope["type"],
                delivery_mode=2,
            )
    queue = "evt-intake-motcua.intake.v1.DossierSubmitted--workflow.on_dossier_submitted"
    wait_for(lambda: running.queue_depths().get(queue, 1) == 0, 20, message="duplicates consumed")
    assert _cases(running)[code] == 1
    running.receive(code)
    wait_for(
        lambda: [m for m in running.mails("an.nguyen@example.vn") if code in m["subject"]],
        30,
        message="receipt e-mail",
    )
    mails = [m for m in running.mails("an.nguyen@example.vn") if code in m["subject"]]
    assert len(mails) == 1


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"\x00\xffnot json", "application/json"),
        (
            json.dumps(
                {"specversion": "1.0", "id": "x", "type": "motcua.intake.v1.DossierSubmitted"}
            ).encode(),
            "application/json",
        ),
        (b"<xml/>", "application/xml"),
    ],
)
def test_poison_messages_go_to_the_dead_letter_queue_and_the_service_lives_on(running, body, content_type):
    queue = "evt-intake-motcua.intake.v1.DossierSubmitted--workflow.on_dossier_submitted"
    dlq = f"dlq.{queue}"
    before = running.queue_depths().get(dlq, 0)
    with Connection(running.amqp_uri) as conn:
        producer = conn.Producer()
        producer.publish(
            body,
            exchange=Exchange("intake.events", type="topic", durable=True),
            routing_key="motcua.intake.v1.DossierSubmitted",
            content_type=content_type,
            content_encoding="binary",
            delivery_mode=2,
        )
    wait_for(lambda: running.queue_depths().get(dlq, 0) == before + 1, 20, message="message dead-lettered")
    assert running.platform.alive()["workflow"]
    # and the service still works
    code = running.submit("1.000656", "037090000001").json()["code"]
    wait_for(lambda: code in _cases(running), 30, message="case opened after the poison message")


def test_events_published_before_any_consumer_ever_started_are_kept(broker):
    """Topology is declared at deploy time (migration hook / make run), before any service consumes."""
    import uuid as _uuid

    from motcua.intake.v1.events_pb2 import DossierSubmitted

    from services.chassis.events import build_event
    from services.chassis.topology import declare

    vhost = f"ahead-{_uuid.uuid4().hex[:8]}"
    broker.rabbitmqctl("add_vhost", vhost)
    broker.rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    uri = f"amqp://guest:guest@127.0.0.1:{broker.port}/{vhost}"
    try:
        queues = declare(["workflow", "notify", "payment", "registry"], uri, 5, wait_seconds=10)
        envelope = build_event(
            DossierSubmitted,
            {"dossier_code": "X-261122-0001", "procedure_code": "1.000656", "procedure_version": 1},
            source="intake",
            subject="X-261122-0001",
        )
        with Connection(uri, transport_options={"confirm_publish": True}) as conn:
            conn.Producer(serializer="json").publish(
                envelope,
                exchange=Exchange("intake.events", type="topic", durable=True),
                routing_key=envelope["type"],
                delivery_mode=2,
            )
        waiting = {q for q in queues if "DossierSubmitted" in q}
        assert waiting == {
            "evt-intake-motcua.intake.v1.DossierSubmitted--workflow.on_dossier_submitted",
            "evt-intake-motcua.intake.v1.DossierSubmitted--notify.on_dossier_submitted",
        }

        def depths():
            out = broker.rabbitmqctl(
                "list_queues", "-p", vhost, "name", "messages", "--no-table-headers", "--quiet"
            )
            found = {
                line.split()[0]: int(line.split()[1]) for line in out.splitlines() if len(line.split()) == 2
            }
            return found if all(found.get(q) == 1 for q in waiting) else None

        wait_for(depths, 30, interval=1, message="the event waiting in every consumer's queue")
        print(f"declared {len(queues)} queues ahead; the event waits in {sorted(waiting)}")
    finally:
        broker.rabbitmqctl("delete_vhost", vhost)


def test_dead_letters_can_be_inspected_and_requeued_once_the_cause_is_fixed(running):
    """A valid event that was dead-lettered (say, during an outage or before a bug was fixed) waits in its
    dead-letter queue; ops look at it and send it back with `python -m services.chassis.deadletters`; it is
    processed once. A poison message sent back goes straight back to the dead-letter queue."""
    from motcua.intake.v1.events_pb2 import DossierSubmitted

    from services.chassis import deadletters
    from services.chassis.events import build_event

    queue = "evt-intake-motcua.intake.v1.DossierSubmitted--workflow.on_dossier_submitted"
    dlq = f"dlq.{queue}"
    code = f"000.00.29.H41-261123-{running.backend[:2].upper()}01"
    envelope = build_event(
        DossierSubmitted,
        {
            "dossier_code": code,
            "procedure_code": "1.000656",
            "procedure_version": 1,
            "receiving_agency_code": "000.00.29.H41",
            "applicant_unit_code": "NB.HL.NT",
            "applicant_ref": "ref-dlq",
            "channel": "online",
            "submitted_at": "2026-11-23T01:00:00Z",
        },
        source="intake",
        subject=code,
    )
    # As an older producer wrote it, with the contact that has since moved to a private event: the dead-letter
    # view must still mask what such a message holds.
    envelope["data"]["contact"] = {"full_name": "Nguyễn Văn An", "phone": "0912345601"}
    poison = b"\x00\xffstill not json"
    base = running.queue_depths().get(dlq, 0)  # earlier poison messages of this module wait there too
    with Connection(running.amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for body, ctype in (
            (json.dumps(envelope).encode(), "application/json"),
            (poison, "application/json"),
        ):
            producer.publish(
                body,
                exchange=Exchange(""),
                routing_key=dlq,
                content_type=ctype,
                content_encoding="binary",
                delivery_mode=2,
            )
    before = wait_for(
        lambda: (d := running.queue_depths().get(dlq, 0)) == base + 2 and d,
        20,
        message="both dead letters in place",
    )
    shown = deadletters.peek(running.amqp_uri, queue, limit=100)
    ours = [m for m in shown if m["event_id"] == envelope["id"]]
    assert len(ours) == 1 and ours[0]["subject"] == code
    assert "0912345601" not in json.dumps(shown)  # masked on screen
    assert len(shown) == before  # looking consumed nothing: every message shown, all still there
    again = deadletters.peek(running.amqp_uri, queue, limit=100)
    assert sorted(str(m["event_id"]) for m in again) == sorted(str(m["event_id"]) for m in shown)

    assert deadletters.requeue(running.amqp_uri, dlq, event_id=envelope["id"]) == 1
    wait_for(lambda: _cases(running).get(code) == 1, 30, message="the re-queued event processed")
    wait_for(lambda: running.queue_depths().get(dlq, 0) == before - 1, 20, message="one dead letter fewer")
    moved = deadletters.requeue(running.amqp_uri, queue)  # everything left, the poison message included
    assert moved == before - 1
    wait_for(lambda: running.queue_depths().get(dlq, 0) == before - 1, 30, message="poison back in the DLQ")
    assert _cases(running).get(code) == 1 and running.platform.alive()["workflow"]
    print(
        f"\n[dead letters/{running.backend}] shown {len(shown)}, re-queued 1 valid (processed once) and "
        f"{moved} others (back in {dlq})"
    )

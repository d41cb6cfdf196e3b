"""Webhook deliveries from the notify entrypoints (worker_factory, SQLite) to a real HTTP receiver in its own
process: a matching event is delivered signed with the secret in force and only its contract's fields; a failed
attempt is retried on the schedule; a deleted subscription's delivery is cancelled."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest
from motcua.intake.v1.events_pb2 import DossierSubmitted
from nameko.testing.services import worker_factory

from services.chassis.events import build_event, parse_event
from services.notify.adapters import storage
from services.notify.domain import webhooks
from services.notify.service import NotifyService
from tests.support import FakeDatabase

CODE = "000.00.07.H41-261130-0001"
# Answers each POST with the status given on its command line, in turn, and prints what it received.
_RECEIVER = """
import http.server, json, sys
statuses = [int(s) for s in sys.argv[1:]]
class R(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.send_response(statuses.pop(0))
        self.send_header("Content-Length", "0")
        self.end_headers()
        print(json.dumps({"headers": dict(self.headers.items()), "body": body}), flush=True)
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), R)
print(server.server_port, flush=True)
while statuses:
    server.handle_request()
"""


@pytest.fixture
def notify(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    return worker_factory(
        NotifyService,
        db=FakeDatabase(storage.metadata),
        settings=SimpleNamespace(public_url="http://127.0.0.1:9", mail_from="x@y"),
    )


@pytest.fixture
def receiver(request):
    process = subprocess.Popen(
        [sys.executable, "-c", _RECEIVER, *map(str, request.param)], stdout=subprocess.PIPE, text=True
    )
    port = int(process.stdout.readline())
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{port}/hook", next=lambda: json.loads(process.stdout.readline())
    )
    process.kill()
    process.wait()


def _submitted():
    return parse_event(
        build_event(
            DossierSubmitted,
            {
                "dossier_code": CODE,
                "procedure_code": "1.000656",
                "procedure_version": 1,
                "receiving_agency_code": "000.00.07.H41",
                "applicant_unit_code": "26734",
                "applicant_ref": "ref-1",
                "channel": "online",
                "submitted_at": "2026-11-30T03:00:00Z",
            },
            source="intake",
            subject=CODE,
        )
    )


def _deliveries(notify) -> list[dict]:
    return notify.db.rows("webhook_deliveries")


@pytest.mark.parametrize("receiver", [[204]], indirect=True)
def test_a_matching_event_is_delivered_signed_with_its_contract_fields(notify, receiver):
    sub = notify.create_subscription(
        "000.00.15.H41",
        {
            "url": receiver.url,
            "event_types": ["motcua.intake.v1.DossierSubmitted"],
            "units": ["000.00.07.H41"],
        },
    )
    other = notify.create_subscription("000.00.15.H41", {"url": receiver.url, "units": ["000.31.01.H41"]})
    event = _submitted()
    notify.on_dossier_submitted(event)
    notify.on_dossier_submitted(event)  # a redelivery: logged once, delivered once
    [queued] = _deliveries(notify)
    assert queued["subscription_id"] == sub["id"] != other["id"] and queued["status"] == "pending"
    notify.deliver_webhooks()
    seen = receiver.next()
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    webhooks.verify(sub["secret"], headers, seen["body"].encode())
    assert headers["webhook-id"] == event.id and headers["content-type"].startswith(
        "application/cloudevents+json"
    )
    sent = json.loads(seen["body"])
    assert sent["type"] == "motcua.intake.v1.DossierSubmitted" and sent["data"]["dossier_code"] == CODE
    assert set(sent["data"]) <= {f.name for f in DossierSubmitted.DESCRIPTOR.fields}
    [done] = _deliveries(notify)
    assert (done["status"], done["attempts"], done["last_status_code"]) == ("delivered", 1, 204)
    assert notify.get_subscription("000.00.15.H41", sub["id"])["deliveries"] == {"delivered": 1}


@pytest.mark.parametrize("receiver", [[500]], indirect=True)
def test_a_failed_attempt_is_retried_later_and_a_deleted_subscription_is_cancelled(notify, receiver):
    sub = notify.create_subscription("000.00.15.H41", {"url": receiver.url})
    notify.on_dossier_submitted(_submitted())
    notify.deliver_webhooks()
    assert receiver.next()["body"]
    [retrying] = _deliveries(notify)
    assert (retrying["status"], retrying["attempts"], retrying["last_error"]) == ("retrying", 1, "HTTP 500")
    assert retrying["next_attempt_at"] > retrying["updated_at"]  # the schedule's first wait
    notify.deliver_webhooks()  # not due yet: nothing is sent
    assert _deliveries(notify)[0]["attempts"] == 1
    notify.delete_subscription("000.00.15.H41", sub["id"])
    assert [d["status"] for d in notify.list_deliveries("000.00.15.H41", sub["id"])] == ["cancelled"]

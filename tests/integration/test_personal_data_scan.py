"""No personal data reaches agencies: an agency's own queues, bound to every public exchange, and an agency's
webhook endpoint receive every event of every journey (file, complete, withdraw, supplement and resubmit, pay,
refund, result), and not one message holds a citizen's ID number, phone number, e-mail address, name, or the free
text they wrote. A queue bound to intake's private exchange shows the scan is not blind: the same scan finds the
contact details there, where only notify reads them.

Real parts: the platform's processes on RabbitMQ and PostgreSQL, the VNPay sandbox, a real HTTP receiver."""

from __future__ import annotations

import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from kombu import Connection, Exchange, Queue

from devtools.demo import DEMO_PERSONS
from services.chassis.events import EVENTS, exchange_name, is_private, public_event_types
from tests.conftest import wait_for
from tests.integration.test_payment import file_business_registration, pay, payment

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("running", ["postgresql"], indirect=True)]

CITIZEN = "037090000001"
JUSTICE = "000.00.07.H41"
COMMUNE = "000.31.01.H41"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# Free text the citizen writes; each carries a marker the scan looks for, and personal details besides.
CITIZEN_TEXTS = {
    "complete": "Tôi đã ký tờ khai [citizen-text-1], liên hệ 0912345601",
    "withdraw": "Nộp nhầm thủ tục [citizen-text-2], gọi Nguyễn Văn An",
    "resubmit": "Gửi bản có xác nhận [citizen-text-3] an.nguyen@example.vn",
}


def needles() -> dict[str, str]:
    """What must never appear on a public route: every demo citizen's ID number, phone (national and +84 forms),
    e-mail and name (as written, and without case), and each marker of a citizen's free text."""
    found = {}
    for person in DEMO_PERSONS:
        found[person["id_number"]] = "id_number"
        found[person["phone"]] = "phone"
        found["84" + person["phone"][1:]] = "phone"
        found[person["email"].lower()] = "email"
        found[person["full_name"].lower()] = "name"
    for text in CITIZEN_TEXTS.values():
        found[re.search(r"\[citizen-text-\d\]", text).group(0)] = "citizen_text"
    return found


def scan(raw: str) -> list[tuple[str, str]]:
    text = raw.lower()
    return [(kind, needle) for needle, kind in needles().items() if needle in text]


class Agency:
    """An agency integrating both ways: one queue per public exchange (routing key `#`, every event type), one queue
    on intake's private exchange for the control, and a webhook endpoint that accepts every delivery."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri
        tag = uuid.uuid4().hex[:8]
        self.public = [
            Queue(
                f"agency-scan-{tag}-{name}",
                Exchange(name, "topic", durable=True),
                routing_key="#",
                durable=True,
            )
            for name in sorted({exchange_name(t) for t in public_event_types()})
        ]
        private = exchange_name("motcua.intake.v1.ApplicantContactRecorded")
        self.private = Queue(
            f"agency-scan-{tag}-{private}",
            Exchange(private, "topic", durable=True),
            routing_key="#",
            durable=True,
        )
        with Connection(amqp_uri) as conn:
            for queue in (*self.public, self.private):
                queue(conn.channel()).declare()
        # {"route": "amqp:<exchange>" | "webhook" | "private", "raw": headers and body as text, "event": body}
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        agency = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                raw = json.dumps(
                    {"headers": {k.lower(): v for k, v in self.headers.items()}, "body": json.loads(body)},
                    ensure_ascii=False,
                )
                with agency.lock:
                    agency.messages.append({"route": "webhook", "raw": raw, "event": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def drain(self) -> None:
        """Take what waits in the queues, with its AMQP headers and properties."""
        with Connection(self.amqp_uri) as conn:
            channel = conn.channel()
            for queue in (*self.public, self.private):
                route = "private" if queue is self.private else f"amqp:{queue.exchange.name}"
                while (message := queue(channel).get(no_ack=True)) is not None:
                    body = message.body if isinstance(message.body, str) else message.body.decode("utf-8")
                    # Decoded, so a name written with \u escapes is found as well.
                    raw = json.dumps(
                        {
                            "headers": message.headers,
                            "properties": message.properties,
                            "body": json.loads(body),
                        },
                        ensure_ascii=False,
                        default=str,
                    )
                    with self.lock:
                        self.messages.append({"route": route, "raw": raw, "event": json.loads(body)})

    def events(self, route_prefix: str) -> list[dict]:
        with self.lock:
            return [m["event"] for m in self.messages if m["route"].startswith(route_prefix)]

    def close(self) -> None:
        self.server.shutdown()
        with Connection(self.amqp_uri) as conn:
            for queue in (*self.public, self.private):
                queue(conn.channel()).delete()


@pytest.fixture
def agency(running):
    agency = Agency(running.amqp_uri)
    subscribed = running.session.post(
        f"{running.base_url}/api/v1/subscriptions",
        headers=running.headers("agency-scan", "agency", unit=JUSTICE),
        json={"url": agency.url},
    )
    assert subscribed.status_code == 201, subscribed.text
    yield agency
    running.session.delete(
        f"{running.base_url}/api/v1/subscriptions/{subscribed.json()['id']}",
        headers=running.headers("agency-scan", "agency", unit=JUSTICE),
    )
    agency.close()


def _act(running, code: str, headers: dict, **body) -> dict:
    response = running.session.post(
        f"{running.base_url}/api/v1/dossiers/{code}/actions", headers=headers, json=body
    )
    assert response.status_code == 200, response.text
    return response.json()


def _officer(running, role: str, unit: str = JUSTICE) -> dict:
    return running.headers(f"{role}-1", "officer", unit=unit, roles=[role])


def _upload(running) -> str:
    response = running.session.post(
        f"{running.base_url}/api/v1/uploads",
        data=PDF,
        headers={**running.headers(CITIZEN), "Content-Type": "application/pdf", "X-File-Name": "to-khai.pdf"},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _opened(running, code: str) -> None:
    url = f"{running.base_url}/api/v1/dossiers/{code}"
    wait_for(
        lambda: running.session.get(url, headers=running.headers(CITIZEN)).json().get("case"),
        30,
        message="case opened",
    )


def _journeys(running) -> dict[str, str]:
    """Every journey a citizen and the officers take; returns the dossier codes by journey."""
    codes = {}
    # Completion before receipt (a citizen's text), then withdrawal after receipt (another).
    code = codes["complete_withdraw"] = running.submit("1.000656", CITIZEN).json()["code"]
    _opened(running, code)
    _act(running, code, _officer(running, "receiver"), action="request_completion", reason="Thiếu chữ ký")
    _act(
        running,
        code,
        running.headers(CITIZEN),
        action="complete",
        reason=CITIZEN_TEXTS["complete"],
        documents=[{"code": "TK03", "upload": _upload(running)}],
    )
    running.receive(code)
    _act(running, code, running.headers(CITIZEN), action="withdraw", reason=CITIZEN_TEXTS["withdraw"])
    # A supplement asked and answered with a file and a citizen's text, then the signed result.
    code = codes["supplement_result"] = running.submit("1.000656", CITIZEN).json()["code"]
    running.receive(code)
    _act(running, code, _officer(running, "handler"), action="request_supplement", reason="Bổ sung tờ khai")
    _act(
        running,
        code,
        running.headers(CITIZEN),
        action="resubmit",
        reason=CITIZEN_TEXTS["resubmit"],
        documents=[{"code": "TK03", "upload": _upload(running)}],
    )
    for role, action, extra in (
        ("leader", "assign", {"params": {"assignee": "handler-1"}}),
        ("leader", "approve", {}),
        ("handler", "result_ready", {}),
        ("receiver", "return_result", {}),
    ):
        _act(running, code, _officer(running, role), action=action, **extra)
    # A fee paid online, part of it refunded, and the result returned.
    code = codes["pay_refund"] = file_business_registration(running)
    pay(running, code)
    wait_for(lambda: payment(running, code)["status"] == "paid", 30, message="paid")
    refund = requests.post(
        f"{running.base_url}/api/v1/dossiers/{code}/refunds",
        timeout=30,
        headers=_officer(running, "leader", COMMUNE),
        json={"amount_vnd": 20000, "reason": "Thu thừa phí"},
    )
    assert refund.status_code == 201, refund.text
    for role, action, extra in (
        ("leader", "assign", {"params": {"assignee": "handler-1"}}),
        ("leader", "approve", {}),
        ("handler", "result_ready", {}),
    ):
        _act(running, code, _officer(running, role, COMMUNE), action=action, **extra)
    wait_for(
        lambda: (
            "fee_paid"
            in [
                h["action"]
                for h in running.session.get(
                    f"{running.base_url}/api/v1/dossiers/{code}", headers=running.headers(CITIZEN)
                ).json()["history"]
            ]
        ),
        30,
        message="workflow saw the payment",
    )
    _act(running, code, _officer(running, "receiver", COMMUNE), action="return_result")
    return codes


EXPECTED = {
    "motcua.intake.v1.DossierSubmitted",
    "motcua.workflow.v1.DossierStatusChanged",
    "motcua.workflow.v1.ResultIssued",
    "motcua.payment.v1.PaymentRequested",
    "motcua.payment.v1.PaymentCompleted",
    "motcua.payment.v1.PaymentRefunded",
    "motcua.notify.v1.NotificationSent",
}


def test_no_personal_data_on_any_public_exchange_or_webhook(running, agency):
    codes = set(_journeys(running).values())
    actions = {"complete", "withdraw", "resubmit", "return_result"}

    def everything_arrived():
        agency.drain()
        amqp = [e for e in agency.events("amqp:") if e.get("subject") in codes]
        seen_actions = {e["data"].get("action") for e in amqp if e["type"].endswith("DossierStatusChanged")}
        types = {e["type"] for e in amqp}
        hooked = {e["id"] for e in agency.events("webhook")}
        feed_ids = {e["id"] for e in amqp if e["type"] != "motcua.notify.v1.NotificationSent"}
        return EXPECTED <= types and actions <= seen_actions and feed_ids <= hooked and (amqp, feed_ids)

    amqp, feed_ids = wait_for(
        everything_arrived,
        120,
        interval=1,
        message="every journey's events on the exchanges and at the webhook",
    )
    public = [m for m in agency.messages if m["route"] != "private"]
    leaks = [(m["route"], hit) for m in public for hit in scan(m["raw"])]
    assert leaks == [], leaks[:10]
    # Each route had real traffic: dozens of events, the webhook every one the feeds carry.
    routes = {m["route"] for m in public}
    assert routes == {"webhook"} | {f"amqp:{q.exchange.name}" for q in agency.public}
    assert len(amqp) >= 20 and len(feed_ids) >= 15
    actors = {e["data"].get("actor") for e in amqp if e["type"].endswith("DossierStatusChanged")}
    assert "applicant" in actors and not any(a and re.fullmatch(r"[0-9]{12}", a) for a in actors)
    # The control: the private exchange carried the contact details, and the same scan finds them there.
    private = [m for m in agency.messages if m["route"] == "private"]
    assert len(private) == 3 and all(
        {"phone", "email", "name"} <= {k for k, _ in scan(m["raw"])} for m in private
    )
    assert all(is_private(m["event"]["type"]) for m in private)
    # The private event types: the applicant's contact (for notify) and the staff directory's changes (for the
    # gateways' caches; subjects and units only, yet about the province's own people, so not offered to agencies).
    assert {t for t in EVENTS if is_private(t)} == {
        "motcua.intake.v1.ApplicantContactRecorded",
        "motcua.workflow.v1.StaffMemberChanged",
    }

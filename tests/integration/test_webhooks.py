"""Agency webhooks on the real platform, to a real HTTP receiver that checks Standard Webhooks signatures:
failed deliveries come again later, a killed notify loses none, a rotated secret keeps both valid for a while,
a replay from a past time re-delivers exactly the matching events, and personal data never leaves."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.notify.domain import webhooks
from tests.conftest import wait_for

pytestmark = pytest.mark.integration
TYPES = ["motcua.intake.v1.DossierSubmitted", "motcua.workflow.v1.DossierStatusChanged"]


class Receiver:
    """An agency's endpoint: records every request; answers 500 to the first attempt of each message, or to
    everything while `down`; answers 401 when the signature does not verify."""

    def __init__(self):
        self.requests: list[dict] = []
        self.secrets: list[str] = []
        self.down = False
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                verified = False
                for secret in receiver.secrets:
                    try:
                        webhooks.verify(secret, headers, body)
                        verified = True
                        break
                    except webhooks.WebhookVerificationError:
                        continue
                with receiver.lock:
                    first = not any(r["id"] == headers.get("webhook-id") for r in receiver.requests)
                    status = 401 if not verified else 500 if (receiver.down or first) else 200
                    receiver.requests.append(
                        {"id": headers.get("webhook-id"), "headers": headers, "body": body, "status": status}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/motcua-events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def accepted(self) -> dict[str, dict]:
        """Message id -> the delivery that was answered 200."""
        with self.lock:
            return {r["id"]: r for r in self.requests if r["status"] == 200}

    def attempts(self, msg_id: str) -> int:
        with self.lock:
            return sum(r["id"] == msg_id for r in self.requests)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


def _events_for(receiver, codes) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {c: [] for c in codes}
    for r in receiver.accepted().values():
        event = json.loads(r["body"])
        if event["subject"] in out:
            out[event["subject"]].append(event["type"])
    return out


def test_signed_deliveries_retries_restart_rotation_and_replay(running, receiver):
    agency = running.headers("agency-1", "agency", unit="000.00.15.H41")
    api = f"{running.base_url}/api/v1/subscriptions"
    created = running.session.post(
        api, headers=agency, json={"url": receiver.url, "event_types": TYPES, "procedures": ["1.000656"]}
    )
    assert created.status_code == 201, created.text
    subscription, secret = created.json()["id"], created.json()["secret"]
    receiver.secrets = [secret]

    # Two dossiers: each event's first attempt is answered 500, the retry is accepted.
    codes = [running.submit("1.000656", "037090000001").json()["code"] for _ in range(2)]
    for code in codes:
        running.receive(code)
    wait_for(
        lambda: all(len(t) == 2 for t in _events_for(receiver, codes).values()),
        60,
        interval=0.5,
        message="submitted and received events delivered for both dossiers",
    )
    accepted = [r for r in receiver.accepted().values() if json.loads(r["body"])["subject"] in codes]
    assert all(receiver.attempts(r["id"]) >= 2 for r in accepted)  # the 500 came back later
    submitted = [json.loads(r["body"]) for r in accepted if json.loads(r["body"])["type"] == TYPES[0]]
    assert submitted and all("contact" not in e["data"] for e in submitted)  # no personal data leaves
    assert all(r["headers"]["content-type"].startswith("application/cloudevents+json") for r in accepted)

    # The receiver's checks refuse a tampered body and an old timestamp.
    sample = accepted[0]
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(secret, sample["headers"], sample["body"].replace(b"1.000656", b"9.999999"))
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(secret, sample["headers"], sample["body"], now=time.time() + 3600)

    history = running.session.get(f"{api}/{subscription}/deliveries", headers=agency).json()["items"]
    ours = [d for d in history if d["subject"] in codes]
    assert len(ours) == 4 and all(d["status"] == "delivered" and d["attempts"] >= 2 for d in ours)

    # The receiver goes down; notify is killed while it retries, and restarted; nothing is lost.
    receiver.down = True
    third = running.submit("1.000656", "037090000001").json()["code"]
    running.receive(third)
    wait_for(
        lambda: any(json.loads(r["body"])["subject"] == third for r in receiver.requests),
        30,
        message="a failing attempt for the third dossier",
    )
    running.platform.kill("notify")
    receiver.down = False
    running.platform.start("notify")
    wait_for(
        lambda: len(_events_for(receiver, [third])[third]) == 2,
        60,
        interval=0.5,
        message="the third dossier's events delivered after the restart",
    )

    # Rotation: both the old and the new secret verify during the grace period.
    rotated = running.session.post(
        f"{api}/{subscription}/secret", headers=agency, json={"grace_seconds": 600}
    )
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    receiver.secrets = [new_secret]  # the receiver moved to the new secret at once

    # Replay from a past time: exactly the matching events recorded since then, as new messages.
    time.sleep(1)
    since = datetime.now(timezone.utc).isoformat()
    time.sleep(0.5)
    fourth = running.submit("1.000656", "037090000001").json()["code"]
    running.receive(fourth)
    running.submit("1.001193", "037090000001")  # another procedure: not matched, not replayed
    wait_for(
        lambda: len(_events_for(receiver, [fourth])[fourth]) == 2,
        60,
        interval=0.5,
        message="the fourth dossier's events delivered",
    )
    before = set(receiver.accepted())
    replay = running.session.post(f"{api}/{subscription}/replays", headers=agency, json={"since": since})
    assert replay.status_code == 202 and replay.json()["events"] == 2, replay.text
    wait_for(
        lambda: len(set(receiver.accepted()) - before) == 2, 60, interval=0.5, message="replayed deliveries"
    )
    replayed = [receiver.accepted()[i] for i in set(receiver.accepted()) - before]
    assert {json.loads(r["body"])["subject"] for r in replayed} == {fourth}
    assert all(r["id"].endswith(".replay1") for r in replayed)
    for r in replayed:  # signed with both secrets while the old one is in its grace period
        webhooks.verify(secret, r["headers"], r["body"])
        webhooks.verify(new_secret, r["headers"], r["body"])
    print(
        f"\n[webhooks/{running.backend}] {len(receiver.requests)} requests received, "
        f"{len(receiver.accepted())} accepted, replay re-delivered {len(replayed)}"
    )

    # Another agency cannot see or replay this subscription.
    stranger = running.headers("agency-2", "agency", unit="000.00.18.H41")
    assert running.session.get(f"{api}/{subscription}", headers=stranger).status_code == 404


def test_internal_targets_are_refused_at_subscription(running):
    agency = running.headers("agency-1", "agency", unit="000.00.15.H41")
    for url in (
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost/hook",
        "http://[::1]/hook",
        "file:///etc/passwd",
    ):
        answer = running.session.post(
            f"{running.base_url}/api/v1/subscriptions", headers=agency, json={"url": url}
        )
        assert answer.status_code == 422 and answer.json()["code"] == "target_refused", (url, answer.text)

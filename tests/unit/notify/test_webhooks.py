"""Standard Webhooks signing as an agency's receiver checks it, the retry schedule, filters, redaction and the
SSRF guard."""

from __future__ import annotations

import socket

import pytest

from services.notify.adapters.targets import check_target
from services.notify.domain import webhooks
from services.notify.use_cases.feeds import outbound

BODY = b'{"id":"e1","type":"motcua.workflow.v1.DossierStatusChanged","data":{"dossier_code":"X"}}'


def test_a_signed_delivery_verifies():
    secret = webhooks.new_secret()
    headers = webhooks.headers([secret], "msg-1", BODY, timestamp=1_700_000_000)
    webhooks.verify(secret, headers, BODY, now=1_700_000_010)


def test_known_vector_from_the_standard_webhooks_scheme():
    # HMAC-SHA256 over "{id}.{timestamp}.{body}" with the base64-decoded key, base64 output, "v1," prefix.
    import base64
    import hashlib
    import hmac

    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    expected = (
        "v1,"
        + base64.b64encode(
            hmac.new(b"0123456789abcdef0123456789abcdef", b"m.1.hello", hashlib.sha256).digest()
        ).decode()
    )
    assert webhooks.sign(secret, "m", 1, b"hello") == expected


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b'"X"', b'"Y"')),  # body changed
        lambda h, b: ({**h, "webhook-id": "msg-2"}, b),  # id changed
        lambda h, b: (
            {**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)},
            b,
        ),  # timestamp changed
        lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),  # signature removed
    ],
)
def test_a_tampered_delivery_is_refused(tamper):
    secret = webhooks.new_secret()
    headers, body = tamper(webhooks.headers([secret], "msg-1", BODY, timestamp=1_700_000_000), BODY)
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(secret, headers, body, now=1_700_000_000)


def test_an_old_or_future_timestamp_is_refused_as_a_replay():
    secret = webhooks.new_secret()
    headers = webhooks.headers([secret], "msg-1", BODY, timestamp=1_700_000_000)
    with pytest.raises(webhooks.WebhookVerificationError, match="tolerance"):
        webhooks.verify(secret, headers, BODY, now=1_700_000_000 + 301)
    with pytest.raises(webhooks.WebhookVerificationError, match="tolerance"):
        webhooks.verify(secret, headers, BODY, now=1_700_000_000 - 301)


def test_during_rotation_both_secrets_verify_and_a_stranger_does_not():
    old, new = webhooks.new_secret(), webhooks.new_secret()
    headers = webhooks.headers([new, old], "msg-1", BODY, timestamp=1_700_000_000)
    assert len(headers["webhook-signature"].split()) == 2
    webhooks.verify(old, headers, BODY, now=1_700_000_000)
    webhooks.verify(new, headers, BODY, now=1_700_000_000)
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(webhooks.new_secret(), headers, BODY, now=1_700_000_000)


def test_the_schedule_backs_off_for_days_then_stops():
    delays = [webhooks.next_delay(n) for n in range(1, len(webhooks.SCHEDULE) + 2)]
    assert delays[:-1] == sorted(delays[:-1]) and delays[-1] is None
    assert sum(webhooks.SCHEDULE) > 3 * 86400
    assert webhooks.next_delay(1, scale=0.02) == pytest.approx(0.1)


def test_filters_and_redaction():
    event = {
        "type": "motcua.workflow.v1.DossierStatusChanged",
        "unit": "000.00.07.H41",
        "procedure_code": "1.000656",
    }
    assert webhooks.matches({}, event)
    assert webhooks.matches({"units": ["000.00.07.H41"], "procedures": ["1.000656"]}, event)
    assert not webhooks.matches({"event_types": ["motcua.payment.v1.PaymentCompleted"]}, event)
    # An event logged before the contact moved to a private event still leaves without it.
    submitted = {
        "type": "motcua.intake.v1.DossierSubmitted",
        "data": {"dossier_code": "X", "contact": {"phone": "0912345678", "email": "a@b.vn"}},
    }
    assert "contact" not in outbound(submitted)["data"] and "contact" in submitted["data"]


def _resolver(*addresses):
    def resolve(host, port, type=0):  # noqa: A002 - same signature as socket.getaddrinfo
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    return resolve


@pytest.mark.parametrize(
    "url, addresses",
    [
        ("http://127.0.0.1/hook", ("127.0.0.1",)),
        ("http://10.1.2.3/hook", ("10.1.2.3",)),
        ("http://192.168.1.10/hook", ("192.168.1.10",)),
        ("http://169.254.169.254/latest/meta-data", ("169.254.169.254",)),  # cloud metadata
        ("http://[::1]/hook", ("::1",)),
        ("http://[::ffff:127.0.0.1]/hook", ("::ffff:127.0.0.1",)),
        ("https://agency.example.vn/hook", ("203.162.4.1", "127.0.0.1")),  # one public, one loopback answer
        ("http://100.64.0.1/hook", ("100.64.0.1",)),  # carrier-grade NAT
    ],
)
def test_private_loopback_and_internal_targets_are_refused(url, addresses):
    with pytest.raises(webhooks.TargetRefused):
        check_target(url, resolve=_resolver(*addresses))


def test_a_hostname_that_really_resolves_to_loopback_is_refused():
    with pytest.raises(webhooks.TargetRefused):
        check_target("http://localhost:8000/hook")


@pytest.mark.parametrize(
    "url", ["ftp://agency.example.vn/x", "http:///nohost", "https://user:pw@agency.example.vn/"]
)
def test_malformed_targets_are_refused(url):
    with pytest.raises(webhooks.TargetRefused):
        check_target(url, resolve=_resolver("203.162.4.1"))


def test_public_targets_and_allow_listed_hosts_pass():
    assert check_target("https://agency.example.vn/hook", resolve=_resolver("203.162.4.1")) == ["203.162.4.1"]
    assert check_target("http://127.0.0.1:9999/hook", allowed_hosts=["127.0.0.1"]) == []


def test_a_delivery_connects_to_the_checked_address_not_to_a_second_dns_answer():
    """DNS rebinding: the name answers a public address at the check and an internal one afterwards. The
    delivery uses the address the check returned; the name itself is never resolved again (here it does not
    resolve at all), and the receiver still sees the URL's host name."""
    import json as json_
    import subprocess
    import sys

    from services.notify.adapters import pinned

    # The receiver runs in its own process: other unit tests leave eventlet's monkey patching in this one.
    receiver = subprocess.Popen([sys.executable, "-c", _RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(receiver.stdout.readline())
        url = f"http://agency.invalid:{port}/hook?x=1"  # .invalid never resolves (RFC 6761)
        status, _ = pinned.post(
            url, "127.0.0.1", b'{"a":1}', {"Content-Type": "application/json"}, timeout=20
        )
        seen = json_.loads(receiver.stdout.readline())
    finally:
        receiver.kill()
        receiver.wait()
    assert status == 204
    assert seen == {"host": f"agency.invalid:{port}", "path": "/hook?x=1", "body": '{"a":1}'}
    with pytest.raises(pinned.DeliveryError):  # nothing listening there: no answer, not a crash
        pinned.post(url, "127.0.0.1", b"{}", {}, timeout=2)


_RECEIVER = """
import http.server, json, sys
class R(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.send_response(204)
        self.end_headers()
        print(json.dumps({"host": self.headers["Host"], "path": self.path, "body": body}), flush=True)
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), R)
print(server.server_port, flush=True)
server.handle_request()
"""

"""Citizen notifications over every channel, on the real platform: e-mail through a real SMTP server, Zalo ZNS
and SMS through the sandbox provider over HTTP with its signed delivery receipts. A Zalo refusal falls back to
SMS, a failing SMS provider is retried, the final status reaches the dossier's timeline, and a notify killed in
the middle of retries loses nothing."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for

pytestmark = pytest.mark.integration


def _timeline(running, code: str) -> list[dict]:
    view = running.session.get(f"{running.base_url}/api/v1/dossiers/{code}", headers=running.headers()).json()
    return view.get("notifications") or []


def _by_channel(items: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        out.setdefault(item["channel"], []).append(item["status"])
    return out


def test_email_zalo_falls_back_to_sms_retried_until_delivered(running):
    running.messages.set_mode("zalo", "reject", times=1)  # not a Zalo user: permanent
    running.messages.set_mode("sms", "fail_temporary", times=2)  # the SMS provider fails twice, then works
    code = running.submit("1.000656", "037090000001").json()["code"]
    running.receive(code)
    wait_for(
        lambda: _by_channel(_timeline(running, code)).get("sms") == ["delivered"],
        60,
        interval=0.5,
        message="the SMS delivered (receipt taken)",
    )
    channels = _by_channel(_timeline(running, code))
    print(f"\n[channels/{running.backend}] timeline: {channels}")
    assert channels["email"] == ["sent"] and channels["zalo"] == ["permanent-failure"]
    assert any(code in m["subject"] for m in running.mails("an.nguyen@example.vn"))  # through real SMTP
    texts = [m for m in running.messages.listing("sms") if code in m["text"]]
    assert len(texts) == 1 and texts[0]["to"] == "0912345601" and texts[0]["status"] == "delivered"
    assert "Ho so" in texts[0]["text"] and "Hồ sơ" not in texts[0]["text"]  # sent without diacritics (GSM-7)
    assert running.messages.requests["sms"] >= 3  # two failures, then the accepted one


def test_a_notify_killed_during_retries_loses_no_notification(running):
    running.messages.set_mode("zalo", "down")
    running.messages.set_mode("sms", "down")
    code = running.submit("1.000656", "037090000001").json()["code"]
    running.receive(code)
    wait_for(
        lambda: "temporary-failure" in _by_channel(_timeline(running, code)).get("zalo", []),
        60,
        interval=0.5,
        message="a failed Zalo attempt",
    )
    running.platform.kill("notify")
    running.messages.set_mode("zalo", "ok")
    running.messages.set_mode("sms", "ok")
    running.platform.start("notify")
    wait_for(
        lambda: _by_channel(_timeline(running, code)).get("zalo") == ["delivered"],
        90,
        interval=0.5,
        message="the Zalo message delivered after the restart",
    )
    # Delivered once: the attempts cut off by the kill were not sent twice after the restart.
    assert len([m for m in running.messages.listing("zalo") if code in m["params"].get("text", "")]) == 1


def test_a_forged_receipt_is_refused(running):
    answer = running.session.post(
        f"{running.base_url}/api/v1/notifications/receipts",
        data=b'{"reference": "x", "status": "delivered"}',
        headers={"Content-Type": "application/json", "X-Sandbox-Signature": "0" * 64},
    )
    assert answer.status_code == 403 and answer.headers["Content-Type"] == "application/problem+json"

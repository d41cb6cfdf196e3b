"""Notify's pure rules: a notification's retries and final statuses, the phone provider's breaker and receipts
(domain/delivery.py), a webhook target's form and addresses, ids and secrets (domain/webhooks.py), template
subjects (domain/templates.py); and the settings adapter."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta, timezone

import pytest

from services.notify.adapters.settings import current
from services.notify.domain import delivery, webhooks
from services.notify.domain.templates import split_subject, version_of

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=timezone.utc)


def test_retry_waits_double_up_to_an_hour_and_a_cut_off_send_waits_30_seconds():
    assert [delivery.retry_wait("temporary-failure", n).total_seconds() for n in (0, 1, 2, 8, 9, 20)] == [
        0,
        20,
        40,
        2560,
        3600,
        3600,
    ]
    assert delivery.retry_wait("temporary-failure", 3, scale=0.5) == timedelta(seconds=40)
    assert delivery.retry_wait("sending", 5) == timedelta(seconds=30)


def test_final_statuses():
    assert delivery.failure_status("temporary-failure", delivery.MAX_ATTEMPTS - 2) == "temporary-failure"
    assert delivery.failure_status("temporary-failure", delivery.MAX_ATTEMPTS - 1) == "technical-failure"
    assert delivery.failure_status("permanent-failure", 0) == "permanent-failure"
    assert [delivery.smtp_failure(c) for c in (421, 450, 550, 554)] == ["temporary-failure"] * 2 + [
        "permanent-failure"
    ] * 2
    assert [delivery.provider_outcome(c) for c in (200, 202, 302, 400, 404, 429, 500, None)] == [
        "sent",
        "sent",
        "temporary-failure",
        "permanent-failure",
        "permanent-failure",
        "temporary-failure",
        "temporary-failure",
        "temporary-failure",
    ]


def test_the_breaker_opens_after_five_failures_in_a_row_and_closes_on_success():
    failures = 0
    for _ in range(delivery.BREAKER_FAILURES - 1):
        breaker = delivery.after_result(failures, False, NOW)
        failures = breaker.failures
        assert breaker.open_until is None and not breaker.close
    opened = delivery.after_result(failures, False, NOW, scale=0.5)
    assert opened.open_until == NOW + timedelta(seconds=delivery.BREAKER_PAUSE_SECONDS / 2)
    assert delivery.paused(opened.open_until, NOW) and not delivery.paused(
        opened.open_until, opened.open_until
    )
    assert delivery.after_result(opened.failures, True, NOW) == delivery.Breaker(0, None, close=True)


def test_receipts_are_signed_with_the_provider_key():
    body = '{"reference": "n-1", "status": "delivered"}'
    signature = hmac.new(b"key", body.encode(), hashlib.sha256).hexdigest()
    assert delivery.receipt_signed("key", body, signature)
    assert not delivery.receipt_signed("other", body, signature) and not delivery.receipt_signed(
        "key", body, None
    )
    assert delivery.receipt_status("delivered") == "delivered"
    assert delivery.receipt_status("failed") == delivery.receipt_status(None) == "permanent-failure"


def test_target_form_and_addresses():
    assert webhooks.target_host("https://Agency.example.vn/hook") == ("agency.example.vn", 443)
    assert webhooks.target_host("http://agency.example.vn:8080/hook") == ("agency.example.vn", 8080)
    assert webhooks.target_host("http://127.0.0.1:9/hook", [" 127.0.0.1 "]) is None
    assert webhooks.refuse_internal(["203.162.4.2", "203.162.4.1", "203.162.4.1"]) == [
        "203.162.4.1",
        "203.162.4.2",
    ]
    with pytest.raises(webhooks.TargetRefused, match="does not resolve"):
        webhooks.refuse_internal([])
    with pytest.raises(webhooks.TargetRefused, match="10.0.0.1"):
        webhooks.refuse_internal(["203.162.4.1", "10.0.0.1"])


def test_message_ids_and_secrets_in_force():
    assert webhooks.message_id("e-1", 0) == "e-1" and webhooks.message_id("e-1", 2) == "e-1.replay2"
    sub = {"secret": "new", "previous_secret": "old", "previous_valid_until": NOW + timedelta(seconds=1)}
    assert webhooks.secrets_in_force(sub, NOW) == ["new", "old"]
    assert webhooks.secrets_in_force(sub, NOW + timedelta(seconds=1)) == ["new"]
    assert webhooks.secrets_in_force({**sub, "previous_secret": None}, NOW) == ["new"]


def test_template_subjects():
    assert split_subject("t.vi", "{# subject: Hồ sơ {{ dossier_code }} #}\nKính gửi\n") == (
        "Hồ sơ {{ dossier_code }}",
        "Kính gửi\n",
    )
    with pytest.raises(ValueError, match="t.vi has no subject line"):
        split_subject("t.vi", "Kính gửi\n")
    assert version_of("dossier_received") == "dossier_received@1"
    assert version_of("dossier_received", short=True) == "dossier_received.sms@1"


def test_settings_are_read_from_the_environment_given():
    defaults = current({})
    assert (
        defaults.provider_url,
        defaults.phone_channels,
        defaults.sms_plain,
        defaults.quiet_hours,
        defaults.phone_per_hour,
        defaults.webhook_allowed_hosts,
    ) == ("", "sms", True, True, 10, ())
    assert "provider_key" not in repr(defaults)
    config = current(
        {
            "MESSAGE_PROVIDER_URL": "http://sms.example/",
            "NOTIFY_SMS_PLAIN": "0",
            "NOTIFY_QUIET_HOURS": "0",
            "WEBHOOK_ALLOWED_HOSTS": "a.example, ,b.example",
            "NOTIFY_RETRY_SCALE": "0.05",
        }
    )
    assert (config.provider_url, config.sms_plain, config.quiet_hours, config.retry_scale) == (
        "http://sms.example",
        False,
        False,
        0.05,
    )
    assert config.webhook_allowed_hosts == ("a.example", "b.example")

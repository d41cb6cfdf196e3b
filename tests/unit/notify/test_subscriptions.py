"""Subscription creation with worker_factory: an Idempotency-Key makes a retried create act once, and the kept
answer never holds the secret."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.chassis.errors import Conflict
from services.notify.adapters import storage
from services.notify.service import NotifyService
from tests.support import FakeDatabase

HOOK = {"url": "http://127.0.0.1:9/hook", "event_types": ["motcua.workflow.v1.DossierStatusChanged"]}


@pytest.fixture
def notify(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    return worker_factory(
        NotifyService,
        db=FakeDatabase(storage.metadata),
        settings=SimpleNamespace(public_url="http://127.0.0.1:9", mail_from="x@y"),
    )


def test_a_subscription_created_again_with_the_same_key_is_created_once(notify):
    first = notify.create_subscription("000.00.15.H41", HOOK, "sub-key-1")
    again = notify.create_subscription("000.00.15.H41", HOOK, "sub-key-1")
    assert "replayed" not in first and again == {**first, "replayed": True}
    assert len(notify.list_subscriptions("000.00.15.H41")) == 1
    [kept] = notify.db.rows("idempotency_keys")
    assert first["secret"] not in kept["response"]  # the secret lives in the subscription only


def test_a_replay_after_a_rotation_shows_the_secret_in_force(notify):
    first = notify.create_subscription("000.00.15.H41", HOOK, "sub-key-1")
    rotated = notify.rotate_secret("000.00.15.H41", first["id"], 60)
    assert notify.create_subscription("000.00.15.H41", HOOK, "sub-key-1")["secret"] == rotated["secret"]


def test_the_same_key_for_another_subscription_is_refused(notify):
    notify.create_subscription("000.00.15.H41", HOOK, "sub-key-1")
    with pytest.raises(Conflict) as refused:
        notify.create_subscription("000.00.15.H41", {**HOOK, "units": ["000.31.01.H41"]}, "sub-key-1")
    assert refused.value.code == "idempotency_key_reused"
    assert len(notify.db.rows("subscriptions")) == 1


def test_agencies_keys_are_their_own(notify):
    mine = notify.create_subscription("000.00.15.H41", HOOK, "sub-key-1")
    theirs = notify.create_subscription("000.00.07.H41", HOOK, "sub-key-1")
    assert "replayed" not in theirs and theirs["id"] != mine["id"] and theirs["secret"] != mine["secret"]
    assert len(notify.db.rows("subscriptions")) == 2

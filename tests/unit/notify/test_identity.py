"""Stable wire identities of notifications (services/notify/domain/identity.py)."""

from __future__ import annotations

import email.utils
import uuid

import pytest

from services.notify.domain import identity


def test_the_message_id_depends_only_on_the_notification_and_the_domain():
    note = str(uuid.uuid4())
    first = identity.message_id(note, "motcua.example.vn")
    assert (
        first == identity.message_id(note, "motcua.example.vn") == f"<notification.{note}@motcua.example.vn>"
    )
    assert identity.message_id(str(uuid.uuid4()), "motcua.example.vn") != first
    assert identity.message_id(note, "other.example.vn") != first
    # A mail client parses it as one msg-id: angle brackets, local part @ domain.
    assert email.utils.unquote(first).split("@") == [f"notification.{note}", "motcua.example.vn"]


def test_the_domain_is_configured_or_taken_from_the_sender():
    assert identity.message_id_domain(" Mail.Example.VN ", "motcua@localhost") == "mail.example.vn"
    assert identity.message_id_domain("", "motcua@quangngai.gov.vn") == "quangngai.gov.vn"
    assert identity.message_id_domain("", "") == identity.DEFAULT_DOMAIN
    assert identity.message_id_domain("", "not an address") == identity.DEFAULT_DOMAIN


@pytest.mark.parametrize("bad", ["a b.vn", "<x>", "exa@mple.vn", "-bad.vn", "x..vn"])
def test_a_domain_that_cannot_stand_in_a_header_is_refused(bad):
    with pytest.raises(ValueError):
        identity.message_id_domain(bad)
    with pytest.raises(ValueError):
        identity.message_id(str(uuid.uuid4()), bad)


@pytest.mark.parametrize("bad", ["", "a>b", "x y", "<id>"])
def test_a_notification_id_that_cannot_stand_in_a_header_is_refused(bad):
    with pytest.raises(ValueError):
        identity.message_id(bad, "motcua.local")
    with pytest.raises(ValueError):
        identity.provider_reference(bad)


def test_the_provider_reference_is_the_notification_id_its_receipts_name():
    note = str(uuid.uuid4())
    assert identity.provider_reference(note) == identity.provider_reference(note) == note

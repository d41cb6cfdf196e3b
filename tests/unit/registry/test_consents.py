"""Registry consent entrypoint with worker_factory: an Idempotency-Key makes a retried grant act once."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.chassis.errors import Conflict, InvalidInput
from services.registry.adapters import storage
from services.registry.service import RegistryService
from tests.support import FakeDatabase

AN, BINH = "037090000001", "037185000002"


@pytest.fixture
def registry():
    service = worker_factory(
        RegistryService,
        db=FakeDatabase(storage.metadata),
        settings=SimpleNamespace(applicant_ref_key="unit-test-secret"),
    )
    with service.db.unit() as uow:
        for id_number, name in ((AN, "Nguyễn Văn An"), (BINH, "Trần Thị Bình")):
            storage.upsert_person(
                uow.session,
                {
                    "id_number": id_number,
                    "full_name": name,
                    "birth_date": date(1990, 1, 1),
                    "sex": "male",
                    "address_unit_code": "NB.HL.NT",
                },
            )
    return service


def _grant(**changes) -> dict:
    return {
        "agency_code": "000.00.15.H41",
        "category": "contact",
        "purpose": "verification",
        "valid_until": (datetime.now(timezone.utc) + timedelta(days=30)).replace(microsecond=0).isoformat(),
        **changes,
    }


def test_a_consent_granted_again_with_the_same_key_is_granted_once(registry):
    request = _grant()
    first = registry.grant_consent(AN, request, "consent-key-1")
    again = registry.grant_consent(AN, request, "consent-key-1")
    assert "replayed" not in first and again == {**first, "replayed": True}
    assert len(registry.db.rows("consents")) == 1 and len(registry.list_consents(AN)) == 1


def test_the_same_key_for_another_consent_is_refused(registry):
    registry.grant_consent(AN, _grant(), "consent-key-1")
    with pytest.raises(Conflict) as refused:
        registry.grant_consent(AN, _grant(category="address"), "consent-key-1")
    assert refused.value.code == "idempotency_key_reused" and len(registry.db.rows("consents")) == 1


def test_citizens_keys_are_their_own(registry):
    mine = registry.grant_consent(AN, _grant(), "consent-key-1")
    theirs = registry.grant_consent(BINH, _grant(), "consent-key-1")
    assert "replayed" not in theirs and theirs["id"] != mine["id"]
    assert len(registry.list_consents(AN)) == 1 and len(registry.list_consents(BINH)) == 1


def test_without_a_key_every_grant_is_new_and_long_keys_are_refused(registry):
    registry.grant_consent(AN, _grant())
    registry.grant_consent(AN, _grant())
    assert len(registry.db.rows("consents")) == 2
    with pytest.raises(InvalidInput):
        registry.grant_consent(AN, _grant(), "k" * 101)
    assert len(registry.db.rows("consents")) == 2 and registry.db.rows("idempotency_keys") == []

"""Consent rules in plain Python (domain/consent.py, domain/person.py, domain/documents.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from services.registry.domain import consent, documents, person
from services.registry.domain.consent import Consent, InvalidGrant, parse_grant

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)
AGENCY = "000.00.15.H41"
GIVEN = Consent(1, AGENCY, "contact", "verification", NOW + timedelta(days=1), None)


def test_a_read_needs_a_consent_in_force_for_that_agency_category_and_purpose():
    assert consent.for_read([GIVEN], True, AGENCY, "contact", "verification", NOW) == (GIVEN, "")
    for agency, category, purpose, at in (
        (AGENCY, "address", "verification", NOW),
        ("other", "contact", "verification", NOW),
        (AGENCY, "contact", "statistics", NOW),
        (AGENCY, "contact", "verification", NOW + timedelta(days=1)),
    ):
        assert consent.for_read([GIVEN], True, agency, category, purpose, at) == (None, "no consent")
    revoked = Consent(2, AGENCY, "contact", "verification", NOW + timedelta(days=1), NOW)
    assert consent.for_read([revoked], True, AGENCY, "contact", "verification", NOW) == (None, "no consent")


def test_a_consent_does_not_outlive_its_person():
    read = consent.for_read([GIVEN], False, AGENCY, "contact", "verification", NOW)
    assert read == (None, "unknown person")


def test_a_grant_is_parsed_with_its_zone_and_must_end_in_the_future():
    asked = parse_grant(
        {
            "agency_code": AGENCY,
            "category": "contact",
            "purpose": "verification",
            "valid_until": "2027-01-01T00:00:00Z",
        },
        NOW,
    )
    assert asked.valid_until == datetime(2027, 1, 1, tzinfo=timezone.utc) and asked.agency_code == AGENCY


@pytest.mark.parametrize(
    "request_, message",
    [
        ([], "Cần một đối tượng JSON."),
        ({"valid_until": "tomorrow"}, "valid_until phải là thời điểm ISO 8601."),
        ({"valid_until": "2027-01-01T00:00:00"}, "valid_until cần múi giờ."),
        (
            {
                "agency_code": "",
                "category": "contact",
                "purpose": "verification",
                "valid_until": "2027-01-01T00:00:00Z",
            },
            "Cần agency_code, category và purpose hợp lệ.",
        ),
        (
            {
                "agency_code": AGENCY,
                "category": "contact",
                "purpose": "verification",
                "valid_until": "2026-12-07T02:00:00Z",
            },
            "Thời hạn đồng ý phải ở tương lai.",
        ),
    ],
)
def test_a_bad_grant_is_refused_with_its_reason(request_, message):
    with pytest.raises(InvalidGrant) as refused:
        parse_grant(request_, NOW)
    assert refused.value.message == message


def test_each_category_discloses_its_own_fields_only():
    row = {
        "id_number": "037090000001",
        "full_name": "An",
        "birth_date": date(1990, 3, 12),
        "sex": "male",
        "address_unit_code": "NB",
        "address_line": "1 Phố",
        "email": "a@b.vn",
        "phone": "0912",
        "language": "vi",
    }
    assert person.disclosed(row, ("address",)) == {
        "id_number": "037090000001",
        "address_unit_code": "NB",
        "address_line": "1 Phố",
    }
    assert person.disclosed(row, person.ALL)["birth_date"] == "1990-03-12"


def test_a_document_expiring_today_is_still_valid():
    docs = [
        {"id": "a", "expires_on": date(2026, 12, 7)},
        {"id": "b", "expires_on": date(2026, 12, 6)},
        {"id": "c", "expires_on": None},
    ]
    assert documents.expired(docs, date(2026, 12, 7)) == ["b"]

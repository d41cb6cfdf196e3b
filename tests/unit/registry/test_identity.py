"""ID number structure and the registry's get_person entrypoint."""

from datetime import date
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nameko.testing.services import worker_factory

from devtools.demo import DEMO_PERSONS
from services.chassis.errors import InvalidInput, NotFound
from services.registry.adapters import storage
from services.registry.domain.identity import PROVINCE_CODES, InvalidIdNumber, check_id_number
from services.registry.service import RegistryService
from tests.support import AUDIT_SECRET, FakeDatabase

TODAY = date(2026, 11, 22)


def test_structure_decoded():
    info = check_id_number("037090000001", TODAY)
    assert (info.province_code, info.sex, info.birth_year) == ("037", "male", 1990)
    assert check_id_number("001178000004", TODAY).sex == "female"
    assert check_id_number("037201000003", TODAY).birth_year == 2001


@pytest.mark.parametrize(
    "value,reason",
    [
        ("03709000001", "format"),
        ("0370900000011", "format"),
        ("03709000000a", "format"),
        ("", "format"),
        ("003090000001", "province_code"),
        ("999090000001", "province_code"),
        ("037299000001", "birth_year"),  # born in 2099
    ],
)
def test_broken_numbers_refused_with_reason(value, reason):
    with pytest.raises(InvalidIdNumber) as err:
        check_id_number(value, TODAY)
    assert err.value.reason == reason


@given(
    province=st.sampled_from(sorted(PROVINCE_CODES)),
    century=st.sampled_from("0123"),
    yy=st.integers(0, 99),
    rest=st.integers(0, 999_999),
)
def test_every_well_formed_past_number_is_accepted(province, century, yy, rest):
    value = f"{province}{century}{yy:02d}{rest:06d}"
    year = (1900 if century in "01" else 2000) + yy
    if year > TODAY.year:
        with pytest.raises(InvalidIdNumber):
            check_id_number(value, TODAY)
    else:
        assert check_id_number(value, TODAY).birth_year == year


@pytest.fixture
def registry():
    db = FakeDatabase(storage.metadata)
    with db.unit() as uow:
        for person in DEMO_PERSONS:
            storage.upsert_person(uow.session, dict(person))
    return worker_factory(RegistryService, db=db, settings=SimpleNamespace(applicant_ref_key=AUDIT_SECRET))


def test_get_person_returns_what_the_state_holds(registry):
    person = registry.get_person("037090000001")
    assert person["full_name"] == "Nguyễn Văn An"
    assert person["address_unit_code"] == "NB.HL.NT"
    assert person["birth_date"] == "1990-03-12"


def test_get_person_refuses_malformed_and_unknown(registry):
    with pytest.raises(InvalidInput) as err:
        registry.get_person("999090000001")
    assert err.value.code == "invalid_id_number"
    with pytest.raises(NotFound):
        registry.get_person("037090999999")


def test_reads_made_for_an_officer_are_logged_for_any_number_the_platform_holds(registry):
    """record_reads logs what intake's queue search read: numbers intake took (checked in full then). One whose
    province code the list does not hold (here the generator's reserved 000) is still logged; a string without
    the form of an ID number is refused and nothing is logged."""
    reads = [{"id_number": "000000000417", "dossier_code": "GEN-1"}, {"id_number": "037090000001"}]
    assert registry.record_reads(reads, "officer-1", "identity", "queue_search")["recorded"] == 2
    with registry.db.unit() as uow:
        logged = storage.access_log_of(uow.session, "000000000417", 10)
    assert [e["dossier_code"] for e in logged] == ["GEN-1"]
    for bad in ("12345", "03709000000a", ""):
        with pytest.raises(InvalidInput) as err:
            registry.record_reads([{"id_number": bad}], "officer-1", "identity", "queue_search")
        assert err.value.code == "invalid_id_number"
    assert len(registry.access_log("037090000001")) == 1

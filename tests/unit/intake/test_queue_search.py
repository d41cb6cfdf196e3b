"""The work queue's search by applicant in intake (worker_factory on SQLite), with the registry's access log as a
real registry worker keeps it: name words without diacritics, ID number, phone in any form; only among the given
agencies' dossiers; every match logged for its citizen; the migration gives older dossiers their terms too."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from services.chassis.errors import Forbidden, InvalidInput
from services.chassis.migrate import alembic_config, ensure_database, upgrade
from services.intake.domain import search
from tests.unit.intake.test_service import PERSON, ROUTE, _Reply, intake_worker
from tests.unit.registry.test_reads import AN, BINH, _registry

JUSTICE = "000.00.07.H41"
OFFICER = {"subject": "leader-1", "kind": "officer", "unit": JUSTICE, "roles": ["leader"]}
BINH_PERSON = {**PERSON, "id_number": BINH, "full_name": "Trần Thị Bình", "phone": "+84 912 345 602"}


@pytest.fixture
def desk():
    intake, registry = intake_worker(), _registry()
    people = {AN: PERSON, BINH: BINH_PERSON}
    intake.registry.get_person.call_async.side_effect = lambda id_number, *a: _Reply(people[id_number])
    intake.registry.record_reads.call_async.side_effect = lambda *a: _Reply(registry.record_reads(*a))
    filed = {}
    for id_number in (AN, BINH, AN):
        answer = intake.submit_dossier(
            {"procedure_code": "1.000656", "applicant": {"id_number": id_number}},
            {"subject": id_number, "kind": "citizen"},
        )
        filed.setdefault(id_number, []).append(answer["code"])
    return intake, registry, filed


def test_terms_and_queries_in_every_form():
    assert search.terms_for("Nguyễn Văn Đức", "037090000001", "+84 912-345-601") == [
        "n:nguyen",
        "n:van",
        "n:duc",
        "i:037090000001",
        "p:0912345601",
    ]
    assert search.parse("  VĂN  nguyễn ") == search.Query("name", ("n:van", "n:nguyen"))
    assert search.parse("037 090 000 001").terms == ("i:037090000001",)
    assert search.parse("84912345601") == search.Query("phone", ("p:0912345601",))
    for code_like in ("000.00.07.H41-261008-0975", "0975", "H41"):
        assert search.parse(code_like).terms == (), code_like
    assert search.parse("a b c d e f g").kind == "none"  # too many words to be a name
    assert search.masked_id("037090000001") == "********0001" and search.masked_id("12") == "**"


def test_found_by_name_id_or_phone_and_each_match_logged(desk):
    intake, registry, filed = desk
    by_name = intake.find_dossiers("van an", [JUSTICE], OFFICER)
    assert by_name["kind"] == "name" and sorted(by_name["codes"]) == sorted(filed[AN])
    assert intake.find_dossiers("NGUYEN VAN AN", [JUSTICE], OFFICER)["codes"] == by_name["codes"]
    assert intake.find_dossiers(AN, [JUSTICE], OFFICER)["codes"] == by_name["codes"]
    assert intake.find_dossiers("0912.345.602", [JUSTICE], OFFICER)["codes"] == filed[BINH]
    assert intake.find_dossiers("Nguyễn Thị Bình", [JUSTICE], OFFICER)["codes"] == []  # every word must match
    # The citizen sees who searched for them, by what, for which dossier.
    log = registry.access_log(AN)
    assert len(log) == 6 and {e["dossier_code"] for e in log} == set(filed[AN])
    assert {e["requester"] for e in log} == {f"leader-1@{JUSTICE}"} and {e["category"] for e in log} == {
        "identity"
    }
    assert [e["category"] for e in registry.access_log(BINH)] == ["contact"]
    assert any(r["action"] == "personal_data.read" for r in registry.db.rows("audit_log"))


def test_only_among_the_agencies_asked_and_only_for_officers(desk):
    intake, registry, _ = desk
    assert intake.find_dossiers(AN, ["000.31.01.H41"], OFFICER)["codes"] == []
    assert intake.find_dossiers("0975", [JUSTICE], OFFICER) == {
        "codes": [],
        "kind": "none",
        "truncated": False,
    }
    assert registry.access_log(AN) == []  # nothing matched, nothing read
    for who in ({"subject": AN, "kind": "citizen"}, {"subject": "x", "kind": "agency", "unit": JUSTICE}):
        with pytest.raises(Forbidden):
            intake.find_dossiers(AN, [JUSTICE], who)
        with pytest.raises(Forbidden):
            intake.applicants([], who)


def test_a_search_the_registry_cannot_log_is_not_answered(desk):
    intake, _, _ = desk
    intake.registry.record_reads.call_async.side_effect = lambda *a: _Reply(InvalidInput("invalid_request"))
    with pytest.raises(InvalidInput):
        intake.find_dossiers(AN, [JUSTICE], OFFICER)


def test_applicants_of_a_page_masked_without_phone(desk):
    intake, _, filed = desk
    answer = intake.applicants([*filed[AN], "NO-SUCH-CODE"], OFFICER)
    assert set(answer) == set(filed[AN])
    assert answer[filed[AN][0]] == {"full_name": "Nguyễn Văn An", "id_number_masked": "********0001"}


def test_the_migration_gives_older_dossiers_their_terms(tmp_path):
    url = f"sqlite:///{tmp_path}/intake.db"
    ensure_database(url)
    command.upgrade(alembic_config("intake", url), "0004")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO dossiers (code, procedure_code, procedure_version, receiving_agency_code, "
                "applicant_id_number, applicant_ref, applicant_name, applicant_unit_code, contact_email, "
                "contact_phone, language, channel, form_data, submitted_by, submitted_at) VALUES (:code, "
                "'1.000656', 1, :agency, :id, 'ref', 'Lê Minh Châu', 'NB.HL.NT', '', '0912345603', 'vi', "
                "'online', '{}', :id, '2026-12-01 01:00:00')"
            ),
            {"code": f"{JUSTICE}-261201-0001", "agency": JUSTICE, "id": "037201000003"},
        )
    upgrade("intake", url)
    with engine.connect() as conn:
        terms = set(conn.execute(text("SELECT term FROM dossier_search_terms")).scalars())
    engine.dispose()
    assert terms == {"n:le", "n:minh", "n:chau", "i:037201000003", "p:0912345603"}
    assert ROUTE["receiving_agency_code"] == JUSTICE

"""The generated data of `make demo-data` at small scale (devtools/demo_data.py): the counts asked for, every
generated name and code marked, no ID number a person could hold, dossiers consistent across the three services'
databases, and the same data for the same seed."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import create_engine, func, select

from devtools import demo_data
from services.intake.adapters import storage as intake_db
from services.payment.adapters import storage as payment_db
from services.registry.domain.identity import InvalidIdNumber, check_id_number
from services.workflow.adapters import datafiles
from services.workflow.adapters import storage as workflow_db

DOSSIERS = 1500
METADATA = {"intake": intake_db.metadata, "workflow": workflow_db.metadata, "payment": payment_db.metadata}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """One small run into fresh SQLite databases: its manifest, output folder and an engine per service."""
    tmp = tmp_path_factory.mktemp("demo-data")
    engines = {}
    for service, metadata in METADATA.items():
        engines[service] = create_engine(f"sqlite:///{tmp}/{service}.db")
        metadata.create_all(engines[service])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite:///{tmp}/{{service}}.db")
        patch.setenv("MOTCUA_ENV", "local")
        manifest = demo_data.generate("small", tmp / "out", seed=7, replace=False, dossiers=DOSSIERS)
    yield manifest, tmp / "out", engines
    for engine in engines.values():
        engine.dispose()


def rows(engine, table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def test_counts_are_the_scale_asked_for(generated):
    manifest, out, engines = generated
    assert (manifest["procedures"], manifest["officers"], manifest["dossiers"]) == (40, 60, DOSSIERS)
    assert len(datafiles.load_procedures(out / "catalogue" / "procedures.yaml")) == 40
    assert len(json.loads((out / "officers.json").read_text())["officers"]) == 60
    with engines["intake"].connect() as conn:
        assert conn.execute(select(func.count()).select_from(intake_db.dossiers)).scalar() == DOSSIERS
    intake_codes = {r["code"] for r in rows(engines["intake"], intake_db.dossiers)}
    case_codes = {r["dossier_code"] for r in rows(engines["workflow"], workflow_db.cases)}
    assert intake_codes == case_codes
    paid_for = {r["dossier_code"] for r in rows(engines["payment"], payment_db.payments)}
    assert paid_for and paid_for <= case_codes


def test_every_generated_name_and_code_is_marked(generated):
    _, out, engines = generated
    mark = demo_data.GENERATED_MARK
    for procedure in datafiles.load_procedures(out / "catalogue" / "procedures.yaml").values():
        assert procedure.code.startswith(demo_data.GENERATED_CODE_PREFIX)
        assert all(name.startswith(mark) for name in procedure.name.values())
        assert all(doc["name"]["vi"].startswith(mark) for doc in procedure.documents)
    for officer in json.loads((out / "officers.json").read_text())["officers"]:
        assert officer["full_name"].startswith(mark) and officer["generated"] is True
        assert officer["subject"].startswith(demo_data.OFFICER_PREFIX)
        assert officer["email"].endswith("@" + demo_data.EMAIL_DOMAIN)
    territory = datafiles.load_territory(out / "catalogue" / "units-2level.yaml")
    real = datafiles.load_territory(demo_data.PROVINCE_FILE)
    added = set(territory.agencies) - set(real.agencies)
    assert added == {demo_data.LAND_REGISTRY}
    assert territory.agencies[demo_data.LAND_REGISTRY].name.startswith(mark)
    assert territory.units == real.units  # the real units, unchanged
    for dossier in rows(engines["intake"], intake_db.dossiers):
        assert dossier["applicant_name"].startswith(mark)
        assert dossier["procedure_code"].startswith(demo_data.GENERATED_CODE_PREFIX)
        assert dossier["contact_email"].endswith(".invalid")
        assert json.loads(dossier["form_data"]) == {"generated": True}


def test_no_id_number_a_person_could_hold(generated):
    _, _, engines = generated
    dossiers = rows(engines["intake"], intake_db.dossiers)
    for dossier in dossiers:
        number = dossier["applicant_id_number"]
        assert number.startswith(demo_data.GENERATED_ID_PREFIX) and len(number) == 12
        with pytest.raises(InvalidIdNumber):  # province code 000 does not exist: never a real person's number
            check_id_number(number, date.today())
        assert dossier["contact_phone"].startswith(demo_data.GENERATED_PHONE_PREFIX)


def test_cases_follow_the_process_and_the_routing(generated):
    _, out, engines = generated
    territory = datafiles.load_territory(out / "catalogue" / "units-2level.yaml")
    states = set(datafiles.load_process(demo_data.DATA / "processes" / "standard.yaml").states)
    cases = rows(engines["workflow"], workflow_db.cases)
    statuses = {c["status"] for c in cases}
    assert statuses <= states and {"returned", "in_progress", "submitted"} <= statuses
    for case in cases:
        assert case["agency_code"] in territory.agencies
        assert case["dossier_code"].startswith(case["receiving_agency_code"] + "-")
        assert (case["received_at"] is None) == (case["due_at"] is None)
        if case["status"] == "returned":
            assert (
                case["outcome"] in ("early", "on_time", "late") and case["finished_at"] >= case["received_at"]
            )
    seqs: dict[str, list[int]] = {}
    for action in rows(engines["workflow"], workflow_db.case_actions):
        seqs.setdefault(action["dossier_code"], []).append(action["seq"])
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in seqs.values())


def test_the_same_seed_gives_the_same_catalogue_and_officers(generated, tmp_path):
    _, out, _ = generated
    again = tmp_path / "again"
    procedures = demo_data.write_catalogue(again, 40, demo_data.Random(7))
    assert (again / "catalogue" / "procedures.yaml").read_text() == (
        out / "catalogue" / "procedures.yaml"
    ).read_text()
    territory = datafiles.load_territory(again / "catalogue" / "units-2level.yaml")
    people = demo_data.officers(territory, 60, demo_data.Random(8))
    assert people == json.loads((out / "officers.json").read_text())["officers"]
    assert len(procedures) == 40


def test_every_dossier_is_found_by_its_applicant_as_intake_indexes_it(generated):
    """The officers' search (by name, ID number, phone) must find generated dossiers as it finds filed ones: the
    terms are intake's own (services/intake/domain/search.py), under the agency that received the dossier."""
    from services.intake.domain import search

    _, _, engines = generated
    dossiers = rows(engines["intake"], intake_db.dossiers)
    terms = rows(engines["intake"], intake_db.dossier_search_terms)
    by_code: dict[str, set] = {}
    for t in terms:
        by_code.setdefault(t["dossier_code"], set()).add((t["term"], t["agency_code"]))
    assert len(by_code) == len(dossiers)
    for d in dossiers[:200]:
        wanted = search.terms_for(d["applicant_name"], d["applicant_id_number"], d["contact_phone"])
        # An ID number and a phone both indexable (a phone intake would not index would hide a bug here).
        assert sum(w.startswith(("i:", "p:")) for w in wanted) == 2
        assert by_code[d["code"]] == {(w, d["receiving_agency_code"]) for w in wanted}

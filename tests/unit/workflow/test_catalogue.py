"""Catalogue files: validated at load with errors naming file and problem; routing in both unit models."""

from pathlib import Path

import pytest

from services.chassis.yamlfile import DataFileError
from services.workflow.adapters.datafiles import load_procedures, load_territory
from services.workflow.dependencies import DATA_DIR
from services.workflow.domain.catalogue import CatalogueError


@pytest.fixture(scope="module")
def procedures():
    return load_procedures(DATA_DIR / "procedures.yaml")


def test_demo_catalogue_loads_with_at_least_three_procedures(procedures):
    assert len({code for code, _ in procedures}) >= 3
    for procedure in procedures.values():
        assert procedure.name["vi"]
        assert procedure.online_mode in {"full", "partial"}


@pytest.mark.parametrize(
    "model,expected",
    [
        (
            "units-2level.yaml",
            {"1.001193": "000.31.01.H41", "1.000656": "000.00.07.H41", "1.004227": "000.31.01.H41"},
        ),
        (
            "units-3level.yaml",
            {"1.001193": "000.20.31.H41", "1.000656": "000.00.07.H41", "1.004227": "000.20.00.H41"},
        ),
    ],
)
def test_competent_agency_by_level_in_each_model(procedures, model, expected):
    territory = load_territory(DATA_DIR / model)
    for code, agency_code in expected.items():
        agency = territory.competent_agency(procedures[(code, 1)], "NB.HL.NT")
        assert agency is not None and agency.code == agency_code


def test_unroutable_dossier_gets_no_agency(procedures):
    territory = load_territory(DATA_DIR / "units-2level.yaml")
    assert (
        territory.competent_agency(procedures[("1.001193", 1)], "NB") is None
    )  # no commune above a province


@pytest.mark.parametrize(
    "text,problem",
    [
        ("procedures: [{code: X}]", "'version' is required"),
        (
            "procedures:\n  - {code: X, version: 1, name: {vi: a}, competent_levels: [commune], agency_kind: k,"
            " online_mode: sometimes, processing_days: 1}",
            "online_mode",
        ),
        (
            "procedures:\n  - {code: X, version: 1, name: {vi: a}, competent_levels: [commune], agency_kind: k,"
            " online_mode: full, processing_days: -3}",
            "processing_days",
        ),
        (
            "procedures:\n  - {code: X, version: 1, name: {vi: a}, competent_levels: [commune], agency_kind: k,"
            " online_mode: full, processing_days: 1, receipt: yes}",
            "receipt must be one of",
        ),
    ],
)
def test_bad_procedure_file_refused_naming_file_and_problem(tmp_path: Path, text, problem):
    path = tmp_path / "procedures.yaml"
    path.write_text(text)
    with pytest.raises(CatalogueError) as err:
        load_procedures(path)
    assert str(path) in str(err.value) and problem in str(err.value)


def test_a_file_that_is_not_yaml_is_refused_naming_file_and_line(tmp_path: Path):
    path = tmp_path / "procedures.yaml"
    path.write_text("procedures: [unclosed")
    with pytest.raises(DataFileError) as err:
        load_procedures(path)
    assert str(path) in str(err.value) and "line 1" in str(err.value) and "not valid YAML" in str(err.value)


def test_bad_units_file_refused(tmp_path: Path):
    path = tmp_path / "units.yaml"
    path.write_text("levels: [province, commune]\nunits:\n  - {code: A, name: a, level: district}\n")
    with pytest.raises(CatalogueError) as err:
        load_territory(path)
    assert "units.yaml" in str(err.value) and "district" in str(err.value)


GOOD_PROCESS = """
name: p
initial: a
terminal: [z]
states: {a: {vi: A}, b: {vi: B}, z: {vi: Z}}
roles: {receiver: {vi: Một cửa, kind: officer}, leader: {vi: Lãnh đạo, kind: officer}}
actions:
  go: {from: [a], to: b, roles: [receiver], label: {vi: Đi}}
  end: {from: [b], to: z, roles: [leader], label: {vi: Hết}}
"""


@pytest.mark.parametrize(
    "change,problem",
    [
        (("roles: [leader], label", "roles: [], label"), "has no role"),
        (("terminal: [z]", "terminal: []"), "no terminal states"),
        (("terminal: [z]", "terminal: [y]"), "terminal state 'y'"),
        (("go: {from: [a], to: b", "go: {from: [a], to: q"), "to-state 'q' does not exist"),
        (("end: {from: [b], to: z", "end: {from: [z], to: b"), "leaves terminal"),
        (("b: {vi: B}, z", "b: {vi: B}, c: {vi: C}, z"), "not reachable"),
        (("roles: [receiver]", "roles: [janitor]"), "unknown roles"),
        ((", label: {vi: Hết}", ""), "action end: label {vi, en} is required"),
        (("kind: officer}}", "kind: janitor}}"), "role leader: kind must be one of"),
        (("roles: {receiver", "rolez: {receiver"), "'roles' is required"),
    ],
)
def test_bad_process_definition_refused_naming_file_and_problem(tmp_path: Path, change, problem):
    from services.workflow.adapters.datafiles import load_process
    from services.workflow.domain.process import ProcessError

    path = tmp_path / "broken.yaml"
    path.write_text(GOOD_PROCESS.replace(*change))
    with pytest.raises(ProcessError) as err:
        load_process(path)
    assert "broken.yaml" in str(err.value) and problem in str(err.value)


def test_good_process_definition_loads(tmp_path: Path):
    from services.workflow.adapters.datafiles import load_process

    path = tmp_path / "ok.yaml"
    path.write_text(GOOD_PROCESS)
    assert set(load_process(path).actions) == {"go", "end"}


def test_chain_budgets_must_add_up(tmp_path: Path):
    path = tmp_path / "procedures.yaml"
    path.write_text(
        "procedures:\n  - {code: X, version: 1, name: {vi: a}, competent_levels: [commune], agency_kind: k,"
        " online_mode: full, processing_days: 5, chain: [{level: commune, kind: k, days: 2}]}\n"
    )
    with pytest.raises(CatalogueError) as err:
        load_procedures(path)
    assert "add up to 2 days" in str(err.value)


def test_receipt_is_by_an_officer_unless_the_procedure_says_automatic(tmp_path: Path):
    path = tmp_path / "procedures.yaml"
    base = (
        "  - {code: %s, version: 1, name: {vi: a}, competent_levels: [commune], agency_kind: k,"
        " online_mode: full, processing_days: 1%s}\n"
    )
    path.write_text("procedures:\n" + base % ("A", "") + base % ("B", ", receipt: automatic"))
    loaded = load_procedures(path)
    assert loaded[("A", 1)].receipt == "officer" and loaded[("B", 1)].receipt == "automatic"
    assert loaded[("B", 1)].to_dict()["receipt"] == "automatic"


def test_the_process_vocabulary_names_every_state_action_and_role_in_both_languages():
    """One source for the words: what the gateway shows comes from the process definition (workflow RPC)."""
    from nameko.testing.services import worker_factory

    from services.workflow.service import Catalogue, WorkflowService

    catalogue = Catalogue()
    catalogue.setup()
    vocabulary = worker_factory(WorkflowService, catalogue=catalogue).process_vocabulary()
    standard = vocabulary["processes"]["standard"]
    assert standard["actions"]["refuse_receipt"]["label"] == {
        "vi": "Từ chối tiếp nhận",
        "en": "Refuse receipt",
    }
    assert standard["actions"]["refuse_receipt"]["reason"] is True
    assert standard["statuses"]["awaiting_supplement"] == {"vi": "Chờ bổ sung", "en": "Awaiting supplement"}
    assert {k for k, v in vocabulary["roles"].items() if v["kind"] == "officer"} == {
        "receiver",
        "handler",
        "leader",
        "admin",
    }
    assert vocabulary["records"]["fee_paid"]["vi"] == "Đã nộp phí, lệ phí"
    for action in standard["actions"].values():
        assert (
            action["label"]["vi"]
            and action["label"]["en"]
            and set(action["roles"]) <= set(vocabulary["roles"])
        )

"""The real Ninh Bình data (services/workflow/data/provinces/ninh-binh-2025.yaml) loads with the project's loader and
agrees with its sources. The expected numbers below are copied from the sources the file's header names, not from
the file: 129 commune-level units, 97 xã and 32 phường, province code 37 (the stored page that quotes Decision
19/2025/QĐ-TTg, Appendix II, for the units Resolution 1674/NQ-UBTVQH15 formed), and the 12 specialised agencies
every province organises (Decree 45/2025/NĐ-CP art. 8; Decree 150/2025/NĐ-CP)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

from services.workflow.adapters.datafiles import load_procedures, load_territory

DATA = Path(__file__).resolve().parents[3] / "services" / "workflow" / "data"
FILE = DATA / "provinces" / "ninh-binh-2025.yaml"

PROVINCE_CODE = "37"
COMMUNE_LEVEL_UNITS = 129
XA = 97
PHUONG = 32

# The codes and names shown whole on https://thuviennhadat.vn/phap-ly-nha-dat/chot-ma-so-don-vi-hanh-chinh-cap-xa-
# tinh-ninh-binh-sau-sap-nhap-tinh-xa-2025-693746.html (Decision 19/2025/QĐ-TTg, Appendix II), in its spelling.
CODES_QUOTED = {
    "13285": "Phường Phủ Lý",
    "13291": "Phường Phù Vân",
    "13318": "Phường Châu Sơn",
    "13324": "Phường Duy Tiên",
    "13330": "Phường Duy Tân",
    "13336": "Phường Duy Hà",
    "13348": "Phường Đồng Văn",
    "13363": "Phường Tiên Sơn",
    "13366": "Phường Hà Nam",
    "13384": "Phường Kim Bảng",
    "13393": "Phường Lê Hồ",
    "13396": "Phường Nguyễn Úy",
    "13402": "Phường Kim Thanh",
    "13420": "Phường Tam Chúc",
    "13435": "Phường Lý Thường Kiệt",
    "13444": "Phường Liêm Tuyền",
    "13669": "Phường Nam Định",
    "13684": "Phường Thiên Trường",
    "13693": "Phường Đông A",
    "13699": "Phường Thành Nam",
}
# New units named in the part of Resolution 1674/NQ-UBTVQH15 that could be read (its first clauses).
NAMED_IN_RESOLUTION = {"Xã Bình Lục", "Xã Bình Mỹ"}

DEPARTMENT_KINDS = {
    "home_affairs",
    "justice",
    "finance",
    "industry_trade",
    "agriculture_environment",
    "construction",
    "science_technology",
    "culture_sports_tourism",
    "education_training",
    "health",
    "inspectorate",
    "ppc_office",
}


def fold(name: str) -> str:
    """A name without diacritics, lower case: "Nguyễn Úy" and "Nguyễn Uý" (tone mark placed differently) agree."""
    decomposed = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@pytest.fixture(scope="module")
def territory():
    return load_territory(FILE)


@pytest.fixture(scope="module")
def communes(territory):
    return [u for u in territory.units.values() if u.level == "commune"]


def test_one_province_formed_on_1_july_2025(territory):
    [province] = [u for u in territory.units.values() if u.level == "province"]
    assert (province.code, province.name, province.parent) == (PROVINCE_CODE, "Tỉnh Ninh Bình", None)
    assert territory.model == "2-level" and territory.levels == ("province", "commune")
    assert all(
        u.valid_from.isoformat() == "2025-07-01" and u.valid_to is None for u in territory.units.values()
    )


def test_commune_count_and_kinds_are_the_sources(communes):
    assert len(communes) == COMMUNE_LEVEL_UNITS
    kinds = Counter(u.name.split(" ", 1)[0] for u in communes)
    assert kinds == {"Xã": XA, "Phường": PHUONG}  # no đặc khu in Ninh Bình


def test_every_parent_exists_and_is_the_province(territory, communes):
    for unit in territory.units.values():
        assert unit.parent is None or unit.parent in territory.units
    assert {u.parent for u in communes} == {PROVINCE_CODE}


def test_names_and_codes_are_unique_and_well_formed(communes):
    names = [unicodedata.normalize("NFC", u.name).casefold() for u in communes]
    assert len(set(names)) == len(names)
    assert len({fold(u.name) for u in communes}) == len(communes)
    for unit in communes:
        assert len(unit.code) == 5 and unit.code.isdigit(), unit.code
        assert unit.name == unit.name.strip() and "  " not in unit.name


def test_codes_match_the_quoted_appendix(territory):
    for code, name in CODES_QUOTED.items():
        assert fold(territory.units[code].name) == fold(name), code
    names = {u.name for u in territory.units.values()}
    assert NAMED_IN_RESOLUTION <= names


def test_every_commune_has_exactly_one_people_committee(territory, communes):
    committees = Counter(a.unit for a in territory.agencies.values() if a.kind == "people_committee")
    for unit in communes:
        assert committees[unit.code] == 1, unit.name
    assert committees[PROVINCE_CODE] == 1  # the provincial People's Committee


def test_departments_and_service_centre_of_the_province(territory):
    provincial = [a for a in territory.agencies.values() if a.unit == PROVINCE_CODE]
    kinds = Counter(a.kind for a in provincial)
    assert {k for k in kinds if k in DEPARTMENT_KINDS} == DEPARTMENT_KINDS
    assert all(kinds[k] == 1 for k in DEPARTMENT_KINDS)
    assert kinds["service_centre"] == 1
    assert all(a.name.endswith("tỉnh Ninh Bình") for a in provincial)


def test_routes_a_commune_procedure_to_the_applicants_commune(territory):
    procedures = load_procedures(DATA / "procedures.yaml")
    commune_level = next(
        p
        for p in procedures.values()
        if p.competent_levels == ("commune",) and p.agency_kind == "people_committee" and not p.chain
    )
    agency = territory.competent_agency(commune_level, "13285")
    assert agency is not None and agency.unit == "13285" and agency.name == "Ủy ban nhân dân phường Phủ Lý"


def test_no_agency_code_is_listed_twice():
    # the loader keeps the last of two agencies with one code, so count the file's own entries
    raw = yaml.safe_load(FILE.read_text(encoding="utf-8"))["agencies"]
    codes = [a["code"] for a in raw]
    assert len(codes) == len(set(codes))


def test_header_cites_its_sources_and_says_what_is_not_sourced():
    header = "\n".join(line for line in FILE.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    for citation in (
        "1674/NQ-UBTVQH15",
        "202/2025/QH15",
        "19/2025/QĐ-TTg",
        "45/2025/NĐ-CP",
        "150/2025/NĐ-CP",
        "118/2025/NĐ-CP",
        "72/2025/QH15",
        "Extracted on",
        "NOT from a source",
        "codes: ",
    ):
        assert citation in header, citation

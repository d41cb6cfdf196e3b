"""Catalogue search in Vietnamese: with and without diacritics (đ/d included), by code and by words, over the real
catalogue and over generated ones; unknown filter values refused. Property-based (hypothesis) where a rule holds
for any text."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nameko.testing.services import worker_factory

from services.chassis.errors import InvalidInput
from services.workflow.adapters import storage
from services.workflow.domain.catalogue import Procedure
from services.workflow.domain.search import CatalogueIndex, fold, words
from services.workflow.service import Catalogue, WorkflowService
from tests.support import FakeDatabase

CATALOGUE = Catalogue()
CATALOGUE.setup()
TODAY = date(2026, 12, 10)

# Vietnamese letters with every tone mark, upper and lower case (đ included): what a name may be written with.
VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
vietnamese_words = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper(), min_size=1, max_size=9)


def codes(found) -> list[str]:
    return [p.code for p in found]


@pytest.mark.parametrize(
    "query,expected",
    [
        ("khai sinh", ["1.001193"]),
        ("KHAI SINH", ["1.001193"]),
        ("dang ky khai sinh", ["1.001193"]),
        ("đăng ký khai sinh", ["1.001193"]),
        ("Đăng Ky Khai", ["1.001193"]),  # diacritics on some words only, capitals
        ("xay dung", ["1.004227"]),
        ("xây dựng", ["1.004227"]),
        ("giay phep xay", ["1.004227"]),  # word prefixes
        ("ly lich tu phap", ["1.000656"]),
        ("1.001193", ["1.001193"]),
        ("001193", ["1.001193"]),
        ("1001193", ["1.001193"]),
        ("2.000488", ["2.000488"]),
        ("ho kinh doanh", ["2.000488"]),
        ("dat dai", ["1.003003"]),
        ("birth registration", ["1.001193"]),  # the English name too
        ("khai sinh xây dựng", []),  # every word must match
        ("zzz", []),
    ],
)
def test_the_real_catalogue_answers_with_and_without_diacritics(query, expected):
    assert codes(CATALOGUE.search.search(TODAY, query)) == expected


def test_an_empty_query_is_every_procedure_in_force_and_filters_combine():
    everything = codes(CATALOGUE.search.search(TODAY, ""))
    assert everything == sorted({code for code, _ in CATALOGUE.procedures})
    assert codes(CATALOGUE.search.search(TODAY, "", level="province")) == ["1.000656"]
    assert codes(CATALOGUE.search.search(TODAY, "", online="partial")) == ["1.003003", "1.004227"]
    assert codes(CATALOGUE.search.search(TODAY, "", field_name="ho tich")) == ["1.001193"]
    assert codes(CATALOGUE.search.search(TODAY, "", field_name="Civil status")) == ["1.001193"]
    # Building permits are decided by districts in the 3-level model and by communes in the 2-level model in force.
    assert "1.004227" in codes(CATALOGUE.search.search(TODAY, "xay dung", level="commune"))
    assert codes(CATALOGUE.search.search(date(2025, 6, 30), "")) == []  # nothing was in force yet


@given(st.lists(vietnamese_words, min_size=1, max_size=5))
def test_folding_removes_every_mark_and_d_stroke(parts):
    text = " ".join(parts)
    folded = fold(text)
    assert folded.isascii() and folded == folded.lower()
    assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", folded))
    assert fold(folded) == folded and fold(text.upper()) == folded
    assert "đ" not in folded and folded.count("d") == text.lower().count("d") + text.lower().count("đ")


def _procedure(
    code: str,
    name: str,
    field: str = "Hộ tịch",
    level: str = "commune",
    mode: str = "full",
    version: int = 1,
    valid_from: date = date(2025, 7, 1),
) -> Procedure:
    return Procedure(
        code=code,
        version=version,
        valid_from=valid_from,
        name={"vi": name, "en": ""},
        field={"vi": field, "en": ""},
        competent_levels=(level,),
        agency_kind="people_committee",
        online_mode=mode,
        processing_days=1,
        fee_vnd=0,
    )


@settings(max_examples=60)
@given(st.lists(st.lists(vietnamese_words, min_size=1, max_size=6), min_size=1, max_size=25), st.data())
def test_any_name_is_found_by_any_of_its_words_with_or_without_marks(names, data):
    procedures = {(f"9.{i:06d}", 1): _procedure(f"9.{i:06d}", " ".join(name)) for i, name in enumerate(names)}
    index = CatalogueIndex.build(procedures, ("province", "commune"))
    i = data.draw(st.integers(0, len(names) - 1))
    chosen = data.draw(st.lists(st.sampled_from(names[i]), min_size=1, max_size=3))
    # The words typed as written, folded, or cut short (a prefix): the procedure is always among the results.
    cut = data.draw(st.integers(1, 3))
    for query in (" ".join(chosen), fold(" ".join(chosen)), " ".join(fold(w)[:cut] for w in chosen)):
        found = codes(index.search(TODAY, query))
        assert f"9.{i:06d}" in found, (query, names[i])
        # ... and every result holds every word of the query (no false positive).
        for code in found:
            name_words = (
                words(procedures[(code, 1)].name["vi"])
                + words(procedures[(code, 1)].field["vi"])
                + words(code)
            )
            assert all(any(w.startswith(q) for w in name_words) for q in words(query))
    assert codes(index.search(TODAY, f"9.{i:06d}")) == [f"9.{i:06d}"]


def test_the_version_in_force_is_searched_and_a_renamed_one_is_found_by_its_new_name():
    procedures = {
        ("9.000001", 1): _procedure("9.000001", "Cấp bản sao trích lục"),
        ("9.000001", 2): _procedure(
            "9.000001", "Cấp bản sao giấy tờ hộ tịch", version=2, valid_from=date(2026, 1, 1)
        ),
    }
    index = CatalogueIndex.build(procedures, ("province", "commune"))
    assert [p.version for p in index.search(TODAY, "ban sao")] == [2]
    assert index.search(TODAY, "trich luc") == []
    assert [p.version for p in index.search(date(2025, 8, 1), "trich luc")] == [1]


@pytest.fixture()
def workflow():
    return worker_factory(WorkflowService, db=FakeDatabase(storage.metadata), catalogue=CATALOGUE)


def test_the_rpc_searches_and_refuses_unknown_filter_values(workflow):
    found = workflow.search_procedures({"q": "xay dung"})
    assert [p["code"] for p in found["items"]] == ["1.004227"] and found["items"][0]["level"] == "commune"
    assert found["total"] == len({code for code, _ in CATALOGUE.procedures}) and found["levels"] == [
        "province",
        "commune",
    ]
    for request, code in [
        ({"level": "district"}, "unknown_level"),
        ({"online": "yes"}, "unknown_online_mode"),
        ({"field": "Thuế"}, "unknown_field"),
        ({"q": "x", "sort": "name"}, "invalid_request"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            workflow.search_procedures(request)
        assert refused.value.code == code

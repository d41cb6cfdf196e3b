"""Tax codes: 10 or 13 digits, check digit verified."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.registry.domain.business import InvalidTaxCode, check_digit, normalise_tax_code


def test_valid_codes_normalised():
    assert normalise_tax_code("0100109106") == "0100109106"
    assert normalise_tax_code("0100109106-001") == "0100109106-001"
    assert normalise_tax_code("0100109106001") == "0100109106-001"


@pytest.mark.parametrize(
    "value,reason",
    [
        ("0100109107", "check_digit"),
        ("010010910", "format"),
        ("01001091060", "format"),
        ("abc", "format"),
        ("0100109106-000", "branch"),
    ],
)
def test_invalid_codes_refused(value, reason):
    with pytest.raises(InvalidTaxCode) as err:
        normalise_tax_code(value)
    assert err.value.reason == reason


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_fits_when_one_exists(first_nine):
    digit = check_digit(first_nine)
    fits = [d for d in range(10) if _ok(first_nine + str(d))]
    assert fits == ([] if digit is None else [digit])


def _ok(code):
    try:
        normalise_tax_code(code)
        return True
    except InvalidTaxCode:
        return False

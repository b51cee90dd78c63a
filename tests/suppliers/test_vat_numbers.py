"""VAT numbers of every EU member state are checked by python-stdnum (``stdnum.eu.vat``)."""

from __future__ import annotations

import doctest

import pytest
from stdnum.eu import vat as eu_vat

from suppliers.identifiers import clean_vat


def _valid_example(country: str) -> str:
    """A valid number of ``country``, taken from the examples that python-stdnum documents and tests."""
    module = eu_vat._get_cc_module(country)
    for example in doctest.DocTestParser().get_examples(module.__doc__ or ""):
        if example.source.startswith("validate(") and not example.exc_msg:
            return eval(example.source.split("#")[0].strip()[len("validate"):])  # noqa: S307  a string literal
    raise AssertionError(f"no example for {country}")


MEMBER_STATES = sorted(eu_vat.MEMBER_STATES - {"xi"})


def test_every_member_state_is_covered():
    assert len(MEMBER_STATES) == 27


@pytest.mark.parametrize("country", MEMBER_STATES)
def test_a_valid_vat_number_of_each_member_state_is_accepted(country):
    number = _valid_example(country)
    prefix = "EL" if country == "gr" else country.upper()
    compact = number.replace(" ", "").replace("-", "").upper()
    with_prefix = compact if compact.startswith(prefix) else prefix + compact
    assert clean_vat(with_prefix, country=country.upper()) == eu_vat.compact(with_prefix)
    if not compact[:2].isalpha():  # typed without its prefix: the company's country supplies it
        assert clean_vat(number, country=country.upper())


@pytest.mark.parametrize("country", MEMBER_STATES)
def test_a_wrong_vat_number_of_each_member_state_is_a_clear_error(country):
    prefix = "EL" if country == "gr" else country.upper()
    with pytest.raises(ValueError, match="TVA"):
        clean_vat(prefix + "123", country=country.upper())

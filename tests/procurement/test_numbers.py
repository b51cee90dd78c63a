"""The one rule for reading and writing numbers (procurement.numbers), its form fields and its page filter.

The cases of tests/number_cases.json are shared with the browser test of static/js/numbers.js: both
implementations must give the same answers."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django import forms
from django.template import engines
from django.utils import translation

from procurement import inputs, numbers
from procurement.errors import ValidationFailed
from procurement.forms.fields import DecimalField, IntegerField
from procurement.spreadsheets import cell_decimal

CASES = json.loads((Path(__file__).parent.parent / "number_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES["read"], ids=lambda case: repr(case["text"]))
def test_read_follows_the_shared_cases(case):
    expected = None if case["value"] is None else Decimal(case["value"])
    assert numbers.parse(case["text"]) == expected
    assert inputs.parse_decimal(case["text"]) == expected
    assert cell_decimal(case["text"]) == expected  # spreadsheets read text cells by the same rule
    number, problem = numbers.read(case["text"])
    assert (problem is None) == (expected is not None)


@pytest.mark.parametrize("case", CASES["format"], ids=lambda case: f"{case['value']}:{case['places']}")
def test_format_follows_the_shared_cases(case):
    write = lambda **kw: numbers.format(case["value"], case["places"], trim=case["trim"], **kw)  # noqa: E731
    assert write(language="fr") == case["fr"]
    assert write(language="fr", field=True) == case["fr"]  # a French field groups like the page
    assert write(language="en") == case["en"]
    assert write(language="en", field=True) == case["en_field"]
    # A written value reads back as the rounded number, in either language (what a field shows is re-posted).
    if case["fr"]:
        assert numbers.parse(case["fr"]) == numbers.parse(case["en_field"])


def test_numbers_that_are_not_text_are_taken_as_they_are():
    assert numbers.parse(0.2) == Decimal("0.2") and numbers.parse(1e-05) == Decimal("0.00001")
    assert numbers.parse(7) == 7 and numbers.parse(Decimal("3.5")) == Decimal("3.5")
    assert numbers.parse(float("inf")) is None and numbers.parse(True) is None and numbers.parse(None) is None


def test_format_follows_the_active_language():
    with translation.override("fr"):
        assert numbers.format("450000", 0) == "450\u00a0000"
    with translation.override("en"):
        assert numbers.format("450000", 0) == "450,000"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1.450,00", "Nombre ambigu"),
        ("1,450.00", "Nombre ambigu"),
        ("1,2,3", "Un seul séparateur décimal"),
        ("12 34", "se groupent par trois"),
        ("1 2345", "se groupent par trois"),
        ("abc", "Nombre décimal attendu"),
        ("1e9", "Nombre décimal attendu"),
        (True, "Nombre décimal attendu"),
        ([1], "Nombre décimal attendu"),
        (Decimal("NaN"), "Nombre décimal attendu"),
    ],
)
def test_a_refusal_says_how_to_write_the_number(text, says):
    number, problem = numbers.read(text)
    assert number is None and says in problem and "1 250" in problem


def test_the_cleaner_refuses_garbage_and_negatives_with_a_message():
    with pytest.raises(ValidationFailed) as refused:
        inputs.decimal("1.450,00", "price")
    assert "Nombre ambigu" in refused.value.errors["price"][0]
    with pytest.raises(ValidationFailed) as refused:
        inputs.decimal("-45,50", "price")
    assert refused.value.errors["price"] == ["La valeur ne peut pas être négative."]
    assert inputs.decimal("1\u202f450,505", "price") == Decimal("1450.51")
    assert inputs.integer("1 450", "dwellings", maximum=100_000) == 1450
    errors: dict = {}
    assert inputs.integer("7,5", "weeks", errors) is None and errors == {"weeks": ["Nombre entier attendu."]}


class Figures(forms.Form):
    amount = DecimalField(required=False, max_digits=14, decimal_places=2, min_value=0)
    count = IntegerField(required=False, min_value=0)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_fields_read_french_input_on_every_page(language):
    with translation.override(language):
        form = Figures({"amount": "450\u00a0000,5", "count": "1 450"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data == {"amount": Decimal("450000.5"), "count": 1450}


def test_fields_refuse_with_the_rule_message_and_keep_what_was_typed():
    form = Figures({"amount": "1.450,00", "count": "2,5"})
    assert not form.is_valid()
    assert "Nombre ambigu" in form.errors["amount"][0]
    assert form.errors["count"] == ["Saisissez un nombre entier."]
    assert 'value="1.450,00"' in str(form["amount"])
    too_precise = Figures({"amount": "45,555"})
    assert not too_precise.is_valid() and "amount" in too_precise.errors


def test_fields_show_saved_values_the_page_way():
    form = Figures(initial={"amount": Decimal("45.5"), "count": 1450})
    with translation.override("fr"):
        assert 'value="45,50"' in str(form["amount"])
        assert 'value="1\u00a0450"' in str(form["count"])
        assert 'inputmode="decimal"' in str(form["amount"]) and 'type="text"' in str(form["amount"])
    with translation.override("en"):
        assert 'value="45.50"' in str(form["amount"]) and 'value="1450"' in str(form["count"])


def test_the_page_filter():
    template = engines["django"].from_string(
        '{{ a|number }}|{{ q|number:"-3" }}|{{ n|number:0 }}|{{ none|number }}|{{ bad|number }}'
    )
    with translation.override("fr"):
        assert (
            template.render(
                {"a": Decimal("1450.5"), "q": Decimal("2350.500"), "n": 450000, "none": None, "bad": "abc"}
            )
            == "1\u00a0450,50|2\u00a0350,5|450\u00a0000||"
        )
    with translation.override("en"):
        assert template.render({"a": "1450.5", "q": "2350.5", "n": "450000"}) == "1,450.50|2,350.5|450,000||"

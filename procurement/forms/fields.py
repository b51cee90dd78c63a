"""Form fields shared by the pages: they parse what was typed through procurement.inputs and
procurement.numbers."""

from __future__ import annotations

from decimal import Decimal

from django import forms

from procurement import inputs, numbers
from procurement.errors import ValidationFailed

DAY_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DayField(forms.DateField):
    """A date typed in a page (``AAAA-MM-JJ`` from a date picker, or ``JJ/MM/AAAA``), within the window every
    date the platform accepts lies in: for filters, whose value goes to a query and no service."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DAY_FORMATS)
        super().__init__(**kwargs)

    def to_python(self, value):
        day = super().to_python(value)
        if day is None:
            return None
        try:
            return inputs.day(day, "day")
        except ValidationFailed as refused:
            raise forms.ValidationError(refused.errors["day"][0]) from None


class NumberInput(forms.TextInput):
    """A text box for a number. A number it is given (a saved value) is written the page's way
    (``procurement.numbers``: ``45,50`` in French); a text (what was typed, sent back with an error) is
    shown as typed."""

    def __init__(self, attrs=None, *, places: int = 2, trim: bool = False):
        attrs = {"inputmode": "decimal" if places else "numeric", "autocomplete": "off", **(attrs or {})}
        super().__init__(attrs)
        self.places, self.trim = places, trim

    def format_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return numbers.format(value, self.places, trim=self.trim, field=True)
        return super().format_value(value)


class DecimalField(forms.DecimalField):
    """A decimal typed the French way (``1 250,50``) or with a dot, read by ``procurement.numbers`` on every
    page whatever its language; shown back the page's way. ``max_digits``, ``decimal_places`` and the bounds
    are checked as by Django's field."""

    def __init__(self, *, trim: bool = False, **kwargs):
        kwargs.setdefault("widget", NumberInput(places=kwargs.get("decimal_places") or 0, trim=trim))
        kwargs.pop("localize", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        number, problem = numbers.read(value)
        if problem:
            raise forms.ValidationError(problem, code="invalid")
        return number


class IntegerField(forms.IntegerField):
    """A whole number, grouped or not (``1 450``), read by ``procurement.numbers``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", NumberInput(places=0))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        number = numbers.parse(value)
        if number is None or number != number.to_integral_value():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(number)

"""Form fields shared by the pages: they parse what was typed through procurement.inputs."""

from __future__ import annotations

from django import forms

from procurement import inputs
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

"""How the tender services show amounts and moments in their messages. Input cleaning itself is
``procurement.inputs`` (re-exported here: ``CENT``, ``MAX_TEXT``)."""

from __future__ import annotations

from django.utils import formats, timezone

from procurement import numbers
from procurement.inputs import CENT, MAX_TEXT  # noqa: F401  (the tender services' limits)


def money(value) -> str:
    return numbers.format(value, 2) + " €"


def when(value) -> str:
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")

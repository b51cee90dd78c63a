"""Input cleaning: the one place where what a person typed or an API client sent becomes a Python value.

These functions check shapes only (is it a text, a number, a date; is it there when required; does it fit
the column); services check the business rules on the values they return.

Every cleaner has the same form ``clean(value, field, errors=None, ...)``:
- with an ``errors`` dict, a problem is appended under ``field`` and None is returned, so that a service
  collects every problem of an input in one go and raises ``ValidationFailed(errors)`` once;
- without, the first problem raises ``ValidationFailed({field: [message]})`` at once.

The ``parse_*`` functions are the bare parsers (None when the value has not the shape), for code that
words its own message.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date as _django_parse_date
from django.utils.dateparse import parse_datetime as _django_parse_datetime
from django.utils.translation import gettext as _

from . import calendar, clock
from .errors import ValidationFailed

CENT = Decimal("0.01")
MAX_TEXT = 10_000
MAX_AMOUNT = Decimal("1e12")


def _problem(errors: dict | None, field: str, message: str) -> None:
    if errors is None:
        raise ValidationFailed({field: [message]})
    errors.setdefault(field, []).append(message)


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- bare parsers ------------------------------------------------------------------------------------------


def parse_decimal(value) -> Decimal | None:
    """A finite decimal from a Decimal, an int, a float (as written: 0.2, not 0.2000000000000000111) or a
    text (``"1 250,50"`` and ``"1250.50"`` alike); None for anything else (booleans included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        value = value.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    if not isinstance(value, Decimal | int | str):
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def parse_moment(value) -> dt.datetime | None:
    """An aware datetime from a datetime or an ISO 8601 text; a naive one is taken in Paris time."""
    if isinstance(value, str):
        try:
            value = _django_parse_datetime(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, dt.datetime):
        return None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def parse_date(value) -> dt.date | None:
    """A date from a date or an ISO text ``AAAA-MM-JJ`` (a datetime is not a date)."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return _django_parse_date(value.strip())
        except ValueError:
            return None
    return None


def parse_due(value) -> dt.datetime | None:
    """A due moment: an ISO 8601 moment, or a date (due at the end of that day, in Paris)."""
    moment = parse_moment(value)
    if moment is not None:
        return moment
    day = parse_date(value)
    return calendar.end_of_day(day) if day is not None else None


# --- cleaners ----------------------------------------------------------------------------------------------


def text(value, field: str, errors: dict | None = None, *, required: bool = True, max_length: int = 255,
         message: str | None = None) -> str | None:
    """A text, stripped ("" when absent and not required). ``message``: what to say when it is missing."""
    if value is not None and not isinstance(value, str):
        _problem(errors, field, _("Texte attendu."))
        return None
    cleaned = (value or "").strip()
    if required and not cleaned:
        _problem(errors, field, message or _("Ce champ est obligatoire."))
        return cleaned
    if len(cleaned) > max_length:
        _problem(errors, field, _("%(max)s caractères au plus.") % {"max": max_length})
    return cleaned


def decimal(value, field: str, errors: dict | None = None, *, required: bool = True, positive: bool = False,
            places: Decimal = CENT) -> Decimal | None:
    """A decimal ≥ 0 (> 0 when ``positive``), below 10¹², rounded half up to ``places``."""
    if _missing(value):
        if required:
            _problem(errors, field, _("Ce champ est obligatoire."))
        return None
    number = parse_decimal(value)
    if number is None:
        _problem(errors, field, _("Nombre décimal attendu (par exemple 1250.50)."))
        return None
    if number < 0 or (positive and number == 0):
        _problem(errors, field, _("La valeur doit être strictement positive.") if positive
                 else _("La valeur ne peut pas être négative."))
        return None
    if number >= MAX_AMOUNT:
        _problem(errors, field, _("Valeur trop grande."))
        return None
    return number.quantize(places, rounding=ROUND_HALF_UP)


def integer(value, field: str, errors: dict | None = None, *, required: bool = True, minimum: int = 1,
            maximum: int = 10_000) -> int | None:
    """A whole number from ``minimum`` to ``maximum`` (7 and "7" yes; 7.5, True and "sept" no)."""
    if _missing(value):
        if required:
            _problem(errors, field, _("Ce champ est obligatoire."))
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        number = int(str(value).strip())
    except (TypeError, ValueError):
        _problem(errors, field, _("Nombre entier attendu."))
        return None
    if not minimum <= number <= maximum:
        _problem(errors, field, _("Valeur attendue entre %(min)s et %(max)s.") % {"min": minimum, "max": maximum})
        return None
    return number


def moment(value, field: str, errors: dict | None = None) -> dt.datetime | None:
    """A required moment (ISO 8601; without a zone, Paris time)."""
    if _missing(value):
        _problem(errors, field, _("Ce champ est obligatoire."))
        return None
    parsed = parse_moment(value)
    if parsed is None:
        _problem(errors, field, _("Date et heure attendues (ISO 8601 avec fuseau horaire)."))
    return parsed


def due_moment(value, field: str = "due_at", errors: dict | None = None) -> dt.datetime | None:
    """A due date still ahead: an ISO 8601 moment, or a date (due at the end of that day, in Paris)."""
    parsed = parse_due(value)
    if parsed is None:
        _problem(errors, field, _("Date (AAAA-MM-JJ) ou date et heure ISO 8601 attendue."))
        return None
    if parsed <= clock.now():
        _problem(errors, field, _("L'échéance doit être dans le futur."))
        return None
    return parsed


def checked(field: str, cleaned: tuple, errors: dict | None = None):
    """The value of a rule module's ``(value, problems)`` answer, its problems reported under ``field``."""
    value, problems = cleaned
    if problems:
        if errors is None:
            raise ValidationFailed({field: [str(m) for m in problems]})
        errors.setdefault(field, []).extend(str(m) for m in problems)
        return None
    return value

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
import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.dateparse import parse_date as _django_parse_date
from django.utils.dateparse import parse_datetime as _django_parse_datetime
from django.utils.translation import gettext as _

from . import calendar, clock, numbers
from .errors import ValidationFailed

CENT = Decimal("0.01")
MAX_TEXT = 10_000
MAX_AMOUNT = Decimal("1e12")
# Dates and times are accepted this many years either side of today: enough for any deadline, validity or
# issue date, and far from the ends of what Python, the databases and the time zone rules can hold.
ACCEPTED_YEARS = 10
# The UTC offsets zones have: from -12:00 (Baker Island) to +14:00 (Line Islands).
MIN_UTC_OFFSET, MAX_UTC_OFFSET = dt.timedelta(hours=-12), dt.timedelta(hours=14)


def _problem(errors: dict | None, field: str, message: str) -> None:
    if errors is None:
        raise ValidationFailed({field: [message]})
    errors.setdefault(field, []).append(message)


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- bare parsers ------------------------------------------------------------------------------------------


def parse_decimal(value) -> Decimal | None:
    """A finite decimal from a Decimal, an int, a float (as written: 0.2, not 0.2000000000000000111) or a
    text written the French way (``"1 250,50"``, ``"45,50"``) or with a dot (``"1250.50"``); None for
    anything else (booleans included). The rule is ``procurement.numbers.read``'s, which also says why."""
    return numbers.parse(value)


def _read_moment(value, *, window: bool = True, shape: str | None = None) -> tuple[dt.datetime | None, str | None]:
    """The aware moment of a datetime or an ISO 8601 text (naive: Paris time), or why it is not one the
    platform accepts: not a moment, a UTC offset no zone has, or (with ``window``) a day outside the window."""
    if isinstance(value, str):
        try:
            value = _django_parse_datetime(value.strip())
        except (ValueError, OverflowError):
            value = None
    if not isinstance(value, dt.datetime):
        return None, shape or _("Date et heure attendues (ISO 8601 avec fuseau horaire).")
    if window and (problem := _outside_window(value.date())):
        return None, problem
    if timezone.is_naive(value):
        try:
            value = timezone.make_aware(value)
        except (OverflowError, ValueError):
            return None, _("Date et heure attendues (ISO 8601 avec fuseau horaire).")
    if not MIN_UTC_OFFSET <= value.utcoffset() <= MAX_UTC_OFFSET:
        return None, _("Décalage horaire impossible : de -12:00 à +14:00.")
    try:
        value.astimezone(dt.UTC)
    except OverflowError:  # only without the window: the first or last hours Python can hold
        return None, _("Date et heure attendues (ISO 8601 avec fuseau horaire).")
    return value, None


def _outside_window(day: dt.date) -> str | None:
    """Why ``day`` is refused (None when it lies within ``ACCEPTED_YEARS`` years of today)."""
    first, last = calendar.accepted_days(ACCEPTED_YEARS, clock.today())
    if first <= day <= last:
        return None
    return _("Date hors de la plage acceptée : du %(first)s au %(last)s.") % {
        "first": first.strftime("%d/%m/%Y"), "last": last.strftime("%d/%m/%Y")}


def _read_date(value, *, window: bool = True) -> tuple[dt.date | None, str | None]:
    """The date of a date or an ISO text ``AAAA-MM-JJ`` (a datetime is not a date), or why it is refused."""
    if isinstance(value, str):
        try:
            value = _django_parse_date(value.strip())
        except ValueError:
            value = None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        return None, _("Date attendue (AAAA-MM-JJ).")
    if window and (problem := _outside_window(value)):
        return None, problem
    return value, None


def _read_due(value, *, day_starts: bool = False) -> tuple[dt.datetime | None, str | None]:
    """A moment, or a date taken at the end of that day in Paris (at its start with ``day_starts``)."""
    day = _read_date(value, window=False)[0]
    if day is None:
        return _read_moment(value, shape=_("Date (AAAA-MM-JJ) ou date et heure ISO 8601 attendue."))
    if problem := _outside_window(day):
        return None, problem
    return (calendar.start_of_day(day) if day_starts else calendar.end_of_day(day)), None


def parse_moment(value, *, window: bool = True) -> dt.datetime | None:
    """An aware datetime from a datetime or an ISO 8601 text (a naive one is taken in Paris time); None when it
    is not a moment, has a UTC offset no zone has, or (unless ``window`` is False: showing what is stored)
    falls outside the accepted window. The one moment parser of the platform: the cleaners below use it."""
    return _read_moment(value, window=window)[0]


def parse_date(value, *, window: bool = True) -> dt.date | None:
    """A date from a date or an ISO text ``AAAA-MM-JJ`` (a datetime is not a date), within the window."""
    return _read_date(value, window=window)[0]


def parse_due(value) -> dt.datetime | None:
    """A due moment: an ISO 8601 moment, or a date (due at the end of that day, in Paris)."""
    return _read_due(value)[0]


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
    number, problem = numbers.read(value)
    if problem:
        _problem(errors, field, problem)
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
    """A whole number from ``minimum`` to ``maximum`` (7, "7" and "1 450" yes; 7.5, True and "sept" no)."""
    if _missing(value):
        if required:
            _problem(errors, field, _("Ce champ est obligatoire."))
        return None
    parsed = numbers.parse(value)
    if parsed is None or parsed != parsed.to_integral_value():
        _problem(errors, field, _("Nombre entier attendu."))
        return None
    number = int(parsed)
    if not minimum <= number <= maximum:
        _problem(errors, field, _("Valeur attendue entre %(min)s et %(max)s.") % {"min": minimum, "max": maximum})
        return None
    return number


def moment(value, field: str, errors: dict | None = None, *, future: bool = False) -> dt.datetime | None:
    """A required moment (ISO 8601; without a zone, Paris time) within the window; still ahead with ``future``."""
    if _missing(value):
        _problem(errors, field, _("Ce champ est obligatoire."))
        return None
    parsed, problem = _read_moment(value)
    if problem:
        _problem(errors, field, problem)
        return None
    if future and parsed <= clock.now():
        _problem(errors, field, _("La date doit être dans le futur."))
        return None
    return parsed


def day(value, field: str, errors: dict | None = None, *, required: bool = True) -> dt.date | None:
    """A date (a date or ``AAAA-MM-JJ``) within the window."""
    if _missing(value):
        if required:
            _problem(errors, field, _("Ce champ est obligatoire."))
        return None
    parsed, problem = _read_date(value)
    if problem:
        _problem(errors, field, problem)
    return parsed


def moment_or_day(value, field: str, errors: dict | None = None) -> dt.datetime | None:
    """An optional bound of a filter: a moment, or a date taken at the start of that day in Paris."""
    if _missing(value):
        return None
    parsed, problem = _read_due(value, day_starts=True)
    if problem:
        _problem(errors, field, problem)
    return parsed


def due_moment(value, field: str = "due_at", errors: dict | None = None) -> dt.datetime | None:
    """A due date still ahead: an ISO 8601 moment, or a date (due at the end of that day, in Paris)."""
    parsed, problem = _read_due(value)
    if problem:
        _problem(errors, field, problem)
        return None
    if parsed <= clock.now():
        _problem(errors, field, _("L'échéance doit être dans le futur."))
        return None
    return parsed


# The départements of metropolitan France (Corsica: 2A and 2B, no longer 20) and overseas (971 to 976).
_DEPARTEMENT = re.compile(r"^(0[1-9]|1\d|2[1-9]|[3-8]\d|9[0-5]|2A|2B|97[1-6])$")


def parse_departement(value) -> str | None:
    """``" 2a "`` → ``"2A"``, ``"1"`` → ``"01"``; None for a code no département has."""
    code = str(value if value is not None else "").strip().upper()
    if len(code) == 1 and code.isdigit():
        code = "0" + code
    return code if _DEPARTEMENT.match(code) else None


def departement(value, field: str, errors: dict | None = None, *, required: bool = True) -> str | None:
    """A département code (``"60"``, ``"2A"``, ``"974"``)."""
    if _missing(value):
        if required:
            _problem(errors, field, _("Ce champ est obligatoire."))
        return None
    code = parse_departement(value)
    if code is None:
        _problem(errors, field, _("Le département « %(code)s » n'existe pas.") % {"code": str(value).strip()})
    return code


def checked(field: str, cleaned: tuple, errors: dict | None = None):
    """The value of a rule module's ``(value, problems)`` answer, its problems reported under ``field``."""
    value, problems = cleaned
    if problems:
        if errors is None:
            raise ValidationFailed({field: [str(m) for m in problems]})
        errors.setdefault(field, []).extend(str(m) for m in problems)
        return None
    return value

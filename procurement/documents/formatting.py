"""French dates and amounts for generated documents, whatever language the request was in.

Amounts follow the French typographic rule ("125 000,00 € HT", non-breaking spaces); times are shown in
the platform's time zone with their offset, to the second, as the receipt rules require.
"""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone, translation

from procurement import numbers
from procurement.inputs import parse_date, parse_decimal, parse_moment

NBSP = "\u00a0"


def amount(value, suffix: str = "HT") -> str:
    """``125000`` → ``125 000,00 € HT`` (``suffix=""`` for no tax mention)."""
    text = numbers.format(value, 2, language="fr")
    if not text:
        return "—"
    return f"{text}{NBSP}€" + (f"{NBSP}{suffix}" if suffix else "")


def number(value, places: int = 2) -> str:
    """``81.875`` → ``81,88``; ``12`` → ``12,00`` (scores, points); ``—`` for nothing."""
    return numbers.format(value, places, language="fr") or "—"


def percent(value, places: int = 1) -> str:
    """A relative gap ``-0.25`` → ``−25,0 %``."""
    parsed = parse_decimal(value)
    if parsed is None:
        return "—"
    text = number(abs(parsed) * 100, places)
    return f"{'−' if parsed < 0 else '+'}{text}{NBSP}%"


def _moment(value) -> dt.datetime | None:
    parsed = parse_moment(value, window=False)
    try:
        return None if parsed is None else timezone.localtime(parsed)
    except OverflowError:  # a stored moment too near the end of the calendar to have a Paris time
        return parsed


def _offset(moment: dt.datetime) -> str:
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def moment(value) -> str:
    """``mercredi 2 décembre 2026 à 14:05:09 (heure de Paris, UTC+01:00)``: to the second, with the zone."""
    when = _moment(value)
    if when is None:
        return "—"
    with translation.override("fr"):
        day = formats.date_format(when, "l j F Y")
    zone = "heure de Paris" if str(timezone.get_current_timezone()) == "Europe/Paris" else when.tzname()
    return f"{day} à {when:%H:%M:%S} ({zone}, {_offset(when)})"


def short_moment(value) -> str:
    """``02/12/2026 14:05:09``, for tables."""
    when = _moment(value)
    return "—" if when is None else f"{when:%d/%m/%Y %H:%M:%S}"


def date(value) -> str:
    """``2 décembre 2026``."""
    if isinstance(value, str):
        value = parse_moment(value, window=False) or parse_date(value, window=False)
    if isinstance(value, dt.datetime):
        value = _moment(value)
    if not isinstance(value, dt.date):
        return "—"
    with translation.override("fr"):
        return formats.date_format(value, "j F Y")


def size(value) -> str:
    """A file size in French units (ko, Mo)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return "—"
    if number < 1024:
        return f"{number}{NBSP}o"
    for unit in ("ko", "Mo", "Go"):
        number /= 1024
        if number < 1024 or unit == "Go":
            return f"{number:.1f}".replace(".", ",") + f"{NBSP}{unit}"
    return str(number)

"""Working days and French public holidays: the one place where deadlines are counted.

Two legal counts exist:
- *jours ouvrables*: Monday to Saturday, minus public holidays (the default; R2162-45 counts in them);
- *jours ouvrés*: Monday to Friday, minus public holidays.

``settings.WORKING_DAYS_MODE`` chooses the default; every function takes ``mode=`` to override it.
Public holidays come from the ``holidays`` package (metropolitan France: Easter Monday, 1 and 8 May,
Ascension, Whit Monday, 14 July, 15 August, 1 and 11 November, 25 December, 1 January).

The day of receipt never counts: a deadline of N working days after a Friday receipt starts counting
on Saturday (ouvrables) or Monday (ouvrés). The result is always itself a working day.

Calendar-day periods (the 10-day bid period, the 11-day standstill, 30-day windows) are counted
"date to date" by ``add_calendar_days``.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from django.conf import settings
from django.utils import timezone

from . import clock

OUVRABLES = "ouvrables"
OUVRES = "ouvres"


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("FR", years=year)


def is_public_holiday(day: dt.date) -> bool:
    return day in _french_holidays(day.year)


def holiday_name(day: dt.date) -> str | None:
    return _french_holidays(day.year).get(day)


def _mode(mode: str | None) -> str:
    mode = mode or settings.WORKING_DAYS_MODE
    if mode not in (OUVRABLES, OUVRES):
        raise ValueError(f"Unknown working-days mode {mode!r}")
    return mode


def is_working_day(day: dt.date, *, mode: str | None = None) -> bool:
    last_weekday = 5 if _mode(mode) == OUVRABLES else 4  # Saturday=5, Friday=4
    return day.weekday() <= last_weekday and not is_public_holiday(day)


def add_working_days(start: dt.date, days: int, *, mode: str | None = None) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise ValueError("days must be positive")
    mode = _mode(mode)
    current = start
    remaining = days
    while remaining:
        current += dt.timedelta(days=1)
        if is_working_day(current, mode=mode):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date, *, mode: str | None = None) -> int:
    """How many working days lie after ``start`` up to and including ``end``."""
    mode = _mode(mode)
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current, mode=mode):
            count += 1
    return count


def add_calendar_days(moment: dt.datetime, days: int) -> dt.datetime:
    """Date-to-date period in calendar days, in the local time zone (DST-safe)."""
    local = timezone.localtime(moment)
    naive = local.replace(tzinfo=None) + dt.timedelta(days=days)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar date in Paris of ``moment`` (now by default): the day a receipt belongs to."""
    return timezone.localdate(moment or clock.now())


def start_of_day(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in Paris."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_current_timezone())


def day_range(first: dt.date | None, last: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The instants ``[start, end)`` covering the days ``first`` to ``last`` inclusive, in Paris (a filter
    "from … to …" on dates, applied to moments); a missing bound stays None."""
    return (start_of_day(first) if first else None,
            start_of_day(last + dt.timedelta(days=1)) if last else None)


def day_window(first: dt.date, days: int) -> tuple[dt.date, dt.date]:
    """The days from ``first`` to ``first`` + ``days`` calendar days, both included (for ``__range``)."""
    return first, first + dt.timedelta(days=days)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in Paris: a deadline stated as a date expires then."""
    naive = dt.datetime.combine(day, dt.time(23, 59, 59, 999999))
    return timezone.make_aware(naive, timezone.get_current_timezone())


def add_days(day: dt.date, days: int) -> dt.date:
    """The calendar date ``days`` days after ``day`` (before it when negative)."""
    return day + dt.timedelta(days=days)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months later (earlier when negative), clamped to the month's last day
    (31 August + 6 months = 28 or 29 February): how "valid 6 months" and "under 3 months" are counted."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last_day in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def accepted_days(years: int, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last days of the window ``years`` years either side of ``today`` (Paris): the dates the
    platform accepts as input (procurement.inputs)."""
    today = today or local_date()
    return add_months(today, -12 * years), add_months(today, 12 * years)


def months_elapsed(start: dt.date, day: dt.date) -> int:
    """How many whole months (counted by ``add_months``) lie between ``start`` and ``day``."""
    months = 0
    while add_months(start, months + 1) <= day:
        months += 1
    return months

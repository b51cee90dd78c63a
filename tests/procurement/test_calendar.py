"""Deadlines in working days and calendar days.

Every expected date below was counted by hand on a calendar; the comments show the count
(start day never counts; "x" marks a day that is skipped).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from procurement import calendar
from procurement.calendar import OUVRABLES, OUVRES, add_calendar_days, add_working_days, end_of_day

D = dt.date
PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC

HOLIDAYS_2026 = {
    D(2026, 1, 1),  # Thursday
    D(2026, 4, 6),  # Easter Monday
    D(2026, 5, 1),  # Friday
    D(2026, 5, 8),  # Friday
    D(2026, 5, 14),  # Ascension
    D(2026, 5, 25),  # Whit Monday
    D(2026, 7, 14),  # Tuesday
    D(2026, 8, 15),  # Saturday
    D(2026, 11, 1),  # Sunday
    D(2026, 11, 11),  # Wednesday
    D(2026, 12, 25),  # Friday
}
HOLIDAYS_2027 = {
    D(2027, 1, 1),  # Friday
    D(2027, 3, 29),  # Easter Monday
    D(2027, 5, 1),  # Saturday
    D(2027, 5, 6),  # Ascension
    D(2027, 5, 8),  # Saturday
    D(2027, 5, 17),  # Whit Monday
    D(2027, 7, 14),  # Wednesday
    D(2027, 8, 15),  # Sunday
    D(2027, 11, 1),  # Monday
    D(2027, 11, 11),  # Thursday
    D(2027, 12, 25),  # Saturday
}


def _days_of(year):
    day = D(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(("year", "expected"), [(2026, HOLIDAYS_2026), (2027, HOLIDAYS_2027)])
def test_it_knows_exactly_the_metropolitan_public_holidays(year, expected):
    # No Good Friday or 26 December (Alsace-Moselle only), no Easter Sunday or Whit Sunday (always Sundays).
    assert {day for day in _days_of(year) if calendar.is_public_holiday(day)} == expected


def test_it_names_holidays():
    assert calendar.holiday_name(D(2026, 7, 14))
    assert calendar.holiday_name(D(2026, 7, 15)) is None


@pytest.mark.parametrize(
    ("day", "ouvrable", "ouvre"),
    [
        (D(2026, 6, 5), True, True),  # Friday
        (D(2026, 6, 6), True, False),  # Saturday
        (D(2026, 6, 7), False, False),  # Sunday
        (D(2026, 4, 6), False, False),  # Easter Monday
        (D(2027, 5, 8), False, False),  # 8 May on a Saturday: not even ouvrable
        (D(2026, 8, 15), False, False),  # 15 August on a Saturday
    ],
)
def test_it_tells_working_days_in_both_modes(day, ouvrable, ouvre):
    assert calendar.is_working_day(day, mode=OUVRABLES) is ouvrable
    assert calendar.is_working_day(day, mode=OUVRES) is ouvre


CASES = [
    # --- Easter Monday ---------------------------------------------------------------------------
    # Fri 3 Apr 2026: Sat 4 (1), Sun x, Mon 6 Easter x, Tue 7 (2), W8 (3), T9 (4), F10 (5), S11 (6),
    # Sun x, M13 (7), T14 (8), W15 (9), T16 (10)
    (D(2026, 4, 3), 10, OUVRABLES, D(2026, 4, 16)),
    # Sat x, Sun x, Mon 6 x, T7 (1) W8 T9 F10 (4), M13..F17 (9), M20 (10)
    (D(2026, 4, 3), 10, OUVRES, D(2026, 4, 20)),
    # Sat 4 Apr 2026: Sun x, Mon 6 x, Tue 7
    (D(2026, 4, 4), 1, OUVRABLES, D(2026, 4, 7)),
    # Fri 26 Mar 2027: Sat 27 (1), Sun x, Mon 29 Easter x, Tue 30 (2)
    (D(2027, 3, 26), 1, OUVRABLES, D(2027, 3, 27)),
    (D(2027, 3, 26), 2, OUVRABLES, D(2027, 3, 30)),
    (D(2027, 3, 26), 1, OUVRES, D(2027, 3, 30)),
    # --- 1 May, 8 May, Ascension 2026 (both Mays on a Friday, Ascension Thu 14) ----------------------
    # Thu 30 Apr: F1 x, S2 (1), M4 (2), T5 (3), W6 (4), T7 (5), F8 x, S9 (6), M11 (7), T12 (8), W13 (9),
    # T14 x, F15 (10)
    (D(2026, 4, 30), 10, OUVRABLES, D(2026, 5, 15)),
    # F1 x, M4 (1) T5 W6 T7 (4), F8 x, M11 T12 W13 (7), T14 x, F15 (8), M18 (9), T19 (10)
    (D(2026, 4, 30), 10, OUVRES, D(2026, 5, 19)),
    # --- Whit Monday 2026 (25 May) --------------------------------------------------------------------
    # Fri 22 May: S23 (1), Sun x, M25 x, T26 (2)
    (D(2026, 5, 22), 2, OUVRABLES, D(2026, 5, 26)),
    (D(2026, 5, 22), 1, OUVRES, D(2026, 5, 26)),
    # --- May 2027: 1 and 8 May on Saturdays, Ascension Thu 6, Whit Monday 17 -----------------------
    # Fri 30 Apr: S1 x, Sun x, M3 (1), T4 (2), W5 (3), T6 x, F7 (4), S8 x, Sun x, M10 (5) .. S15 (10)
    (D(2027, 4, 30), 10, OUVRABLES, D(2027, 5, 15)),
    # ... S15 (10), Sun x, M17 x, T18 (11)
    (D(2027, 4, 30), 11, OUVRABLES, D(2027, 5, 18)),
    # M3 T4 W5 (3), T6 x, F7 (4), M10..F14 (9), M17 x, T18 (10)
    (D(2027, 4, 30), 10, OUVRES, D(2027, 5, 18)),
    # --- 14 July ------------------------------------------------------------------------------------
    # Fri 10 Jul 2026: S11 (1), M13 (2), T14 x, W15 (3), T16 (4), F17 (5)
    (D(2026, 7, 10), 5, OUVRABLES, D(2026, 7, 17)),
    # Mon 13 Jul 2026: T14 x, W15 (1)
    (D(2026, 7, 13), 1, OUVRES, D(2026, 7, 15)),
    # Tue 13 Jul 2027: W14 x, T15 (1)
    (D(2027, 7, 13), 1, OUVRES, D(2027, 7, 15)),
    # --- 15 August 2026, a Saturday ------------------------------------------------------------------
    # Thu 13 Aug: F14 (1), S15 x, Sun x, M17 (2)
    (D(2026, 8, 13), 2, OUVRABLES, D(2026, 8, 17)),
    (D(2026, 8, 14), 1, OUVRABLES, D(2026, 8, 17)),
    (D(2026, 8, 14), 1, OUVRES, D(2026, 8, 17)),
    # --- 1 and 11 November 2027 (Monday, Thursday) ---------------------------------------------------
    # Fri 29 Oct: S30 (1), Sun x, M1 x, T2 (2), W3 (3), T4 (4), F5 (5), S6 (6), M8 (7), T9 (8),
    # W10 (9), T11 x, F12 (10)
    (D(2027, 10, 29), 10, OUVRABLES, D(2027, 11, 12)),
    # M1 x, T2 W3 T4 F5 (4), M8 T9 W10 (7), T11 x, F12 (8), M15 (9), T16 (10)
    (D(2027, 10, 29), 10, OUVRES, D(2027, 11, 16)),
    # 11 November 2026 (Wednesday): Tue 10 -> W11 x, T12 (1)
    (D(2026, 11, 10), 1, OUVRABLES, D(2026, 11, 12)),
    # --- Christmas and the year end ------------------------------------------------------------------
    # Thu 24 Dec 2026: F25 x, S26 (1), Sun x, M28 (2), T29 (3), W30 (4), T31 (5), F1 Jan x, S2 (6),
    # Sun x, M4 (7), T5 (8), W6 (9), T7 (10)
    (D(2026, 12, 24), 10, OUVRABLES, D(2027, 1, 7)),
    # F25 x, M28 T29 W30 T31 (4), F1 x, M4..F8 (9), M11 (10)
    (D(2026, 12, 24), 10, OUVRES, D(2027, 1, 11)),
    # Fri 24 Dec 2027: S25 Christmas x, Sun x, M27 (1)
    (D(2027, 12, 24), 1, OUVRABLES, D(2027, 12, 27)),
    # Thu 30 Dec 2027: F31 (1), S1 Jan 2028 x, Sun x, M3 (2), T4 W5 T6 F7 S8 (7), Sun x, M10 (8),
    # T11 (9), W12 (10)
    (D(2027, 12, 30), 10, OUVRABLES, D(2028, 1, 12)),
    # F31 (1), M3..F7 (6), M10 T11 W12 T13 (10)
    (D(2027, 12, 30), 10, OUVRES, D(2028, 1, 13)),
    # --- Receipt on a Saturday, a Sunday, a holiday ---------------------------------------------------
    # Sat 6 Jun 2026: Sun x, M8 (1) .. S13 (6), Sun x, M15 (7), T16 (8), W17 (9), T18 (10)
    (D(2026, 6, 6), 10, OUVRABLES, D(2026, 6, 18)),
    (D(2026, 6, 6), 10, OUVRES, D(2026, 6, 19)),
    (D(2026, 6, 6), 1, OUVRABLES, D(2026, 6, 8)),
    (D(2026, 6, 6), 1, OUVRES, D(2026, 6, 8)),
    # Sun 7 Jun 2026: the same count as from the Saturday
    (D(2026, 6, 7), 10, OUVRABLES, D(2026, 6, 18)),
    (D(2026, 6, 7), 10, OUVRES, D(2026, 6, 19)),
    (D(2026, 6, 7), 1, OUVRABLES, D(2026, 6, 8)),
    # Easter Monday 6 Apr 2026: T7 (1) W8 T9 F10 S11 (5), Sun x, M13 (6) .. F17 (10)
    (D(2026, 4, 6), 10, OUVRABLES, D(2026, 4, 17)),
    # Ascension Thu 14 May 2026: F15 (1)
    (D(2026, 5, 14), 1, OUVRES, D(2026, 5, 15)),
    # New Year's Day, Fri 1 Jan 2027: Sat 2 (1) ouvrable; Mon 4 (1) ouvré
    (D(2027, 1, 1), 1, OUVRABLES, D(2027, 1, 2)),
    (D(2027, 1, 1), 1, OUVRES, D(2027, 1, 4)),
]


@pytest.mark.parametrize(("start", "days", "mode", "expected"), CASES)
def test_add_working_days(start, days, mode, expected):
    assert add_working_days(start, days, mode=mode) == expected


@pytest.mark.parametrize(("start", "days", "mode", "expected"), CASES)
def test_working_days_between_counts_the_same_days_back(start, days, mode, expected):
    assert calendar.working_days_between(start, expected, mode=mode) == days


def test_the_result_is_a_working_day():
    for start, days, mode, expected in CASES:
        assert calendar.is_working_day(expected, mode=mode), (start, days, mode)


def test_the_default_mode_comes_from_settings(settings):
    settings.WORKING_DAYS_MODE = OUVRABLES
    assert add_working_days(D(2026, 6, 5), 1) == D(2026, 6, 6)  # Friday -> Saturday
    settings.WORKING_DAYS_MODE = OUVRES
    assert add_working_days(D(2026, 6, 5), 1) == D(2026, 6, 8)  # Friday -> Monday


def test_it_rejects_an_unknown_mode_and_negative_days():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 6, 5), 1, mode="calendaires")
    with pytest.raises(ValueError):
        add_working_days(D(2026, 6, 5), -1)


# --- Calendar days and time of day -------------------------------------------------------------------


def test_add_calendar_days_keeps_the_local_time_across_spring_dst():
    # Paris moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
    start = dt.datetime(2026, 3, 27, 10, 0, tzinfo=PARIS)
    result = add_calendar_days(start, 10)
    assert result == dt.datetime(2026, 4, 6, 8, 0, tzinfo=UTC)
    assert result.astimezone(PARIS).replace(tzinfo=None) == dt.datetime(2026, 4, 6, 10, 0)
    # Elapsed time, measured in UTC (subtracting two Paris datetimes would compare wall clocks).
    assert result.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(days=10, hours=-1)


def test_add_calendar_days_keeps_the_local_time_across_autumn_dst():
    # Paris moves from UTC+2 to UTC+1 on Sunday 25 October 2026.
    start = dt.datetime(2026, 10, 20, 10, 0, tzinfo=UTC)  # 12:00 in Paris
    result = add_calendar_days(start, 10)
    assert result == dt.datetime(2026, 10, 30, 11, 0, tzinfo=UTC)  # 12:00 in Paris
    assert result - start == dt.timedelta(days=10, hours=1)


def test_add_calendar_days_late_evening_on_the_dst_night():
    start = dt.datetime(2026, 3, 28, 23, 30, tzinfo=PARIS)  # 22:30 UTC
    assert add_calendar_days(start, 1) == dt.datetime(2026, 3, 29, 21, 30, tzinfo=UTC)


def test_add_calendar_days_across_the_year_end():
    start = dt.datetime(2026, 12, 21, 9, 0, tzinfo=PARIS)
    assert add_calendar_days(start, 11) == dt.datetime(2027, 1, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "utc"),
    [
        (D(2026, 1, 15), dt.datetime(2026, 1, 15, 22, 59, 59, 999999, tzinfo=UTC)),  # winter, UTC+1
        (D(2026, 7, 15), dt.datetime(2026, 7, 15, 21, 59, 59, 999999, tzinfo=UTC)),  # summer, UTC+2
        (D(2026, 3, 29), dt.datetime(2026, 3, 29, 21, 59, 59, 999999, tzinfo=UTC)),  # spring change day
        (D(2026, 10, 25), dt.datetime(2026, 10, 25, 22, 59, 59, 999999, tzinfo=UTC)),  # autumn change day
        (D(2026, 12, 31), dt.datetime(2026, 12, 31, 22, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_end_of_day_is_the_last_instant_of_the_paris_day(day, utc):
    moment = end_of_day(day)
    assert moment == utc
    assert calendar.local_date(moment) == day
    assert calendar.local_date(moment + dt.timedelta(microseconds=1)) == day + dt.timedelta(days=1)


def test_local_date_is_the_paris_date():
    assert calendar.local_date(dt.datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == D(2026, 7, 1)
    assert calendar.local_date(dt.datetime(2026, 6, 30, 21, 59, tzinfo=UTC)) == D(2026, 6, 30)


@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2027, 1, 31), 1, dt.date(2027, 2, 28)),
    (dt.date(2028, 8, 31), 6, dt.date(2029, 2, 28)),
    (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),
    (dt.date(2027, 5, 20), -3, dt.date(2027, 2, 20)),
    (dt.date(2027, 5, 31), -3, dt.date(2027, 2, 28)),
    (dt.date(2027, 12, 15), 1, dt.date(2028, 1, 15)),
])
def test_add_months_clamps_to_the_month_end(day, months, expected):
    assert calendar.add_months(day, months) == expected


def test_months_elapsed_counts_whole_months():
    start = dt.date(2027, 1, 31)
    assert calendar.months_elapsed(start, dt.date(2027, 2, 27)) == 0
    assert calendar.months_elapsed(start, dt.date(2027, 2, 28)) == 1
    assert calendar.months_elapsed(start, dt.date(2027, 7, 31)) == 6
    assert calendar.add_days(dt.date(2027, 2, 20), 11) == dt.date(2027, 3, 3)

"""Dates without Django (crm/core/days.py): the window, safe arithmetic, the local day and midnight, ISO days."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta

from crm.core import days

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
KIRITIMATI = zoneinfo.ZoneInfo("Pacific/Kiritimati")  # UTC+14
NIUE = zoneinfo.ZoneInfo("Pacific/Niue")  # UTC-11


def test_the_window() -> None:
    assert (date(1970, 1, 1), date(2100, 12, 31)) == (days.FIRST_DAY, days.LAST_DAY)
    assert datetime(2101, 1, 1, tzinfo=UTC) == days.END_MOMENT
    assert days.clamp_day(date(1, 1, 1)) == days.FIRST_DAY
    assert days.clamp_day(date(9999, 1, 1)) == days.LAST_DAY
    assert days.clamp_moment(datetime(3000, 1, 1, tzinfo=UTC)) == days.END_MOMENT - timedelta(minutes=1)


def test_adding_never_overflows() -> None:
    assert days.add_days(date(2026, 3, 1), 30) == date(2026, 3, 31)
    assert days.add_days(date.max, 1) == date.max
    assert days.add_days(date.min, -1) == date.min
    assert days.add_to_moment(datetime.max.replace(tzinfo=UTC), timedelta(days=1)) == datetime.max.replace(
        tzinfo=UTC
    )


def test_the_local_day_on_both_sides_of_the_date_line() -> None:
    moment = datetime(2026, 3, 20, 11, 0, tzinfo=UTC)
    assert days.local_day(moment, KIRITIMATI) == date(2026, 3, 21)
    assert days.local_day(moment, NIUE) == date(2026, 3, 20)
    assert days.local_day(datetime(2026, 3, 20, 23, 30, tzinfo=UTC), PARIS) == date(2026, 3, 21)


def test_local_midnight_across_a_clock_change_and_held_in_the_window() -> None:
    # Paris moves to summer time on 29 March 2026: midnight is still 23:00 UTC the evening before.
    assert days.local_midnight(date(2026, 3, 29), PARIS) == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert days.local_midnight(date(2026, 3, 30), PARIS) == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert days.local_midnight(date(1, 1, 1), KIRITIMATI).date() == days.FIRST_DAY


def test_iso_days_keep_their_zeros() -> None:
    assert days.iso_day(date(987, 6, 5)) == "0987-06-05"
    assert days.iso_minute(datetime(2026, 9, 5, 14, 30)) == "2026-09-05T14:30"
    assert days.iso_minute(datetime(2026, 9, 5, 14, 30, 7)) == "2026-09-05T14:30:07"

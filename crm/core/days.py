"""Dates without Django: the book's window, safe arithmetic, the local day and midnight, ISO days.

The window (docs/architecture.md, "Dates: the window"): every date and time of the book lies between
`FIRST_DAY` and `LAST_DAY`, both included; date-times as instants in UTC, from `FIRST_MOMENT` up to, not
including, `END_MOMENT`. 1970 is before any freelancer's oldest client; 2100 leaves room for long promises while
keeping every "date plus a cadence" computation far from Python's `date.max` (9999-12-31) and PostgreSQL's
limits. Django's side of the window (validators, named check constraints) is `crm/core/dates.py`.

Plain Python: the trust formula imports it (tests/test_architecture.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2100, 12, 31)
# Datetimes are bounded as instants in UTC: [1970-01-01 00:00 UTC, 2101-01-01 00:00 UTC).
FIRST_MOMENT = datetime.combine(FIRST_DAY, time(), tzinfo=UTC)
END_MOMENT = datetime.combine(LAST_DAY + timedelta(days=1), time(), tzinfo=UTC)
# Interactions are things that happened: they may not lie more than this after "now" (a form rule: "now" cannot be
# a database constraint). It absorbs a call logged as it ends and clocks a little apart.
FUTURE_TOLERANCE = timedelta(minutes=15)


def clamp_day(value: date) -> date:
    """Bring a date back into the window (the data migrations use it on rows stored before the window)."""
    return min(max(value, FIRST_DAY), LAST_DAY)


def clamp_moment(value: datetime) -> datetime:
    """Bring an instant back into the window, keeping it aware."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if moment < FIRST_MOMENT:
        return FIRST_MOMENT
    if moment >= END_MOMENT:
        return END_MOMENT - timedelta(minutes=1)
    return value


def add_days(day: date, days: int) -> date:
    """Return `day + days`, held at `date.min`/`date.max` instead of overflowing.

    The window makes stored dates safe, but a computation that adds a cadence or a horizon to a stored bound
    (or to a row written before the window existed) must still never raise `OverflowError`.
    """
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def add_to_moment(moment: datetime, delta: timedelta) -> datetime:
    """Return `moment + delta`, held at the largest/smallest representable aware datetime instead of overflowing."""
    try:
        return moment + delta
    except OverflowError:
        edge = datetime.max if delta > timedelta(0) else datetime.min
        return edge.replace(tzinfo=moment.tzinfo) if moment.tzinfo is not None else edge


def local_day(moment: datetime, zone: tzinfo | None) -> date:
    """Return the day `moment` falls on in `zone` (the moment's own offset when no zone is given)."""
    return moment.astimezone(zone).date() if zone is not None else moment.date()


def local_midnight(day: date, zone: tzinfo | None) -> datetime:
    """Return the instant `day` starts in `zone`, the day held in the window.

    Midnight of year 1 east of UTC has no UTC instant: one such row must not stop the nightly job of every
    freelancer, so the day is first brought into the window.
    """
    return datetime.combine(clamp_day(day), time(), tzinfo=zone)


def iso_day(value: date) -> str:
    """Return `value` as `yyyy-mm-dd` (strftime drops the zero padding of years before 1000 on some systems)."""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def iso_minute(value: datetime) -> str:
    """Return `value` as `yyyy-mm-ddThh:mm` (`datetime-local`'s own format), seconds added only when set."""
    text = f"{iso_day(value)}T{value.hour:02d}:{value.minute:02d}"
    return f"{text}:{value.second:02d}" if value.second or value.microsecond else text

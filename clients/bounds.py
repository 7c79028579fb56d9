"""The window every date of the book lives in, defined once (docs/architecture.md, "Dates: the window").

Every date and time a freelancer enters (or the app stores on their behalf) lies between `FIRST_DAY` and
`LAST_DAY`, both included: model validators give forms and the admin a clear message, and named database
`CheckConstraint`s (built here, used by the models of `clients`, `conflicts` and `crm`) refuse anything else.
1970 is before any freelancer's oldest client; 2100 leaves room for long promises while keeping every
"date plus a cadence" computation far from Python's `date.max` (9999-12-31) and PostgreSQL's limits.

Interactions are things that happened: they may not lie more than `FUTURE_TOLERANCE` after "now" (a form rule:
"now" cannot be a database constraint). The tolerance absorbs a call logged as it ends and clocks a little apart.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _

FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2100, 12, 31)
# Datetimes are bounded as instants in UTC: [1970-01-01 00:00 UTC, 2101-01-01 00:00 UTC).
FIRST_MOMENT = datetime.combine(FIRST_DAY, time(), tzinfo=UTC)
END_MOMENT = datetime.combine(LAST_DAY + timedelta(days=1), time(), tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(minutes=15)


def _window_error(code: str = "date_out_of_window") -> ValidationError:
    return ValidationError(
        _("Enter a date between %(first)s and %(last)s."),
        code=code,
        params={"first": formats.date_format(FIRST_DAY), "last": formats.date_format(LAST_DAY)},
    )


def validate_day_in_window(value: date | None) -> None:
    """Refuse a date outside the window (a datetime is checked as an instant, see `validate_moment_in_window`)."""
    if value is None:
        return
    if isinstance(value, datetime):
        validate_moment_in_window(value)
        return
    if not FIRST_DAY <= value <= LAST_DAY:
        raise _window_error()


def validate_moment_in_window(value: datetime | None) -> None:
    """Refuse an instant outside the window (naive values are taken as UTC, as the database stores them)."""
    if value is None:
        return
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not FIRST_MOMENT <= moment < END_MOMENT:
        raise _window_error()


def in_window(field: str, *, moment: bool = False, nullable: bool = False) -> Q:
    """Return the condition "`field` lies in the window" (true for NULL when the column is nullable)."""
    if moment:
        condition = Q(**{f"{field}__gte": FIRST_MOMENT, f"{field}__lt": END_MOMENT})
    else:
        condition = Q(**{f"{field}__gte": FIRST_DAY, f"{field}__lte": LAST_DAY})
    return Q(**{f"{field}__isnull": True}) | condition if nullable else condition


class WindowConstraint(models.CheckConstraint):
    """A check constraint keeping one column in the window, validated in Python by `full_clean()`.

    Django validates a `CheckConstraint` by asking the database (one query each); a form saving a promise
    would spend six queries on what a comparison answers. The database still enforces the condition itself.
    """

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: Any = None) -> None:
        for name in self.condition.referenced_base_fields:
            if exclude and name in exclude:
                continue
            value = getattr(instance, model._meta.get_field(name).attname)
            try:
                validate_day_in_window(value)
            except ValidationError:
                raise ValidationError(
                    self.get_violation_error_message(), code=self.violation_error_code
                ) from None


def window_constraint(
    prefix: str, field: str, *, moment: bool = False, nullable: bool = False
) -> WindowConstraint:
    """Return the named database constraint keeping `field` in the window (`<prefix>_<field>_in_window`)."""
    return WindowConstraint(
        condition=in_window(field, moment=moment, nullable=nullable),
        name=f"{prefix}_{field}_in_window",
    )


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

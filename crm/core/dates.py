"""Dates with Django: the window's validators and named check constraints, and days written in the language.

The window itself, the safe arithmetic and the local day are plain Python in `crm/core/days.py` (re-exported
here, so a model imports its dates from one place). The window is enforced twice: model field validators give
forms and the admin a clear message, and one named database `CheckConstraint` per column refuses anything else.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from crm.core.checks import CheckConstraint
from crm.core.days import (
    END_MOMENT,
    FIRST_DAY,
    FIRST_MOMENT,
    FUTURE_TOLERANCE,
    LAST_DAY,
    add_days,
    add_to_moment,
    clamp_day,
    clamp_moment,
    iso_day,
    iso_minute,
    local_day,
    local_midnight,
)

__all__ = [
    "DAY",
    "END_MOMENT",
    "DAY_PATTERNS",
    "FIRST_DAY",
    "FULL_DAY",
    "LONG_DAY",
    "FIRST_MOMENT",
    "FUTURE_TOLERANCE",
    "LAST_DAY",
    "SHORT_DAY",
    "WindowConstraint",
    "add_days",
    "add_to_moment",
    "clamp_day",
    "clamp_moment",
    "in_window",
    "iso_day",
    "iso_minute",
    "local_day",
    "local_midnight",
    "validate_day_in_window",
    "validate_moment_in_window",
    "window_constraint",
    "written_day",
]

# How days are written out, one way per language: English month first (as Django's own "Dec. 13, 2026" is),
# French day first. DAY in a list ("Friday, November 20", "vendredi 20 novembre"), SHORT_DAY for a due date
# ("November 20", "20 novembre"), LONG_DAY with its year ("November 20, 2026"), FULL_DAY with its weekday and
# year. A pattern not named here is used as it is.
DAY, SHORT_DAY, LONG_DAY, FULL_DAY = "day", "short_day", "long_day", "full_day"
DAY_PATTERNS = {
    "en": {DAY: "l, F j", SHORT_DAY: "F j", LONG_DAY: "F j, Y", FULL_DAY: "l, F j, Y"},
    "fr": {DAY: "l j F", SHORT_DAY: "j F", LONG_DAY: "j F Y", FULL_DAY: "l j F Y"},
}


def window_error(code: str = "date_out_of_window") -> ValidationError:
    """Return the error saying a date lies outside the window, its bounds written in the active language."""
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
        raise window_error()


def validate_moment_in_window(value: datetime | None) -> None:
    """Refuse an instant outside the window (naive values are taken as UTC, as the database stores them)."""
    if value is None:
        return
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not FIRST_MOMENT <= moment < END_MOMENT:
        raise window_error()


def in_window(field: str, *, moment: bool = False, nullable: bool = False) -> Q:
    """Return the condition "`field` lies in the window" (true for NULL when the column is nullable)."""
    if moment:
        condition = Q(**{f"{field}__gte": FIRST_MOMENT, f"{field}__lt": END_MOMENT})
    else:
        condition = Q(**{f"{field}__gte": FIRST_DAY, f"{field}__lte": LAST_DAY})
    return Q(**{f"{field}__isnull": True}) | condition if nullable else condition


class WindowConstraint(CheckConstraint):
    """A check constraint keeping one column in the window (`in_window`), validated in Python by `full_clean()`
    from the same condition (`crm.core.checks`): no query for what a comparison answers."""


def window_constraint(
    prefix: str, field: str, *, moment: bool = False, nullable: bool = False
) -> WindowConstraint:
    """Return the named database constraint keeping `field` in the window (`<prefix>_<field>_in_window`)."""
    return WindowConstraint(
        condition=in_window(field, moment=moment, nullable=nullable),
        name=f"{prefix}_{field}_in_window",
    )


def written_day(day: date, pattern: str = DAY) -> str:
    """Return `day` written out in the active language ("Friday 20 November", "vendredi 20 novembre").

    The subject, the text and the HTML part of an email say the same days, and most freelancers' digests say the
    same week: each day is written once per worker and language (the date filter costs more than the rest).
    """
    return _written_day(day, pattern, get_language())


@lru_cache(maxsize=1024)
def _written_day(day: date, pattern: str, language: str | None) -> str:
    patterns = DAY_PATTERNS.get((language or "en").split("-")[0], DAY_PATTERNS["en"])
    return formats.date_format(day, patterns.get(pattern, pattern))

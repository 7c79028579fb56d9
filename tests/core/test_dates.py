"""The window's Django side (crm/core/dates.py): validators in words, named constraints, written days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from clients import bounds
from crm.core import dates


def test_a_day_outside_the_window_is_refused_in_words() -> None:
    dates.validate_day_in_window(date(2100, 12, 31))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        dates.validate_day_in_window(date(2101, 1, 1))
    assert "Enter a date between Jan. 1, 1970 and Dec. 31, 2100." in refused.value.messages


def test_an_instant_is_checked_in_utc() -> None:
    dates.validate_moment_in_window(datetime(2100, 12, 31, 23, 59, tzinfo=UTC))
    with pytest.raises(ValidationError):
        dates.validate_moment_in_window(datetime(2101, 1, 1, tzinfo=UTC))


def test_the_constraint_is_named_after_its_column() -> None:
    constraint = dates.window_constraint("promise", "due_on", nullable=True)
    assert constraint.name == "promise_due_on_in_window"
    assert isinstance(constraint, dates.WindowConstraint)


def test_the_frozen_migrations_path_names_the_floors_objects() -> None:
    # clients/bounds.py is a re-export for the migrations that name it, not a second definition.
    assert bounds.validate_day_in_window is dates.validate_day_in_window
    assert bounds.validate_moment_in_window is dates.validate_moment_in_window
    assert bounds.WindowConstraint is dates.WindowConstraint


def test_a_written_day_follows_the_language() -> None:
    # One order per language: English month first (as Django's own "Nov. 20, 2026"), French day first.
    with translation.override("en"):
        assert dates.written_day(date(2026, 11, 20)) == "Friday, November 20"
        assert dates.written_day(date(2026, 11, 20), dates.SHORT_DAY) == "November 20"
        assert dates.written_day(date(2026, 11, 20), dates.FULL_DAY) == "Friday, November 20, 2026"
    with translation.override("fr"):
        assert dates.written_day(date(2026, 11, 20)) == "vendredi 20 novembre"
        assert dates.written_day(date(2026, 11, 20), dates.SHORT_DAY) == "20 novembre"
        assert dates.written_day(date(2026, 11, 20), dates.FULL_DAY) == "vendredi 20 novembre 2026"

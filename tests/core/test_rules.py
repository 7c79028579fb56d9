"""The rules every face answers alike (crm/core/rules.py), at their boundaries."""

from __future__ import annotations

from datetime import date

import pytest

from crm.core import rules

TODAY = date(2026, 3, 20)
YESTERDAY = date(2026, 3, 19)
TOMORROW = date(2026, 3, 21)


# -- days late and the effective due date ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due_on", "paid_on", "expected"),
    [
        (TODAY, None, 0),  # due today: not late yet
        (YESTERDAY, None, 1),  # due yesterday, unpaid: one day late
        (TOMORROW, None, 0),  # not due yet
        (date(2026, 3, 1), date(2026, 3, 11), 10),  # paid late: counted up to the payment, not today
        (date(2026, 3, 1), date(2026, 2, 25), 0),  # paid early
        (date(2026, 3, 1), date(2026, 3, 1), 0),  # paid on the due day
        (date(2026, 3, 1), date(2026, 4, 1), 19),  # a payment dated after today has not happened yet
    ],
)
def test_days_late(due_on: date, paid_on: date | None, expected: int) -> None:
    assert rules.days_late(due_on, TODAY, paid_on) == expected


def test_the_renegotiated_date_is_the_effective_due_date() -> None:
    assert rules.effective_due_on(YESTERDAY, None) == YESTERDAY
    assert rules.effective_due_on(YESTERDAY, TOMORROW) == TOMORROW
    # Renegotiated: no longer late although the first due date has passed.
    assert rules.days_late(rules.effective_due_on(date(2026, 3, 1), TOMORROW), TODAY) == 0


# -- overdue, to settle ---------------------------------------------------------------------------------------


def test_due_today_is_not_overdue_due_yesterday_is() -> None:
    assert not rules.is_overdue(TODAY, TODAY)
    assert rules.is_overdue(YESTERDAY, TODAY)


def test_a_promise_is_to_settle_after_the_settle_delay_not_on_its_last_day() -> None:
    assert rules.SETTLE_AFTER_DAYS == 30
    last_day_open = date(2026, 2, 18)  # 30 days before today
    assert not rules.is_to_settle(last_day_open, TODAY)
    assert rules.is_to_settle(date(2026, 2, 17), TODAY)
    assert rules.settle_before(TODAY) == last_day_open


def test_a_feeling_counts_for_its_days_then_expires() -> None:
    felt_on = date(2026, 3, 1)
    assert rules.feeling_expires_on(felt_on) == date(2026, 3, 31)
    assert rules.feeling_in_force(felt_on, felt_on)
    assert rules.feeling_in_force(felt_on, date(2026, 3, 30))
    assert not rules.feeling_in_force(felt_on, date(2026, 3, 31))
    assert not rules.feeling_in_force(felt_on, date(2026, 2, 28))  # not given yet


# -- status updates -------------------------------------------------------------------------------------------


def test_a_status_update_is_due_a_cadence_after_the_last_one() -> None:
    assert rules.status_update_due_on(date(2026, 3, 13), 7) == TODAY


def away(*periods: tuple[date, date | None]) -> rules.Spans:
    return rules.away_spans(periods)


def test_an_absence_holds_the_status_update_until_the_day_after_it() -> None:
    assert rules.status_update_due_on(date(2026, 3, 13), 7, away((date(2026, 3, 1), TODAY))) == TOMORROW
    # An absence that ended before the due day changes nothing, nor one that starts after it.
    assert (
        rules.status_update_due_on(date(2026, 3, 13), 7, away((date(2026, 3, 1), date(2026, 3, 15)))) == TODAY
    )
    assert rules.status_update_due_on(date(2026, 3, 13), 7, away((TOMORROW, None))) == TODAY
    # Two absences back to back are one: the update is due after the second.
    back_to_back = away((date(2026, 3, 18), TODAY), (TOMORROW, date(2026, 3, 25)))
    assert rules.status_update_due_on(date(2026, 3, 13), 7, back_to_back) == date(2026, 3, 26)
    # An open absence holds it until further notice.
    assert rules.status_update_due_on(date(2026, 3, 13), 7, away((date(2026, 3, 18), None))) == date.max


def test_the_due_day_never_overflows() -> None:
    assert rules.status_update_due_on(date.max, 7) == date.max


@pytest.mark.parametrize(
    ("paused", "periods", "expected"),
    [
        (False, (), False),
        (True, (), True),  # paused: away without an end
        (False, ((date(2026, 3, 1), TODAY),), True),  # away up to today included
        (False, ((date(2026, 3, 1), YESTERDAY),), False),  # back today
        (False, ((TOMORROW, None),), False),  # leaves tomorrow
        (False, ((TODAY, None),), True),  # left today, until further notice
    ],
)
def test_is_away(paused: bool, periods: tuple, expected: bool) -> None:
    assert rules.is_away(TODAY, paused=paused, spans=away(*periods)) is expected


def test_a_client_is_away_when_every_active_project_is_paused() -> None:
    both = rules.away_spans((), [[(date(2026, 3, 1), None)], [(date(2026, 3, 10), date(2026, 3, 20))]])
    assert both == ((date(2026, 3, 10), date(2026, 3, 20)),)
    # One active project never paused: the client is not away.
    assert rules.away_spans((), [[(date(2026, 3, 1), None)], []]) == ()
    # No active project: nothing is paused.
    assert rules.away_spans((), []) == ()


def test_days_away_counts_the_days_of_the_absences_within_the_range() -> None:
    spans = away((date(2026, 3, 1), date(2026, 3, 5)), (date(2026, 3, 10), None))
    assert rules.days_away(date(2026, 3, 3), date(2026, 3, 12), spans) == 3 + 3
    assert rules.days_away(date(2026, 3, 6), date(2026, 3, 9), spans) == 0


@pytest.mark.parametrize(
    ("due_on", "active", "periods", "listed"),
    [
        (date(2026, 3, 10), True, (), True),  # lapsed
        (TODAY, True, (), True),  # due today
        (TOMORROW, True, (), True),  # due tomorrow: coming (STATUS_UPDATE_COMING_DAYS)
        (date(2026, 3, 22), True, (), False),  # due the day after: not yet
        (date(2026, 3, 10), False, (), False),  # paused, prospect or former: none due
        (date(2026, 3, 10), True, ((date(2026, 3, 1), TODAY),), False),  # away up to today
        (date(2026, 3, 10), True, ((date(2026, 3, 1), YESTERDAY),), True),  # back from an absence
    ],
)
def test_status_update_listed(due_on: date, active: bool, periods: tuple, listed: bool) -> None:
    assert rules.STATUS_UPDATE_COMING_DAYS == 1
    assert rules.status_update_listed(due_on, TODAY, active=active, spans=away(*periods)) is listed


def test_status_update_days_late_counts_the_days_left_negative() -> None:
    assert rules.status_update_days_late(YESTERDAY, TODAY) == 1
    assert rules.status_update_days_late(TODAY, TODAY) == 0
    assert rules.status_update_days_late(TOMORROW, TODAY) == -1


def test_the_trust_formula_and_the_models_share_the_floors_delays() -> None:
    from crm.trust import formula

    assert formula.SETTLE_AFTER_DAYS is rules.SETTLE_AFTER_DAYS
    assert formula.status_update_due_on is rules.status_update_due_on

"""When a payment reminder is due: the steps' days, their spacing, and the freelancer's hour across DST."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

from crm.payments.schedule import COURTEOUS, FIRM, FORMAL_NOTICE, next_step, send_moment

DUE = date(2026, 10, 1)
DAYS = (3, 15, 30)
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def test_the_steps_come_on_their_days_after_the_due_date() -> None:
    assert next_step(DUE, DAYS, {}) == (COURTEOUS, date(2026, 10, 4))
    assert next_step(DUE, DAYS, {COURTEOUS: date(2026, 10, 4)}) == (FIRM, date(2026, 10, 16))
    assert next_step(DUE, DAYS, {COURTEOUS: date(2026, 10, 4), FIRM: date(2026, 10, 16)}) == (
        FORMAL_NOTICE,
        date(2026, 10, 31),
    )
    assert next_step(DUE, DAYS, {1: DUE, 2: DUE, 3: DUE}) is None


def test_a_step_decided_late_pushes_the_next_one_by_the_gap_between_them() -> None:
    # The courteous reminder was only approved on 20 October: the firmer one waits 12 days after it, not 16 Oct.
    assert next_step(DUE, DAYS, {COURTEOUS: date(2026, 10, 20)}) == (FIRM, date(2026, 11, 1))


def test_the_reminder_goes_out_at_the_freelancers_hour_on_both_sides_of_a_dst_change() -> None:
    # Paris leaves summer time on 25 October 2026: 09:00 is 07:00 UTC before, 08:00 UTC after.
    assert send_moment(date(2026, 10, 24), 9, PARIS) == datetime(2026, 10, 24, 7, 0, tzinfo=UTC)
    assert send_moment(date(2026, 10, 25), 9, PARIS) == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    new_york = zoneinfo.ZoneInfo("America/New_York")  # leaves summer time a week later, on 1 November
    assert send_moment(date(2026, 10, 31), 9, new_york) == datetime(2026, 10, 31, 13, 0, tzinfo=UTC)
    assert send_moment(date(2026, 11, 1), 9, new_york) == datetime(2026, 11, 1, 14, 0, tzinfo=UTC)


def test_an_hour_skipped_by_the_spring_change_moves_forward() -> None:
    # 02:00 does not exist in Paris on 29 March 2026 (the clocks jump to 03:00): it is sent at 03:00 local.
    assert send_moment(date(2026, 3, 29), 2, PARIS) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)

"""When each payment reminder of an overdue invoice is due: plain functions, no Django.

Three steps, counted in the freelancer's days after the invoice's due date (theirs, or the client's own):
courteous, firmer, formal notice. One step at a time: the next is due on its day after the due date, and never
sooner after the previous step was decided (sent or skipped) than the gap between the two steps' days, so a
reminder approved late is not followed by the next one the day after. A reminder goes out at the freelancer's
own hour, on their local day, whatever the time zone and its daylight-saving changes.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

COURTEOUS, FIRM, FORMAL_NOTICE = 1, 2, 3
STEPS = (COURTEOUS, FIRM, FORMAL_NOTICE)


def next_step(due_on: date, days: Sequence[int], decided: dict[int, date]) -> tuple[int, date] | None:
    """Return the next step and the local day it is due, or None when the sequence is over.

    `days` are the three steps' days after `due_on`; `decided` maps each step already sent or skipped to the
    local day it was.
    """
    for step in STEPS:
        if step in decided:
            continue
        day = due_on + timedelta(days=days[step - 1])
        previous = decided.get(step - 1)
        if previous is not None:
            day = max(day, previous + timedelta(days=days[step - 1] - days[step - 2]))
        return step, day
    return None


def preparation_day(
    due_on: date, days: Sequence[int], decided: dict[int, date], *, pending: bool
) -> date | None:
    """Return the local day the planner prepares the invoice's next reminder (`next_step`'s day), or None when
    it has nothing to prepare whatever the day: a step awaits the freelancer's decision (`pending`), or the
    sequence is over. An unpaid invoice only; a step's day is always after `due_on` (every step's days >= 1)."""
    if pending:
        return None
    step = next_step(due_on, days, decided)
    return None if step is None else step[1]


def send_moment(day: date, hour: int, zone: zoneinfo.ZoneInfo) -> datetime:
    """Return the instant (UTC) of `hour` o'clock on the local `day` in `zone`.

    zoneinfo resolves the wall-clock time itself: 09:00 stays 09:00 on both sides of a daylight-saving change
    (and an hour that does not exist that day, skipped by the change, moves forward with it).
    """
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)

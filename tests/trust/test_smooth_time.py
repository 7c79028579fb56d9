"""Smooth time (issue 22, item 1): with nothing happening, a client's score moves by at most 3 points in a minute.

Every grace and expiry of the formula is a ramp read on a clock of fractional local days (`formula.day_clock`): an
open promise past due grows in weight, an unpaid invoice too, a lapse of status updates comes in over two days, a
feeling fades over its last week. This property draws random books and evaluates each twice, one minute apart,
with no event between the two: every event of the book is dated on or before the first moment (a date on its local
day or before). The moments are drawn in time zones on both sides of the date line and with daylight saving time,
near midnight and near the days the clocks change, so the minute often straddles a local midnight.

Pure formula, no database: CI's profile (FUZZ_PROFILE=ci, or CI=true) runs 2,000 books in a few seconds; the
default runs 300. SMOOTH_TIME_EXAMPLES=20000 measures more once.
"""

from __future__ import annotations

import os
import random
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.core import rules
from crm.core.days import local_day
from crm.trust.formula import ClientFacts, ConflictFact, InteractionFact, InvoiceFact, PromiseFact, compute

MAX_JUMP = 3  # points, between two evaluations a minute apart with no event between them

_PROFILE = os.environ.get("FUZZ_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
EXAMPLES = int(os.environ.get("SMOOTH_TIME_EXAMPLES") or (2000 if _PROFILE == "ci" else 300))
SMOOTH = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Both sides of the date line (UTC+14 and UTC-11), and zones whose clocks change (Paris, Auckland, Los Angeles,
# Lord Howe by half an hour, Santiago at midnight itself).
ZONES = [
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Europe/Paris",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Australia/Lord_Howe",
    "America/Santiago",
    "UTC",
]
# Days around which the clocks change in 2026 in one of the zones above, and a plain day.
DAYS = [
    date(2026, 3, 8),  # Los Angeles, spring forward
    date(2026, 3, 29),  # Paris, spring forward
    date(2026, 4, 5),  # Auckland, Lord Howe, Santiago: back
    date(2026, 9, 6),  # Santiago: forward at midnight
    date(2026, 9, 27),  # Auckland: forward
    date(2026, 10, 4),  # Lord Howe: forward half an hour
    date(2026, 10, 25),  # Paris: back
    date(2026, 11, 1),  # Los Angeles: back
    date(2026, 6, 15),
]


def moment(rnd: random.Random, zone: zoneinfo.ZoneInfo) -> datetime:
    """Return an instant (in UTC) within minutes of a local midnight, or at any minute of the day, near a change
    of the clocks."""
    day = rnd.choice(DAYS) + timedelta(days=rnd.randint(-2, 2))
    minute = rnd.randint(-6, 5) if rnd.random() < 0.6 else rnd.randint(0, 24 * 60 - 1)
    local = datetime.combine(day, time(), tzinfo=zone) + timedelta(minutes=minute)
    # Read through UTC so an hour skipped or repeated by the clocks is a real instant.
    return local.astimezone(UTC)


def book(rnd: random.Random, zone: zoneinfo.ZoneInfo, first: datetime) -> ClientFacts:
    """Return a random book in which everything has happened on or before `first` (dates on its local day).

    Built with a `random.Random` seeded by hypothesis: a hundred hypothesis draws per book cost ten times the two
    evaluations; the failure message prints the book instead of a shrunk one.
    """
    today = local_day(first, zone)
    ids = iter(range(1, 10_000))

    def past_day(most: int = 400) -> date:
        return today - timedelta(days=rnd.randint(0, most))

    def around(low: int = -120, high: int = 40) -> date:
        return today + timedelta(days=rnd.randint(low, high))

    def after(first_day: date) -> date:
        return min(first_day + timedelta(days=rnd.randint(0, 60)), today)

    def maybe(value: date) -> date | None:
        return value if rnd.random() < 0.5 else None

    def past_moment(most_days: int = 400) -> datetime:
        return first - timedelta(minutes=rnd.randint(0, most_days * 24 * 60))

    promises = []
    for _ in range(rnd.randint(0, 8)):
        made = past_day()
        due = max(made, around())
        state = rnd.choice(["open", "open", "kept", "broken", "dropped"])
        ended = after(made) if state != "open" else None
        promises.append(
            PromiseFact(
                next(ids),
                made,
                due,
                state,
                kept_on=ended if state == "kept" else None,
                broken_on=ended if state == "broken" else None,
                clarified_on=maybe(after(made)),
                promisor=rnd.choice(["freelancer", "client"]),
                dropped_on=ended if state == "dropped" else None,
            )
        )
    invoices = []
    for _ in range(rnd.randint(0, 6)):
        issued = past_day()
        due = issued + timedelta(days=rnd.randint(0, 60))
        renegotiated = due + timedelta(days=rnd.randint(1, 60)) if rnd.random() < 0.3 else None
        reminders = tuple(
            (after(due) if due <= today else today, step) for step in range(1, rnd.randint(0, 3) + 1)
        )
        invoices.append(
            InvoiceFact(
                next(ids),
                Decimal(rnd.randint(1, 2_000_000)) / 100,
                issued,
                due,
                maybe(after(issued)),
                renegotiated,
                rnd.choice(["EUR", "EUR", "USD"]),
                reminders,
            )
        )
    conflicts = [
        ConflictFact(
            next(ids),
            rnd.choice(["ideas", "interests", "payment", "posture"]),
            rnd.randint(1, 3),
            observed := past_day(),
            maybe(after(observed)),
        )
        for _ in range(rnd.randint(0, 3))
    ]
    interactions = [
        InteractionFact(
            next(ids),
            past_moment(60),
            rnd.choice(["email", "call", "status_update"]),
            rnd.choice(["to_client", "from_client"]),
        )
        for _ in range(rnd.randint(0, 12))
    ]
    created = past_moment(500)
    # Dated absences, past or current (None: open), merged as the loader merges them.
    periods = []
    for _ in range(rnd.choice([0, 0, 1, 2])):
        first_day = around(-90, 0)
        periods.append(
            (first_day, None if rnd.random() < 0.2 else first_day + timedelta(days=rnd.randint(0, 30)))
        )
    absences = rules.away_spans(periods)
    status = rnd.choice(["active", "active", "paused", "former"])
    feeling = (rnd.choice(["trust", "doubt", "distrust"]), past_day(40), "") if rnd.random() < 0.5 else None
    return ClientFacts(
        id=1,
        created_at=created,
        cadence_days=rnd.randint(1, 30),
        active_since=max(created, past_moment(200)) if rnd.random() < 0.7 else None,
        last_status_update_at=past_moment(90) if rnd.random() < 0.7 else None,
        promises=tuple(promises),
        invoices=tuple(invoices),
        conflicts=tuple(conflicts),
        interactions=tuple(interactions),
        zone=zone,
        paused=status == "paused",
        owes_status_updates=status == "active",
        away=absences,
        feeling=feeling,
    )


@st.composite
def evaluations(draw: st.DrawFn) -> tuple[ClientFacts, datetime, datetime]:
    """Return a book and two instants a minute apart, everything in the book on or before the first."""
    zone = zoneinfo.ZoneInfo(draw(st.sampled_from(ZONES)))
    rnd = random.Random(draw(st.integers(0, 2**32)))
    first = moment(rnd, zone)
    return book(rnd, zone, first), first, first + timedelta(minutes=1)


@SMOOTH
@given(evaluations())
def test_no_score_moves_more_than_three_points_in_a_minute_with_nothing_happening(
    case: tuple[ClientFacts, datetime, datetime],
) -> None:
    facts, first, second = case
    before = compute(facts, first, local_day(first, facts.zone))
    after = compute(facts, second, local_day(second, facts.zone))
    assert abs(after.score - before.score) <= MAX_JUMP, (
        f"{before.score} -> {after.score} between {first.astimezone(facts.zone)} and "
        f"{second.astimezone(facts.zone)}: {[r['code'] for r in before.reasons]} -> "
        f"{[r['code'] for r in after.reasons]}\n{facts}"
    )

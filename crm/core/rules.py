"""The rules every face must answer alike, one plain function each, written once.

The dashboard, the workspace, the digest, the nudges, the outbox, the client's page, the API, the calendar feed,
the exports and the trust formula all ask these questions; each asks this module, so no two faces can disagree.
Plain Python over plain values (no Django, no ORM): the pure trust formula imports it. A queryset that asks the
same question in SQL takes its bounds from here (`crm/core/queries.py`), and a test shows both agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo

from crm.core.days import add_days, add_to_moment, local_day, local_midnight

# An open promise this long past its due date is "to settle": the app asks whether it was kept late, broken or
# dropped by agreement (the digest and nudges list it; the trust formula fades its weight from then on).
SETTLE_AFTER_DAYS = 30
# The freelancer's feeling about a client weighs in for this many days from the day it was given, then expires.
FEELING_DAYS = 30
# A status update coming due this many days after today is listed as due already (the dashboard and the digest
# alike), so the freelancer can write it before it lapses: today's and tomorrow's ("due tomorrow").
STATUS_UPDATE_COMING_DAYS = 1


# -- payments -------------------------------------------------------------------------------------------------


def effective_due_on(due_on: date, renegotiated_due_on: date | None) -> date:
    """Return the day an unpaid invoice is listed as overdue from (the "to do" day of the dashboard, the digest,
    the reminders and the client's page): the renegotiated due date when there is one, else its own.

    How late the payment is still counts from the invoice's own due date (`days_late` of `due_on`): a new date agreed
    is the client's word about the same debt, not a new debt, so it never resets the lateness.
    """
    return renegotiated_due_on or due_on


def days_late(due_on: date, today: date, paid_on: date | None = None) -> int:
    """Return how many days late a payment is, or was once paid: from the day after `due_on` up to `paid_on`
    when paid, else up to `today`, both included; 0 when it is not late (paid or still due on time).

    A payment dated after `today` has not happened yet as of `today` (the trust formula replays a book as of any
    day the same way): the days run up to `today` then.
    """
    until = min(paid_on, today) if paid_on is not None else today
    return max((until - due_on).days, 0)


# -- promises -------------------------------------------------------------------------------------------------


def is_overdue(due_on: date, today: date) -> bool:
    """Return True when something still open (a promise, an unpaid invoice) is past its due day: due yesterday or
    before. Due today is not overdue yet."""
    return due_on < today


def settle_before(today: date) -> date:
    """Return the first due day an open promise may have and not be "to settle" yet: due before it, it is."""
    return add_days(today, -SETTLE_AFTER_DAYS)


def is_to_settle(due_on: date, today: date) -> bool:
    """Return True when an open promise has stayed more than SETTLE_AFTER_DAYS past its due day."""
    return due_on < settle_before(today)


# -- the freelancer's feeling --------------------------------------------------------------------------------


def feeling_expires_on(felt_on: date) -> date:
    """Return the first day a feeling given on `felt_on` no longer counts (FEELING_DAYS later)."""
    return add_days(felt_on, FEELING_DAYS)


def feeling_in_force(felt_on: date, today: date) -> bool:
    """Return True while a feeling counts: from the day it was given, for FEELING_DAYS."""
    return felt_on <= today < feeling_expires_on(felt_on)


# -- absences: the client away (holidays, illness), or its work paused ------------------------------------------

# A period of absence: its first day and its last day, both included (None: open, until further notice).
Period = tuple[date, date | None]
# The days the client is away, merged: sorted, disjoint, not even adjacent; the last day included (an open period
# ends on date.max). Built once from the periods by `away_spans`, then read by every rule below.
Spans = tuple[tuple[date, date], ...]


def _merged(spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for first, last in sorted(spans):
        if merged and first <= add_days(merged[-1][1], 1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _closed(periods: Iterable[Period]) -> list[tuple[date, date]]:
    return [
        (first, date.max if last is None else last)
        for first, last in periods
        if last is None or first <= last
    ]


def away_spans(client: Iterable[Period] = (), projects: Iterable[Iterable[Period]] = ()) -> Spans:
    """Return the days the client is away, merged: the days of the client's own absences (holidays, illness,
    paused by the client), and the days when every active project of the client is paused.

    `projects` holds one collection of pause periods per active project (an active project never paused gives an
    empty one, and then the projects pause nothing); no active project, no project pause.
    """
    days = _closed(client)
    paused: list[tuple[date, date]] | None = None
    for pauses in projects:
        mine = _merged(_closed(pauses))
        if paused is None:
            paused = mine
            continue
        # Paused on a day only when every project is: the intersection, span by span.
        both = []
        for first, last in paused:
            for other_first, other_last in mine:
                start, end = max(first, other_first), min(last, other_last)
                if start <= end:
                    both.append((start, end))
        paused = both
    return tuple(_merged(days + (paused or [])))


def is_covered(day: date, spans: Spans) -> bool:
    """Return True when the client is away on `day` (one of the merged `spans` holds it)."""
    return any(first <= day <= last for first, last in spans)


def first_day_back(day: date, spans: Spans) -> date:
    """Return the first day from `day` on when the client is not away (`date.max` when the absence is open)."""
    for first, last in spans:
        if first <= day <= last:
            return add_days(last, 1)
    return day


def days_away(first: date, last: date, spans: Spans) -> int:
    """Return how many days from `first` to `last` (both included) the client is away."""
    return sum(
        max((min(last, end) - max(first, start)).days + 1, 0)
        for start, end in spans
        if start <= last and end >= first
    )


# -- status updates -------------------------------------------------------------------------------------------


def status_update_due_at(since: datetime, cadence_days: int) -> datetime:
    """Return the instant a status update falls due: the last one (or the client's start) plus the cadence in
    whole days of 24 hours. The database keeps this as `Client.status_update_due_at` (a generated column, for the
    index); the day shown and listed is `status_update_due_on`."""
    return add_to_moment(since, timedelta(days=cadence_days))


def status_update_due_on(last_day: date, cadence_days: int, spans: Spans = ()) -> date:
    """Return the local day the next status update is due: the last one's local day (or the client's start) plus
    the cadence, or the first day back when the client is away that day (nothing falls due while the client is
    away: holidays, illness, a pause). Held at `date.max` rather than overflowing."""
    return first_day_back(add_days(last_day, cadence_days), spans)


def is_away(today: date, *, paused: bool, spans: Spans = ()) -> bool:
    """Return True while no status update is due and none lapses: the client is paused (its status), or away on
    `today` (an absence or a pause holds it: `away_spans`)."""
    return paused or is_covered(today, spans)


def status_update_listed(due_on: date, today: date, *, active: bool, spans: Spans = ()) -> bool:
    """Return True when the client's status update is listed as due on `today`: the client is active (a paused,
    prospect or former client owes none), not away, and the update is late, due today, or due within
    STATUS_UPDATE_COMING_DAYS (`due_on` from `status_update_due_on` with the same spans)."""
    if not active or is_away(today, paused=False, spans=spans):
        return False
    return due_on <= add_days(today, STATUS_UPDATE_COMING_DAYS)


def status_update_listed_from(
    last_day: date, cadence_days: int, spans: Spans = (), *, active: bool
) -> date | None:
    """Return the first local day the client's status update is listed as due (`status_update_listed` is True on
    it), or None when the client is not active (nothing is listed until it is again).

    Listed on `today` means: not away on `today` and `status_update_due_on` at most STATUS_UPDATE_COMING_DAYS
    after it. From this day on it stays listed until a new status update, a change of the client, or an absence
    that starts later holds it back again (the nudge checks each listed client with the rule itself).
    """
    if not active:
        return None
    due_on = status_update_due_on(last_day, cadence_days, spans)
    if due_on == date.max:  # an open absence: nothing falls due
        return None
    return first_day_back(add_days(due_on, -STATUS_UPDATE_COMING_DAYS), spans)


def status_update_listed_at(
    since: datetime, cadence_days: int, spans: Spans, zone: tzinfo | None, *, active: bool
) -> datetime | None:
    """Return the instant from which the client's status update is listed as due: the start, in the
    freelancer's `zone`, of `status_update_listed_from` (`since` is the last status update, or the client's
    start). The database keeps it as `Client.status_update_listed_at`, kept by the journal's door, so the
    nudges read only the clients listed (`status_update_listed_at <= now`) through an index."""
    first = status_update_listed_from(local_day(since, zone), cadence_days, spans, active=active)
    return None if first is None or first == date.max else local_midnight(first, zone)


def status_update_days_late(due_on: date, today: date) -> int:
    """Return how many days the status update is late (0: due today; negative: days left)."""
    return (today - due_on).days

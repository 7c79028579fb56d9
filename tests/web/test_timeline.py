"""The client's timeline, page after page: every event once, newest first by (local day, id), whatever the page.

Each journal only gives its newest rows for a page (crm/web/views/timeline.py), so these tests walk whole timelines
and compare them with the naive answer: every event of the five journals (trust-health moves included), sorted in
Python.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.models import HealthChange, Interaction, Invoice, Promise
from crm.web.views.timeline import TIMELINE_PAGE_SIZE, timeline_page
from tests.factories import make_client, make_interaction

PARIS = ZoneInfo("Europe/Paris")
# Twenty days around the night Paris moves to summer time (29 March 2026): UTC+1 before, UTC+2 after.
FIRST_DAY = date(2026, 3, 20)
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(20)]

Event = tuple[date, int, str]  # (day, pk, source), as the timeline orders them: descending


def _paris(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def _mixed_history(client: Client) -> None:
    """Insert ~360 events of the five journals, several a day (45 interactions on a busy one), in a shuffled order so ids do not follow time."""
    rng = random.Random(20260329)
    interactions, promises, invoices, signals, changes = [], [], [], [], []
    for n, day in enumerate(DAYS):
        # Trust-health moves are timed too: around midnight, they take the reader's local day.
        for at in [_paris(day, 0, 20), _utc(day, 23, 40)]:
            changes.append(
                HealthChange(
                    client=client, at=at, old_score=60, new_score=50 + n, old_band="watch", new_band="watch"
                )
            )
        # Around midnight in Paris and in UTC: 00:10 and 00:40 in Paris are still the day before in UTC;
        # 23:50 UTC is already the next day in Paris.
        for at in [
            _paris(day, 0, 10),
            _paris(day, 0, 40),
            _paris(day, 12),
            _paris(day, 23, 30),
            _utc(day, 23, 50),
        ]:
            interactions.append(Interaction(client=client, happened_at=at))
        promises.append(
            Promise(client=client, description="Devis", made_on=day, due_on=day + timedelta(days=5))
        )
        if n % 2:
            kept_on = day + timedelta(days=2)
            promises.append(Promise(client=client, made_on=day, due_on=day, state="kept", kept_on=kept_on))
        else:
            broken_on = day + timedelta(days=1)
            promises.append(
                Promise(client=client, made_on=day, due_on=day, state="broken", broken_on=broken_on)
            )
        invoices.append(
            Invoice(
                owner=client.owner,
                client=client,
                number=f"{client.pk}-{n}",
                amount=Decimal("900.00"),
                issued_on=day,
                due_on=day + timedelta(days=30),
                paid_on=day + timedelta(days=3) if n % 2 else None,
            )
        )
        if n % 3:
            signals.append(ConflictSignal(client=client, kind="ideas", observed_on=day))
        else:
            resolved_on = day + timedelta(days=1)
            signals.append(
                ConflictSignal(
                    client=client, kind="payment", observed_on=day, state="resolved", resolved_on=resolved_on
                )
            )
    # Busy days, when interactions alone fill more than a page: a page boundary falls inside such a day.
    for day in DAYS[3::7]:
        for _ in range(45):
            at = _paris(day, 0) + timedelta(minutes=rng.choice([1, 5, 30, 65, 90, 600, 1300, 1420, 1439]))
            interactions.append(Interaction(client=client, happened_at=at))
    for rows in [interactions, promises, invoices, signals, changes]:
        rng.shuffle(rows)
        type(rows[0]).objects.bulk_create(rows)
    # Logged last, so with the highest ids, but earlier in the day than the others of their day.
    for day in DAYS[::3]:
        make_interaction(client, happened_at=_paris(day, 0, 5))


def _naive_timeline(client: Client, zone: ZoneInfo) -> list[Event]:
    """Return every event of the client with the day it last moved, sorted in Python, newest first."""
    events: list[Event] = [
        (at.astimezone(zone).date(), pk, "interaction")
        for pk, at in Interaction.objects.filter(client=client).values_list("pk", "happened_at")
    ]
    for promise in Promise.objects.filter(client=client):
        events.append((promise.kept_on or promise.broken_on or promise.made_on, promise.pk, "promise"))
    for invoice in Invoice.objects.filter(client=client):
        events.append((invoice.paid_on or invoice.issued_on, invoice.pk, "invoice"))
    for signal in ConflictSignal.objects.filter(client=client):
        events.append((signal.resolved_on or signal.observed_on, signal.pk, "conflict"))
    for pk, at in HealthChange.objects.filter(client=client).values_list("pk", "at"):
        events.append((at.astimezone(zone).date(), pk, "health"))
    return sorted(events, key=lambda event: (event[0], event[1]), reverse=True)


def _walk(client: Client) -> list[Event]:
    """Return the events of every page of the client's timeline, in the order shown."""
    first = timeline_page(client, 1)
    pages = [first] + [timeline_page(client, n) for n in range(2, first.paginator.num_pages + 1)]
    for page in pages:
        assert page.paginator.count == first.paginator.count
        for entry in page.object_list:
            assert entry.item.client == client
    for page in pages[:-1]:
        assert len(page.object_list) == TIMELINE_PAGE_SIZE
    return [(entry.day, entry.item.pk, entry.source) for page in pages for entry in page.object_list]


def _assert_same_timeline(shown: list[Event], expected: list[Event]) -> None:
    # Two journals may share an id on the same day: only the order among such twins is left to the timeline.
    assert len(shown) == len(set(shown)), "an event is shown twice"
    assert set(shown) == set(expected), "an event is missing, or shown with the wrong day"
    assert [(day, pk) for day, pk, _ in shown] == [(day, pk) for day, pk, _ in expected]


@pytest.mark.parametrize("zone_name", ["Europe/Paris", "UTC", "America/Los_Angeles"])
def test_walking_every_page_shows_each_event_once_newest_first(alice: Any, zone_name: str) -> None:
    client = make_client(alice)
    _mixed_history(client)
    zone = ZoneInfo(zone_name)

    with timezone.override(zone):
        shown = _walk(client)
        expected = _naive_timeline(client, zone)

    assert len(expected) > 4 * TIMELINE_PAGE_SIZE  # several pages, a short last one
    assert len(expected) % TIMELINE_PAGE_SIZE
    _assert_same_timeline(shown, expected)


def test_paginator_counts_every_event_of_the_five_journals(alice: Any) -> None:
    client = make_client(alice)
    _mixed_history(client)
    make_interaction(make_client(alice))  # another client's: not counted

    with timezone.override(PARIS):
        page = timeline_page(client, 1)

    total = sum(
        model.objects.filter(client=client).count()
        for model in [Interaction, Promise, Invoice, ConflictSignal, HealthChange]
    )
    assert page.paginator.count == total
    assert page.paginator.num_pages == -(-total // TIMELINE_PAGE_SIZE)


def test_last_page_holds_the_oldest_events(alice: Any) -> None:
    client = make_client(alice)
    _mixed_history(client)

    with timezone.override(PARIS):
        expected = _naive_timeline(client, PARIS)
        last = timeline_page(client, -(-len(expected) // TIMELINE_PAGE_SIZE))

    assert not last.has_next()
    shown = [(entry.day, entry.item.pk, entry.source) for entry in last.object_list]
    assert len(shown) == len(expected) % TIMELINE_PAGE_SIZE
    _assert_same_timeline(shown, expected[-len(shown) :])


def test_interaction_logged_later_with_an_earlier_time_keeps_its_place_at_a_page_boundary(alice: Any) -> None:
    # A full page of interactions on one day, then one logged afterwards for 00:15 that same day in Paris (still
    # the day before in UTC): it has the highest id of its day, so it comes first, although the newest 30 by
    # time do not include it.
    client = make_client(alice)
    day = date(2026, 1, 15)
    same_day = [
        make_interaction(client, happened_at=_paris(day, 10, minute)) for minute in range(TIMELINE_PAGE_SIZE)
    ]
    older = [make_interaction(client, happened_at=_paris(day - timedelta(days=1), 12)) for _ in range(5)]
    late = make_interaction(client, happened_at=_paris(day, 0, 15))

    with timezone.override(PARIS):
        first = timeline_page(client, 1)
        second = timeline_page(client, 2)

    assert (first.object_list[0].item.pk, first.object_list[0].day) == (late.pk, day)
    # The page boundary falls inside that day: its lowest id opens page 2, then the day before.
    assert [entry.item.pk for entry in second.object_list] == [same_day[0].pk] + [i.pk for i in older[::-1]]
    with timezone.override(PARIS):
        _assert_same_timeline(_walk(client), _naive_timeline(client, PARIS))


def test_interactions_around_midnight_take_the_local_day(alice: Any) -> None:
    client = make_client(alice)
    day = date(2026, 1, 15)
    before_midnight_in_utc = make_interaction(client, happened_at=_utc(day - timedelta(days=1), 23, 30))
    after_midnight_in_utc = make_interaction(client, happened_at=_utc(day, 0, 30))

    with timezone.override(PARIS):
        in_paris = {entry.item.pk: entry.day for entry in timeline_page(client, 1).object_list}
    with timezone.override(UTC):
        in_utc = {entry.item.pk: entry.day for entry in timeline_page(client, 1).object_list}

    assert in_paris == {before_midnight_in_utc.pk: day, after_midnight_in_utc.pk: day}
    assert in_utc == {before_midnight_in_utc.pk: day - timedelta(days=1), after_midnight_in_utc.pk: day}


def test_empty_timeline_has_one_empty_page(alice: Any) -> None:
    client = make_client(alice)

    for number in [1, 3, None, "abc"]:
        page = timeline_page(client, number)
        assert page.paginator.count == 0
        assert page.number == 1
        assert list(page.object_list) == []
        assert not page.has_next()


def test_page_number_out_of_range_shows_the_last_page(alice: Any) -> None:
    client = make_client(alice)
    _mixed_history(client)

    with timezone.override(PARIS):
        expected = _naive_timeline(client, PARIS)
        last_number = -(-len(expected) // TIMELINE_PAGE_SIZE)
        last = [
            (entry.day, entry.item.pk, entry.source)
            for entry in timeline_page(client, last_number).object_list
        ]
        beyond = timeline_page(client, last_number + 5)
        first = timeline_page(client, "not a number")

    assert beyond.number == last_number
    assert [(entry.day, entry.item.pk, entry.source) for entry in beyond.object_list] == last
    assert first.number == 1
    _assert_same_timeline(
        [(entry.day, entry.item.pk, entry.source) for entry in first.object_list],
        expected[:TIMELINE_PAGE_SIZE],
    )


# -- the cost of a page does not grow with the history ---------------------------------------------------------


def _bulk_history(client: Client, size: int) -> None:
    """Insert `size` events, eight a day: three interactions in four (or a trust-health move, one in eight of
    those), then a promise, an invoice or a signal."""
    start = date(2026, 6, 30)
    interactions, promises, invoices, signals, changes = [], [], [], [], []
    for i in range(size):
        day = start - timedelta(days=i // 8)
        if i % 8 == 1:
            changes.append(
                HealthChange(
                    client=client,
                    at=_paris(day, 9),
                    old_score=70,
                    new_score=62,
                    old_band="watch",
                    new_band="watch",
                )
            )
        elif i % 4 != 3:
            interactions.append(Interaction(client=client, happened_at=_paris(day, 8 + i % 8)))
        elif i % 3 == 0:
            promises.append(Promise(client=client, description="Maquette", made_on=day, due_on=day))
        elif i % 3 == 1:
            invoices.append(
                Invoice(
                    owner=client.owner,
                    client=client,
                    number=f"{client.pk}-{i}",
                    amount=Decimal("100.00"),
                    issued_on=day,
                    due_on=day,
                )
            )
        else:
            signals.append(ConflictSignal(client=client, kind="ideas", observed_on=day))
    Interaction.objects.bulk_create(interactions)
    Promise.objects.bulk_create(promises)
    Invoice.objects.bulk_create(invoices)
    ConflictSignal.objects.bulk_create(signals)
    HealthChange.objects.bulk_create(changes)


def _queries_for_page(client: Client, number: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        page = timeline_page(client, number)
    assert {entry.source for entry in page.object_list} == {
        "interaction",
        "promise",
        "invoice",
        "conflict",
        "health",
    }
    return len(queries)


def test_a_page_costs_the_same_queries_for_300_or_3000_events(
    alice: Any, django_assert_max_num_queries: Any
) -> None:
    # A query per event for its row, or a read of the whole history to sort it, would grow with the history.
    short, long = make_client(alice), make_client(alice)
    # Enough of both timed journals (interactions, trust-health moves) that each fills a page on its own.
    _bulk_history(short, 300)
    _bulk_history(long, 3000)

    with timezone.override(PARIS):
        short_cost = _queries_for_page(short, 1)
        # The count, each journal's newest rows, the boundary day of the two timed ones, the page's events.
        assert short_cost <= 14
        with django_assert_max_num_queries(short_cost):
            long_cost = _queries_for_page(long, 1)
        # Deep in the history, still the same handful of queries.
        with django_assert_max_num_queries(14):
            _queries_for_page(long, 60)

    assert long_cost == short_cost

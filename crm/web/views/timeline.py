"""One client's timeline: interactions, promises, invoices, conflict signals, the moves of its trust health and the
client's own check-ins merged in time order.

Newest first: by the day an event last moved, then by id. A page never reads the whole history: each journal gives
only its newest `offset + page size` (source, pk, day) rows through its client index, the five short lists are
merged here, and only the events of the page are loaded. A client with 5,000 events costs about what one with 30
does, in a constant number of queries. Each read is compiled once (`crm.core.statements`): building its eleven
querysets cost Django four times what the database takes to answer them (a page: 3.6 ms, now 0.7 ms).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import DateField
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.core import statements
from crm.core.days import add_to_moment, local_day
from crm.models import CheckIn, HealthChange, Interaction, Invoice, Promise

TIMELINE_PAGE_SIZE = 30
SOURCES: dict[str, Any] = {
    "interaction": Interaction,
    "promise": Promise,
    "invoice": Invoice,
    "conflict": ConflictSignal,
    "health": HealthChange,
    "check_in": CheckIn,  # the client's own check-ins on their page (issue 26)
}
# The journals whose events happen at a time rather than on a day: placed on their local day.
TIMED = {"interaction": "happened_at", "health": "at", "check_in": "answered_at"}
# The day a dated event last moved.
AS_DAY = DateField()
EVENT_DAYS = {
    "promise": Coalesce("kept_on", "broken_on", "made_on", output_field=AS_DAY),
    "invoice": Coalesce("paid_on", "issued_on", output_field=AS_DAY),
    "conflict": Coalesce("resolved_on", "observed_on", output_field=AS_DAY),
}

Row = tuple[date, int, str]  # (day, pk, source): sorted descending, newest first


@dataclass
class Entry:
    source: str
    day: date
    item: Any


def _count(client: Client) -> int:
    """Return how many events the client has: one statement adding five counts, each from a client index.

    Written as SQL: building the same query through the ORM cost more than running it.
    """
    quote = connection.ops.quote_name
    counts = [
        f"(SELECT COUNT(*) FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.get_field('client').column)} = %s)"
        for model in SOURCES.values()
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {' + '.join(counts)}", [client.pk] * len(counts))
        return cursor.fetchone()[0]


def _dated_rows(client: Client, source: str, limit: int) -> list[Row]:
    model = SOURCES[source]
    newest = statements.rows(
        ("timeline:dated", source, limit),
        lambda client_id: (
            model.objects.filter(client=client_id)
            .annotate(day=EVENT_DAYS[source])
            .order_by("-day", "-pk")
            .values_list("pk", "day")[:limit]
        ),
        (client.pk,),
        model,
    )
    return [(day, pk, source) for pk, day in newest]


def _timed_rows(client: Client, source: str, limit: int) -> list[Row]:
    """Return a superset of the client's newest `limit` events of a timed journal by (local day, pk).

    The index gives them by time, not by (day, pk): take the newest `limit` by time, then every one of the
    last day they reach, so that none of that day's is missed whatever its id.
    """
    zone = timezone.get_current_timezone()
    model, field = SOURCES[source], TIMED[source]
    recent = lambda client_id: model.objects.filter(client=client_id).order_by(f"-{field}", "-pk")  # noqa: E731
    newest = statements.rows(
        ("timeline:timed", source, limit),
        lambda client_id: recent(client_id).values_list("pk", field)[:limit],
        (client.pk,),
        model,
    )
    rows = {pk: local_day(at, zone) for pk, at in newest}
    if len(rows) == limit:
        last_day = min(rows.values())
        start = datetime.combine(last_day, time(), tzinfo=zone)
        end = add_to_moment(start, timedelta(days=1))  # never overflows, even at the last representable day
        same_day = statements.rows(
            ("timeline:same-day", source),
            lambda client_id, start, end: (
                recent(client_id).filter(**{f"{field}__gte": start, f"{field}__lt": end}).values_list("pk")
            ),
            (client.pk, start, end),
            model,
        )
        rows.update(dict.fromkeys((pk for (pk,) in same_day), last_day))
    return [(day, pk, source) for pk, day in rows.items()]


def _newest_rows(client: Client, limit: int) -> list[Row]:
    """Return the client's newest `limit` events of all five journals, newest first."""
    rows = [row for source in TIMED for row in _timed_rows(client, source, limit)]
    for source in EVENT_DAYS:
        rows.extend(_dated_rows(client, source, limit))
    return heapq.nlargest(limit, rows)


def _loading(source: str) -> Any:
    """Return the rows of a journal as the timeline draws them: a call's recap (crm/recaps) read with it."""
    if source == "interaction":
        return Interaction.objects.select_related("recap")
    return SOURCES[source].objects


def _loaded(source: str, pks: list[int]) -> dict[int, Any]:
    """Return the events `pks` of a journal by their key, as the timeline draws them (`_loading`)."""
    events = statements.objects(
        ("timeline:events", source),
        lambda pks: _loading(source).filter(pk__in=pks),
        (pks,),
        SOURCES[source],
    )
    return {event.pk: event for event in events}


def timeline_page(client: Client, number: str | int | None) -> Page:
    """Return one page of the client's timeline, newest first, with its events loaded (at most 14 queries)."""
    paginator = Paginator(range(_count(client)), TIMELINE_PAGE_SIZE)
    page = paginator.get_page(number)
    offset = (page.number - 1) * TIMELINE_PAGE_SIZE
    rows = _newest_rows(client, offset + TIMELINE_PAGE_SIZE)[offset:] if paginator.count else []
    wanted: dict[str, list[int]] = {}
    for _day, pk, source in rows:
        wanted.setdefault(source, []).append(pk)
    loaded = {source: _loaded(source, pks) for source, pks in wanted.items()}
    page.object_list = []
    for day, pk, source in rows:
        if item := loaded[source].get(pk):
            item.client = client  # known already: no join, no query per row
            page.object_list.append(Entry(source, day, item))
    return page

"""One client's timeline: interactions, promises, invoices and conflict signals merged in time order.

The database merges and pages the four journals (one UNION of (source, pk, day) rows, cut with LIMIT/OFFSET),
then only the rows of the page are loaded: a client with 5,000 events costs the same as one with 30.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import CharField, DateField, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.models import Interaction, Invoice, Promise

TIMELINE_PAGE_SIZE = 30
SOURCES: dict[str, Any] = {
    "interaction": Interaction,
    "promise": Promise,
    "invoice": Invoice,
    "conflict": ConflictSignal,
}


@dataclass
class Entry:
    source: str
    day: date
    item: Any


def _rows(client: Client) -> QuerySet[Any]:
    """Return the client's events as (source, pk, day) rows: the day an event last moved."""

    def tagged(queryset: QuerySet[Any], source: str, day: Any) -> QuerySet[Any]:
        return (
            queryset.filter(client=client)
            .order_by()
            .annotate(source=Value(source, output_field=CharField()), day=day)
            .values_list("source", "pk", "day")
        )

    as_day = DateField()
    return tagged(
        Interaction.objects, "interaction", TruncDate("happened_at", tzinfo=timezone.get_current_timezone())
    ).union(
        tagged(Promise.objects, "promise", Coalesce("kept_on", "broken_on", "made_on", output_field=as_day)),
        tagged(Invoice.objects, "invoice", Coalesce("paid_on", "issued_on", output_field=as_day)),
        tagged(
            ConflictSignal.objects, "conflict", Coalesce("resolved_on", "observed_on", output_field=as_day)
        ),
        all=True,
    )


def timeline_page(client: Client, number: str | int | None) -> Page:
    """Return one page of the client's timeline, newest first, with its events loaded (at most 6 queries)."""
    page = Paginator(_rows(client).order_by("-day", "-pk"), TIMELINE_PAGE_SIZE).get_page(number)
    rows = list(page.object_list)
    wanted: dict[str, list[int]] = {}
    for source, pk, _day in rows:
        wanted.setdefault(source, []).append(pk)
    loaded = {source: SOURCES[source].objects.in_bulk(pks) for source, pks in wanted.items()}
    page.object_list = []
    for source, pk, day in rows:
        if item := loaded[source].get(pk):
            item.client = client  # known already: no join, no query per row
            page.object_list.append(Entry(source, day, item))
    return page

"""The queries behind the dashboard: the book ranked worst-first, counts per band, and the week's work.

Each function runs one query whatever the size of the book, so the dashboard has a fixed query budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Page
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Invoice, Promise
from crm.models.health import Band
from crm.web import fragments

WEEK_LIST_LIMIT = 8
# Worst first (ClientHealth.rank: at risk, watch, healthy, not enough history), along health_owner_rank_score_idx.
WORST_FIRST = ["health__rank", "health__score", "name", "pk"]


def ranked_clients(owner: Any, *, band: str = "", status: str = "", q: str = "") -> QuerySet[Client]:
    """Return the owner's clients, worst trust health first, filtered by band, status and a search."""
    # Every client has a trust health row (written when the client is created): the inner join on it lets the
    # database walk the book in rank order from the index and stop after one page, instead of sorting it all.
    clients = (
        Client.objects.for_owner(owner)
        .filter(health__owner=owner)
        .search(q)
        .select_related("health")
        .defer("health__components")  # a row shows the score, the trend and the top reason only
    )
    if status in Client.Status.values:
        clients = clients.filter(status=status)
    if band in Band.values:
        clients = clients.filter(health__band=band)
    return clients.order_by(*WORST_FIRST)


def _count(rows: QuerySet[Any]) -> Coalesce:
    """A scalar subquery counting `rows` that belong to the outer user (through their `owner` index)."""
    counted = (
        rows.filter(owner=OuterRef("pk"))
        .order_by()
        .values("owner")
        .annotate(n=Count("*"))  # COUNT(*): answered from the index alone
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def status_updates_due(owner: Any, today: date) -> QuerySet[Client]:
    """Return the clients whose status update is listed as due on `today` (late, due today or coming due: the
    rule of `crm.core.rules.status_update_listed`, which the digest applies too), most overdue first."""
    return (
        Client.objects.for_owner(owner)
        .status_update_listed(today, owner.profile.zone)
        .order_by("status_update_due_at", "pk")
    )


@dataclass
class Week:
    """The week's work: each list is cut short; `counts` says how many there are in all."""

    counts: dict[str, int]
    promises_overdue: list[Promise] = field(default_factory=list)
    promises_due: list[Promise] = field(default_factory=list)
    status_updates: list[Client] = field(default_factory=list)
    invoices_overdue: list[Invoice] = field(default_factory=list)
    conflicts_open: list[ConflictSignal] = field(default_factory=list)


def counts(owner: Any, today: date, now: datetime) -> dict[str, int]:
    """Return the clients per band and the size of each list of the week's work, in one query."""
    promises = Promise.objects.all()
    # Every count walks one (owner, ...) index; "not enough history" is the rest of the book, so the client
    # table is counted once, not joined.
    health = ClientHealth.objects.all()
    row = (
        get_user_model()
        .objects.filter(pk=owner.pk)
        .values(
            book_size=_count(Client.objects.all()),
            at_risk=_count(health.filter(band=Band.AT_RISK)),
            watch=_count(health.filter(band=Band.WATCH)),
            healthy=_count(health.filter(band=Band.HEALTHY)),
            promises_overdue=_count(promises.overdue(today)),
            promises_due=_count(promises.due_between(today, today + timedelta(days=7))),
            status_updates=_count(status_updates_due(owner, today).order_by()),
            invoices_overdue=_count(Invoice.objects.overdue(today)),
            conflicts_open=_count(ConflictSignal.objects.open()),
        )
        .get()
    )
    row["insufficient"] = row["book_size"] - row["at_risk"] - row["watch"] - row["healthy"]
    return row


def count_clients(
    owner: Any, *, band: str = "", status: str = "", q: str = "", counts: dict[str, int] | None = None
) -> int:
    """Return how many clients `ranked_clients` gives for these filters: from the band `counts` when they tell
    it, else counted on the client table (joining trust health only to filter by band)."""
    if counts is not None and not (status or q) and band in {"", *Band.values}:
        return counts[band or "book_size"]
    clients = Client.objects.for_owner(owner).search(q)
    if status in Client.Status.values:
        clients = clients.filter(status=status)
    if band in Band.values:
        clients = clients.filter(health__band=band)
    return clients.count()


def week(owner: Any, today: date, now: datetime) -> Week:
    """Return the week's work: overdue and coming promises, status updates, overdue invoices, open conflicts."""
    cut = WEEK_LIST_LIMIT
    promises = Promise.objects.for_owner(owner).select_related("client").order_by("due_on", "pk")
    updates = list(status_updates_due(owner, today).with_absences()[:cut])
    for client in updates:
        client.days_late = client.status_update_days_late(today, owner.profile.zone)
    return Week(
        counts=counts(owner, today, now),
        promises_overdue=list(promises.overdue(today)[:cut]),
        promises_due=list(promises.due_between(today, today + timedelta(days=7))[:cut]),
        status_updates=updates,
        invoices_overdue=list(
            Invoice.objects.for_owner(owner)
            .overdue(today)
            .select_related("client")
            .order_by("current_due_on", "pk")[:cut]
        ),
        conflicts_open=list(
            ConflictSignal.objects.for_owner(owner)
            .open()
            .select_related("client")
            .order_by("-severity", "observed_on", "pk")[:cut]
        ),
    )


def board_key(owner: Any, full_path: str, today: date, now: datetime) -> str:
    """Return the cache key of the drawn board (counts, rows, week of work) at this address, day and hour."""
    return fragments.book_key("board", owner, today, now.strftime("%Y-%m-%dT%H"), full_path)


def cached_rows(owner: Any, page: Page, filters: dict[str, str]) -> Page:
    """Give `page` its clients from the cache, read from the database once per version of the book."""
    key = fragments.book_key("board-rows", owner, page.number, sorted(filters.items()))
    rows = cache.get(key)
    if rows is None:
        rows = list(page.object_list)
        cache.set(key, rows, 3600)
    page.object_list = rows
    return page


def cached_week(owner: Any, today: date, now: datetime) -> Week:
    """Return `week`, computed again once the book changes (its profile's book_version), the day turns or
    the hour passes."""
    key = fragments.book_key("week", owner, today, now.strftime("%Y-%m-%dT%H"))
    found = cache.get(key)
    if found is None:
        found = week(owner, today, now)
        cache.set(key, found, 3600)
    return found

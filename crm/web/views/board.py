"""The queries behind the dashboard: the book ranked worst-first, counts per band, and the week's work.

Each function runs one query whatever the size of the book, so the dashboard has a fixed query budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.paginator import Page
from django.db.models import BooleanField, DateField, ExpressionWrapper, F, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.core import queries
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
    """The week's work: each list is cut short; `counts` says how many there are in all.

    `version` is the owner's book version it was read at, and `shares` what each client adds to the counts
    (`Share`): with them a change to a few clients refreshes their part only (`refreshed`)."""

    counts: dict[str, int]
    promises_overdue: list[Promise] = field(default_factory=list)
    promises_due: list[Promise] = field(default_factory=list)
    status_updates: list[Client] = field(default_factory=list)
    invoices_overdue: list[Invoice] = field(default_factory=list)
    conflicts_open: list[ConflictSignal] = field(default_factory=list)
    version: int = -1
    shares: dict[int, Share] = field(default_factory=dict)


# What one client adds to the counts: its band, whether its status update is listed, and how many of its
# promises are overdue and due this week, invoices overdue and conflict signals open.
Share = tuple[str, bool, int, int, int, int]
_BAND, _LISTED, _PROMISES_OVERDUE, _PROMISES_DUE, _INVOICES_OVERDUE, _CONFLICTS_OPEN = range(6)

# Each list of the week's work, in its order (the order of the query that reads it, which ends on the pk).
SECTIONS: dict[str, Callable[[Any], tuple]] = {
    "promises_overdue": lambda promise: (promise.due_on, promise.pk),
    "promises_due": lambda promise: (promise.due_on, promise.pk),
    "status_updates": lambda client: (client.status_update_due_at, client.pk),
    "invoices_overdue": lambda invoice: (invoice.current_due_on, invoice.pk),
    "conflicts_open": lambda signal: (-signal.severity, signal.observed_on, signal.pk),
}


def _counted(shares: dict[int, Share]) -> dict[str, int]:
    """Return the counts of the week's work from every client's share of them."""
    bands = Counter(share[_BAND] for share in shares.values())
    return {
        "book_size": len(shares),
        "at_risk": bands[Band.AT_RISK],
        "watch": bands[Band.WATCH],
        "healthy": bands[Band.HEALTHY],
        "insufficient": len(shares) - bands[Band.AT_RISK] - bands[Band.WATCH] - bands[Band.HEALTHY],
        "status_updates": sum(share[_LISTED] for share in shares.values()),
        "promises_overdue": sum(share[_PROMISES_OVERDUE] for share in shares.values()),
        "promises_due": sum(share[_PROMISES_DUE] for share in shares.values()),
        "invoices_overdue": sum(share[_INVOICES_OVERDUE] for share in shares.values()),
        "conflicts_open": sum(share[_CONFLICTS_OPEN] for share in shares.values()),
    }


def _journal(owner: Any, today: date, clients: Collection[int] | None) -> dict[str, QuerySet[Any]]:
    """Return the rows behind the week's work, of these clients (all of the book when None): the clients with
    their band and whether their status update is listed, the open promises due before the week's end, the
    overdue invoices and the open conflict signals."""
    listed = ExpressionWrapper(queries.status_update_listed(today, owner.profile.zone), BooleanField())
    rows = {
        "clients": Client.objects.for_owner(owner).annotate(band=F("health__band"), listed=listed),
        "promises": Promise.objects.for_owner(owner).open().filter(due_on__lte=today + timedelta(days=7)),
        "invoices": Invoice.objects.for_owner(owner).overdue(today),
        "conflicts": ConflictSignal.objects.for_owner(owner).open(),
    }
    if clients is None:
        return rows
    return {
        name: (found.filter(pk__in=clients) if name == "clients" else found.filter(client_id__in=clients))
        for name, found in rows.items()
    }


def _shares(
    today: date,
    clients: Iterable[tuple[int, str | None, bool]],
    events: Iterable[tuple[int, str, date | None]],
) -> dict[int, Share]:
    """Return each client's share of the counts from its (id, band, listed) and the (client id, kind, due day) of
    its open promises due before the week's end, overdue invoices and open conflict signals."""
    shares = {pk: [band or Band.INSUFFICIENT, bool(listed), 0, 0, 0, 0] for pk, band, listed in clients}
    column = {"invoice": _INVOICES_OVERDUE, "conflict": _CONFLICTS_OPEN}
    for client_id, kind, due_on in events:
        if client_id in shares:
            index = column.get(kind) or (_PROMISES_OVERDUE if due_on < today else _PROMISES_DUE)
            shares[client_id][index] += 1
    return {pk: tuple(share) for pk, share in shares.items()}  # type: ignore[misc]  # six values, as Share says


def _events(journal: dict[str, QuerySet[Any]]) -> QuerySet[Any]:
    """Return the (client id, kind, due day) of the journal's promises, invoices and conflict signals, one query."""
    no_day = Value(None, output_field=DateField())
    promises = journal["promises"].order_by().values_list("client_id", Value("promise"), "due_on")
    invoices = journal["invoices"].order_by().values_list("client_id", Value("invoice"), no_day)
    conflicts = journal["conflicts"].order_by().values_list("client_id", Value("conflict"), no_day)
    return promises.union(invoices, conflicts, all=True)


def counts(owner: Any, today: date, now: datetime) -> dict[str, int]:
    """Return the clients per band and the size of each list of the week's work (`week`'s counts)."""
    return week(owner, today, now).counts


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
    version = owner.profile.book_version  # read first: a change made meanwhile is refreshed on the next read
    journal = _journal(owner, today, None)
    shares = _shares(
        today, journal["clients"].order_by().values_list("pk", "band", "listed"), _events(journal)
    )
    # Both lists of promises in one query: the first `cut` of each side of today, numbered by a window.
    late = ExpressionWrapper(Q(due_on__lt=today), output_field=BooleanField())
    promises = list(
        journal["promises"]
        .annotate(late=late, place=Window(RowNumber(), partition_by=[late], order_by=["due_on", "pk"]))
        .filter(place__lte=cut)
        .select_related("client")
        .order_by("due_on", "pk")
    )
    updates = list(status_updates_due(owner, today)[:cut])
    for client in updates:
        client.days_late = client.status_update_days_late(today, owner.profile.zone)
    return Week(
        counts=_counted(shares),
        promises_overdue=[promise for promise in promises if promise.due_on < today],
        promises_due=[promise for promise in promises if promise.due_on >= today],
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
        version=version,
        shares=shares,
    )


def refreshed(owner: Any, found: Week, today: date, now: datetime) -> Week | None:
    """Return `found` brought up to the owner's book version by reading again only the clients changed since
    (`ClientHealth.changed_in`), or None when it cannot be: a change not tied to clients came between (a client
    deleted, a name edited, trends redrawn), or a list lost items it has no next ones for.

    A client changed is read again whole (its share, its items in every list), so reading one twice is
    harmless; one read too few is what the marks rule out: each change of clients moves the book version once
    and then marks them with it, so the versions between the drawn one and now are all marks, or one of them
    was a change of another kind.
    """
    version = owner.profile.book_version
    marks = list(
        ClientHealth.objects.filter(owner=owner, changed_in__gt=found.version).values_list(
            "client_id", "changed_in"
        )
    )
    if len({mark for _client, mark in marks if mark <= version}) != version - found.version:
        return None
    changed = {client_id for client_id, _mark in marks}
    journal = _journal(owner, today, changed)
    clients = list(journal["clients"])
    promises = list(journal["promises"].select_related("client"))
    invoices = list(journal["invoices"].select_related("client"))
    conflicts = list(journal["conflicts"].select_related("client"))
    shares = {pk: share for pk, share in found.shares.items() if pk not in changed}
    shares.update(
        _shares(
            today,
            ((client.pk, client.band, client.listed) for client in clients),
            [
                *((promise.client_id, "promise", promise.due_on) for promise in promises),
                *((invoice.client_id, "invoice", None) for invoice in invoices),
                *((signal.client_id, "conflict", None) for signal in conflicts),
            ],
        )
    )
    updates = [client for client in clients if client.listed]
    for client in updates:
        client.days_late = client.status_update_days_late(today, owner.profile.zone)
    fresh = {
        "promises_overdue": [promise for promise in promises if promise.due_on < today],
        "promises_due": [promise for promise in promises if promise.due_on >= today],
        "status_updates": updates,
        "invoices_overdue": invoices,
        "conflicts_open": conflicts,
    }
    week = Week(counts=_counted(shares), version=version, shares=shares)
    for name, order in SECTIONS.items():
        merged = _merged(
            getattr(found, name), fresh[name], changed, order, found.counts[name], week.counts[name]
        )
        if merged is None:
            return None
        setattr(week, name, merged)
    return week


def _merged(
    drawn: list[Any], fresh: list[Any], changed: set[int], order: Callable[[Any], tuple], was: int, now: int
) -> list[Any] | None:
    """Return a list of the week's work with the items of the `changed` clients replaced by their `fresh` ones,
    cut short again; None when it would need items after the ones `drawn` (there were `was` in all, there are
    `now`), which only the database has."""
    kept = [
        item for item in drawn if (item.pk if isinstance(item, Client) else item.client_id) not in changed
    ]
    merged = sorted([*kept, *fresh], key=order)
    if was > len(drawn):  # the list was cut: what came after its last item is unknown
        merged = [item for item in merged if order(item) <= order(drawn[-1])]
    merged = merged[:WEEK_LIST_LIMIT]
    return merged if len(merged) == min(now, WEEK_LIST_LIMIT) else None


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
    """Return `week`, refreshed for the clients changed since it was read (`refreshed`) when the book changes (its
    profile's book_version), read again whole when that cannot be, when the day turns or the hour passes."""
    key = f"week:{owner.pk}:{fragments.templates_fingerprint()}:{today.isoformat()}:{now:%Y-%m-%dT%H}"
    found = cache.get(key)
    if found is not None and found.version == owner.profile.book_version:
        return found
    found = (found is not None and refreshed(owner, found, today, now)) or week(owner, today, now)
    cache.set(key, found, 3600)
    return found

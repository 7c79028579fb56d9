"""The queries behind the dashboard: the book ranked worst-first, counts per band, and the week's work.

Each function runs one query whatever the size of the book, so the dashboard has a fixed query budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property, partial
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Page
from django.db import connection
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import Absence, Client
from conflicts.models import ConflictSignal
from crm.core import rules, statements
from crm.models import ClientHealth, Dispatch, Invoice, Promise, Recap
from crm.models.health import Band
from crm.models.recaps import clarify_written_by
from crm.models.reminders import undelivered_shown_since
from crm.web import fragments

WEEK_LIST_LIMIT = 8
# In the key of a cached week: a deploy that changes what a `Week` holds reads the week again.
WEEK_LAYOUT = 2
# A week is read on the hour at the latest (`week_key`): nothing of it is kept longer.
WEEK_SECONDS = 3600
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
        # A row shows the score, the trend and the top reason only: the reasons (3 kB in a seeded book, ten of
        # them) are read as their first, decoded as 0.3 kB instead of 3 (`top_reason`, what the `client_row`
        # partial of `crm/items.html` draws: its rows come from here).
        .defer("health__components", "health__reasons")
        .annotate(top_reason=KeyTransform(0, "health__reasons"))
    )
    if status in Client.Status.values:
        clients = clients.filter(status=status)
    if band in Band.values:
        clients = clients.filter(health__band=band)
    return clients.order_by(*WORST_FIRST)


class RankedRows:
    """`ranked_clients`, its queryset built only when its rows are read: a page of the dashboard's clients is
    drawn from the cache as long as the book did not move them (`ranked_page`, `table_key`), and building the
    queryset for nothing cost more than drawing the rest of the board after a change."""

    ordered = True  # what the paginator checks: `ranked_clients` orders them (WORST_FIRST)

    def __init__(self, owner: Any, filters: dict[str, str], window: slice | None = None) -> None:
        self.owner, self.filters, self.window = owner, filters, window

    def __getitem__(self, window: slice) -> RankedRows:
        assert self.window is None and isinstance(window, slice), "a page is cut from the whole book once"
        return RankedRows(self.owner, self.filters, window)

    @cached_property
    def rows(self) -> list[Client]:
        clients = ranked_clients(self.owner, **self.filters)
        return list(clients if self.window is None else clients[self.window])

    def __iter__(self) -> Iterator[Client]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


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
    """The week's work: each list is cut short; `counts` says how many there are in all.

    `version` is the owner's book version it was read at, and `shares` what each client read since then (by
    `refreshed`) adds to the counts: a change to a few clients refreshes their part only. `drawn` says, for each
    list, the book version its items and count last changed at: a list a change does not touch keeps its drawn
    HTML (`section_keys`).

    Each list is cached on its own, under the version it was drawn at (`list_key`), and loaded when first asked
    for (`section`): a change pickles and reads back only the lists it touches, and a list whose drawn HTML is
    cached is never loaded. `clients` names the clients of each list's items, so a refresh tells the lists a
    change touches without loading them."""

    counts: dict[str, int]
    version: int = -1
    shares: dict[int, Share] = field(default_factory=dict)
    drawn: dict[str, int] = field(default_factory=dict)
    # When refreshed: where each changed client now ranks, (rank, score), None for a client gone (`ranked_page`).
    moved: dict[int, tuple[int, int] | None] | None = None
    clients: dict[str, frozenset[int]] = field(default_factory=dict)
    # The cache key it is kept under (`cached_week`), and what reads a list again should the cache lose it.
    key: str = ""
    reread: Callable[[str], list[Any]] | None = None
    # The lists read or loaded so far: kept in the cache apart from the week (`lists_to_keep`).
    lists: dict[str, list[Any]] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "lists": {}, "reread": None}

    def section(self, name: str) -> list[Any]:
        """Return the list `name`, loaded from the cache when first asked for (read again if the cache lost it)."""
        if name not in self.lists:
            kept = cache.get(self.list_key(name)) if self.key else None
            if kept is None:
                if self.reread is None:
                    raise LookupError(f"The week's {name} are neither read nor cached.")
                kept = self.reread(name)
                cache.set(self.list_key(name), kept, WEEK_SECONDS)
            self.lists[name] = kept
        return self.lists[name]

    def set_section(self, name: str, items: list[Any], drawn: int) -> None:
        """Give the week its list `name`, drawn at the book version `drawn`."""
        self.lists[name], self.drawn[name] = items, drawn
        self.clients[name] = frozenset(_client_of(item) for item in items)

    def list_key(self, name: str) -> str:
        return f"{self.key}:{name}:{self.drawn[name]}"

    def lists_to_keep(self) -> dict[str, list[Any]]:
        """Return the lists drawn at this version, under their cache keys (the others are cached already)."""
        return {
            self.list_key(name): items
            for name, items in self.lists.items()
            if self.drawn[name] == self.version
        }

    # What the board draws (the `board` partial of `crm/dashboard.html`).
    promises_overdue = property(lambda self: self.section("promises_overdue"))
    promises_due = property(lambda self: self.section("promises_due"))
    status_updates = property(lambda self: self.section("status_updates"))
    invoices_overdue = property(lambda self: self.section("invoices_overdue"))
    conflicts_open = property(lambda self: self.section("conflicts_open"))


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


def _journal(owner: Any, today: date, clients: Collection[int]) -> dict[str, QuerySet[Any]]:
    """Return the rows behind the week's work of these clients: the clients (with their band, rank and score),
    their open promises due before the week's end, their overdue invoices and their open conflict signals."""
    return {
        "clients": Client.objects.for_owner(owner)
        .filter(pk__in=clients)
        .annotate(band=F("health__band"), rank=F("health__rank"), score=F("health__score")),
        "promises": Promise.objects.for_owner(owner)
        .open()
        .filter(client_id__in=clients, due_on__lte=today + timedelta(days=7)),
        "invoices": Invoice.objects.for_owner(owner).overdue(today).filter(client_id__in=clients),
        "conflicts": ConflictSignal.objects.for_owner(owner).open().filter(client_id__in=clients),
    }


def _absences(owner: Any, clients: Collection[int]) -> QuerySet[Absence]:
    """Return the absences of these clients, as `Client.away_spans` reads them."""
    return Absence.objects.filter(owner=owner, client_id__in=clients).for_spans().order_by("pk")


JOURNAL_MODELS = {"clients": Client, "promises": Promise, "invoices": Invoice, "conflicts": ConflictSignal}


def _compiled_rows(
    kind: str,
    model: Any,
    owner: Any,
    today: date,
    ids: list[int],
    build: Callable[[list[int]], QuerySet[Any]],
) -> list[Any]:
    """Return the `model` rows of `build(ids)`, a read about a few of the owner's clients on `today`, compiled once
    per owner, day and number of clients (`crm.core.statements`)."""
    return statements.objects(_owner_day(kind, owner, today), build, (ids,), model)


def _owner_day(kind: str, owner: Any, today: date) -> tuple[Any, ...]:
    """Return the name of a statement about the owner's book on `today`: compiled once per owner, day and the
    owner's time zone (`crm.core.statements`)."""
    return (kind, owner.pk, today, str(owner.profile.zone))


def _journal_rows(owner: Any, today: date, changed: Collection[int]) -> dict[str, list[Any]]:
    """Return `_journal`'s rows, each read compiled once (`_compiled_rows`).

    Each item is given its client as read here (their only client; as far as an item shows it, `_client_named`)
    instead of joining it again, and each client that may have its status update listed its absences."""
    ids = sorted(changed)
    rows = {
        kind: _compiled_rows(
            f"journal:{kind}",
            model,
            owner,
            today,
            ids,
            lambda ids, kind=kind: _journal(owner, today, ids)[kind],
        )
        for kind, model in JOURNAL_MODELS.items()
    }
    clients = {client.pk: client for client in rows["clients"]}
    zone = owner.profile.zone
    _give_absences(
        owner, today, [client for client in clients.values() if client.may_list_status_update(today, zone)]
    )
    named = {pk: _client_named(client) for pk, client in clients.items()}
    for kind in ("promises", "invoices", "conflicts"):
        rows[kind] = [item for item in rows[kind] if item.client_id in clients]
        for item in rows[kind]:
            item.client = named[item.client_id]
    return rows


def _give_absences(owner: Any, today: date, clients: list[Client]) -> None:
    """Give each of `clients` its absences, read in one statement compiled once (`_compiled_rows`)."""
    absences: dict[int, list[Absence]] = {client.pk: [] for client in clients}
    if not absences:
        return
    ids = sorted(absences)
    for absence in _compiled_rows("absences", Absence, owner, today, ids, lambda ids: _absences(owner, ids)):
        absences[absence.client_id].append(absence)
    for client in clients:
        client.set_absences(absences[client.pk])


def _shares(rows: Iterable[tuple[int, str, str | None, date | None]], today: date) -> dict[int, Share]:
    """Return each client's share of the counts from its rows: (client id, what, band, due day), where what is
    "client" (with its band), "listed" (its status update), "promise" (open, with its due day), "invoice"
    (overdue) or "conflict" (open)."""
    shares: dict[int, list[Any]] = {}
    column = {"listed": _LISTED, "invoice": _INVOICES_OVERDUE, "conflict": _CONFLICTS_OPEN}
    for client_id, what, band, due_on in rows:
        share = shares.setdefault(client_id, [None, False, 0, 0, 0, 0])
        if what == "client":
            share[_BAND] = band or Band.INSUFFICIENT
        elif what == "listed":
            share[_LISTED] = True
        elif what == "promise":
            share[_PROMISES_OVERDUE if due_on < today else _PROMISES_DUE] += 1  # type: ignore[operator]
        else:
            share[column[what]] += 1
    # A client's row is read with its journal's: one missing is a client deleted meanwhile.
    return {pk: tuple(share) for pk, share in shares.items() if share[_BAND] is not None}  # type: ignore[misc]


def _counts_query(owner: Any, today: date) -> QuerySet[Any]:
    """Return the one-row query of `counts`: one scalar subquery per count, each along an (owner, ...) index."""
    promises = Promise.objects.all()
    # "Not enough history" is the rest of the book, so the client table is counted once, not joined.
    health = ClientHealth.objects.all()
    return (
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
    )


# Building and compiling a statement with the status-update rule through the ORM cost more than running it (the
# counts: 13 ms against 5 ms at 2,000 clients; the status updates listed: 6 ms against 2 ms): each is compiled
# once per owner, day and time zone, and run afresh on every read.
def _statement(
    kind: str, owner: Any, today: date, build: Callable[[], QuerySet[Any]]
) -> tuple[str, list[Any]]:
    """Return the SQL and parameters of the query `build()` returns for `owner` on `today`, compiled once
    (`crm.core.statements`: no stand-ins, the owner, day and time zone are in its name)."""
    read = statements.compiled(_owner_day(kind, owner, today), build, (), connection)
    assert read is not None  # a read without values has no stand-in to miss
    return read.sql, list(read.params)


def counts(owner: Any, today: date, now: datetime) -> dict[str, int]:
    """Return the clients per band and the size of each list of the week's work, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(*_statement("counts", owner, today, lambda: _counts_query(owner, today)))
        names = [column[0] for column in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    row["insufficient"] = row["book_size"] - row["at_risk"] - row["watch"] - row["healthy"]
    return row


def _status_updates_listed(owner: Any, today: date, limit: int) -> list[Client]:
    """Return the first `limit` clients of `status_updates_due`, with their days late (counted from their
    absences, read for that and dropped again: `_without_absences`)."""
    clients = statements.objects(
        _owner_day(f"status_updates:{limit}", owner, today),
        lambda: status_updates_due(owner, today)[:limit],
        (),
        Client,
    )
    _give_absences(owner, today, clients)
    for client in clients:
        client.days_late = client.status_update_days_late(today, owner.profile.zone)
    return _without_absences(clients)


def _without_absences(clients: list[Client]) -> list[Client]:
    """Return `clients` without the absences their status update was counted from: the week is cached, and what
    its items draw needs them no more (pickled with their querysets, they cost 0.4 ms on every change)."""
    for client in clients:
        client.forget_absences()
    return clients


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
    version = owner.profile.book_version  # read first: a change made meanwhile is refreshed on the next read
    read = Week(counts=counts(owner, today, now), version=version)
    for name in SECTIONS:
        read.set_section(name, read_section(owner, today, name), version)
    return read


def read_section(owner: Any, today: date, name: str) -> list[Any]:
    """Return the list `name` of the owner's week of work on `today`, cut short.

    Each is read through its statement compiled once (`crm.core.statements`): building and compiling the
    querysets cost Django more than the database takes to answer them."""
    cut = WEEK_LIST_LIMIT
    if name == "status_updates":
        return _status_updates_listed(owner, today, cut)
    if name == "promises_overdue":
        return statements.objects(
            "week:promises_overdue",
            lambda owner_id, today: _promises(owner_id).overdue(today)[:cut],
            (owner.pk, today),
            Promise,
        )
    if name == "promises_due":
        return statements.objects(
            "week:promises_due",
            lambda owner_id, today, week_end: _promises(owner_id).due_between(today, week_end)[:cut],
            (owner.pk, today, today + timedelta(days=7)),
            Promise,
        )
    if name == "invoices_overdue":
        return statements.objects(
            "week:invoices_overdue",
            lambda owner_id, today: _with_client_name(
                Invoice.objects.for_owner(owner_id).overdue(today)
            ).order_by("current_due_on", "pk")[:cut],
            (owner.pk, today),
            Invoice,
        )
    assert name == "conflicts_open", name
    return statements.objects(
        "week:conflicts_open",
        lambda owner_id: _with_client_name(ConflictSignal.objects.for_owner(owner_id).open()).order_by(
            "-severity", "observed_on", "pk"
        )[:cut],
        (owner.pk,),
        ConflictSignal,
    )


def _promises(owner_id: int) -> QuerySet[Promise]:
    return _with_client_name(Promise.objects.for_owner(owner_id)).order_by("due_on", "pk")


# What an item of the week shows of its client (the `client_link` partial of `crm/items.html`): its name. The
# client's whole row, pickled with every cached list and hashed into every item's cache key
# (`fragments.fragment_key`), cost more than the item's own; and the item's drawing no longer changes with what it
# does not show.
ITEM_CLIENT_FIELDS = ("id", "owner_id", "name")


def _with_client_name(items: QuerySet[Any]) -> QuerySet[Any]:
    """Return `items` with their client, read as far as an item of the week shows it (`ITEM_CLIENT_FIELDS`)."""
    hidden = [
        f"client__{f.name}" for f in Client._meta.concrete_fields if f.attname not in ITEM_CLIENT_FIELDS
    ]
    return items.select_related("client").defer(*hidden)


def _client_named(client: Client) -> Client:
    """Return `client` as an item of the week shows it (`ITEM_CLIENT_FIELDS`), its other fields deferred."""
    return Client.from_db(
        client._state.db, ITEM_CLIENT_FIELDS, [getattr(client, f) for f in ITEM_CLIENT_FIELDS]
    )


def refreshed(owner: Any, found: Week, today: date, now: datetime) -> Week | None:
    """Return `found` brought up to the owner's book version by reading again only the clients the last move of
    the version stands for (`Profile.book_changed_clients`), or None when it cannot be: more than one move came
    between, or one not tied to clients (a client deleted, trends redrawn), or a list lost items it has no next
    ones for.

    A client changed is read again whole (its share, its items in every list), so reading one twice is harmless;
    the version and its clients move together in one UPDATE, so the clients are those of that very move.
    """
    profile = owner.profile
    if profile.book_version != found.version + 1 or profile.book_changed_clients is None:
        return None
    version = profile.book_version
    changed = set(profile.book_changed_clients)
    journal = _journal_rows(owner, today, changed)
    # The few clients changed: the listing rule in Python (the twin of the SQL one `week` reads through) costs
    # less than building its SQL.
    zone = owner.profile.zone
    clients = journal["clients"]
    for client in clients:
        due_on = client.listed_status_update_due_on(today, zone)
        client.listed = due_on is not None
        client.days_late = rules.status_update_days_late(due_on, today) if client.listed else None
    _without_absences(clients)
    promises, invoices, conflicts = journal["promises"], journal["invoices"], journal["conflicts"]
    shares = _shares(
        [
            *((client.pk, "client", client.band, None) for client in clients),
            *((client.pk, "listed", None, None) for client in clients if client.listed),
            *((promise.client_id, "promise", None, promise.due_on) for promise in promises),
            *((invoice.client_id, "invoice", None, None) for invoice in invoices),
            *((signal.client_id, "conflict", None, None) for signal in conflicts),
        ],
        today,
    )
    if changed <= found.shares.keys():
        # The counts move by what the changed clients add now less what they added when last read.
        now_counts = dict(found.counts)
        moves = [*((found.shares[pk], -1) for pk in changed), *((share, 1) for share in shares.values())]
        for share, sign in moves:
            for name, value in _counted({0: share}).items():
                now_counts[name] += sign * value
    else:  # what a client added is known once it has been read since the book was read whole
        now_counts = counts(owner, today, now)
    shares = {**{pk: share for pk, share in found.shares.items() if pk not in changed}, **shares}
    updates = [client for client in clients if client.listed]
    fresh = {
        "promises_overdue": [promise for promise in promises if promise.due_on < today],
        "promises_due": [promise for promise in promises if promise.due_on >= today],
        "status_updates": updates,
        "invoices_overdue": invoices,
        "conflicts_open": conflicts,
    }
    ranks = {client.pk: (client.rank, client.score) for client in clients if client.score is not None}
    week = Week(
        counts=now_counts,
        version=version,
        shares=shares,
        moved={pk: ranks.get(pk) for pk in changed},
        key=found.key,
        reread=found.reread,
    )
    for name, order in SECTIONS.items():
        was, now_count = found.counts[name], week.counts[name]
        if was == now_count and not fresh[name] and not found.clients[name] & changed:
            # Neither its count nor its items moved: the very items it showed, cached under the version they
            # were drawn at, not loaded.
            week.drawn[name], week.clients[name] = found.drawn[name], found.clients[name]
            if name in found.lists:
                week.lists[name] = found.lists[name]
            continue
        drawn = found.section(name)
        merged = _merged(drawn, fresh[name], changed, order, was, now_count)
        if merged is None:
            return None
        # A list whose count moved or that showed, or now shows, an item of a changed client is drawn again;
        # every other list shows the very items it showed (the same rows, kept from `found`).
        touched = now_count != was or any(_client_of(item) in changed for item in (*drawn, *merged))
        week.set_section(name, merged, version if touched else found.drawn[name])
    return week


def _client_of(item: Any) -> int:
    """Return the id of the client an item of the week's work belongs to (a status update's is the client)."""
    return item.pk if isinstance(item, Client) else item.client_id


def _merged(
    drawn: list[Any], fresh: list[Any], changed: set[int], order: Callable[[Any], tuple], was: int, now: int
) -> list[Any] | None:
    """Return a list of the week's work with the items of the `changed` clients replaced by their `fresh` ones,
    cut short again; None when it would need items after the ones `drawn` (there were `was` in all, there are
    `now`), which only the database has."""
    kept = [item for item in drawn if _client_of(item) not in changed]
    merged = sorted([*kept, *fresh], key=order)
    if was > len(drawn):  # the list was cut: what came after its last item is unknown
        if not drawn:
            return None
        merged = [item for item in merged if order(item) <= order(drawn[-1])]
    merged = merged[:WEEK_LIST_LIMIT]
    return merged if len(merged) == min(now, WEEK_LIST_LIMIT) else None


def board_key(owner: Any, full_path: str, today: date, now: datetime) -> str:
    """Return the cache key of the drawn board (counts, rows, week of work) at this address, day and hour."""
    return fragments.book_key("board", owner, today, now.strftime("%Y-%m-%dT%H"), full_path)


def section_keys(owner: Any, week: Week, today: date, now: datetime) -> dict[str, str]:
    """Return the cache key of each drawn list of the week's work: it changes with the version the list last
    changed at (`Week.drawn`), its count, the day and hour, the language, time zone and templates."""
    return {
        name: fragments.setting_key(
            "week-section",
            owner,
            name,
            week.drawn.get(name, week.version),
            week.counts[name],
            today,
            f"{now:%H}",
        )
        for name in SECTIONS
    }


@dataclass
class Shown:
    """What a page of `ranked_clients` showed: its clients as read at the book version `drawn`, still the same at
    `version`; `full` when the page was full, `last` the rank and score of its last client."""

    version: int
    drawn: int
    clients: frozenset[int]
    full: bool
    last: tuple[int, int] | None


def ranked_page(owner: Any, week: Week, page: Page, filters: dict[str, str]) -> int:
    """Return the book version the clients of `page` were read at (the key of their drawing, `table_key`),
    reading them now only when the book may have moved them; when it cannot have, the page's clients are read
    only if their drawing is no longer in the cache.

    The book may have moved them unless this is the first page of the whole book, full, and the last change was
    to clients (`Week.moved`) that were not on it and rank after its last client by rank and score (so after it
    whatever their names: the database and Python may not sort names alike).
    """
    key = fragments.setting_key("ranked-page", owner, page.number, sorted(filters.items()))
    shown = cache.get(key)
    if shown is not None and shown.version == week.version:
        return shown.drawn
    if shown is not None and _page_kept(shown, week, page, filters):
        cache.set(key, replace(shown, version=week.version), 3600)
        return shown.drawn
    clients = page.object_list = list(page.object_list)
    last = clients[-1].health if clients else None
    shown = Shown(
        version=week.version,
        drawn=week.version,
        clients=frozenset(client.pk for client in clients),
        full=len(clients) == page.paginator.per_page,
        last=None if last is None else (last.rank, last.score),
    )
    cache.set(key, shown, 3600)
    return shown.drawn


def _page_kept(shown: Shown, week: Week, page: Page, filters: dict[str, str]) -> bool:
    """Return True when the clients `shown` one version before `week` are still the page's (`ranked_page`)."""
    if shown.version != week.version - 1 or week.moved is None or page.number != 1 or any(filters.values()):
        return False
    # A page not full holds the whole book: a changed client may come onto it.
    if not shown.full or shown.last is None:
        return False
    return all(
        pk not in shown.clients and rank is not None and rank > shown.last for pk, rank in week.moved.items()
    )


def table_key(owner: Any, drawn: int, page: Page, filters: dict[str, str], today: date, now: datetime) -> str:
    """Return the cache key of the drawn table of a page of clients read at the book version `drawn`."""
    return fragments.setting_key(
        "board-table", owner, drawn, page.number, sorted(filters.items()), today, f"{now:%H}"
    )


def cached_rows(owner: Any, page: Page, filters: dict[str, str]) -> Page:
    """Give `page` its clients from the cache, read from the database once per version of the book (the list
    pages; the dashboard reads them with its board, which is drawn once per version)."""
    key = fragments.book_key("board-rows", owner, page.number, sorted(filters.items()))
    rows = cache.get(key)
    if rows is None:
        rows = list(page.object_list)
        cache.set(key, rows, 3600)
    page.object_list = rows
    return page


def week_key(owner: Any, today: date, now: datetime) -> str:
    """Return the cache key of the owner's week of work read on `today`, in this hour (whatever its version)."""
    zone = timezone.get_current_timezone_name()
    setting = f"{WEEK_LAYOUT}:{fragments.templates_fingerprint()}:{zone}"
    return f"week:{owner.pk}:{setting}:{today.isoformat()}:{now:%Y-%m-%dT%H}"


def cached_week(owner: Any, today: date, now: datetime) -> Week:
    """Return `week`, refreshed for the clients changed since it was read (`refreshed`) when the book changes (its
    profile's book_version), read again whole when that cannot be, when the day turns or the hour passes."""
    key = week_key(owner, today, now)
    reread = partial(read_section, owner, today)
    found = cache.get(key)
    if found is not None:
        found.reread = reread
        if found.version == owner.profile.book_version:
            return found
    now_week = (found is not None and refreshed(owner, found, today, now)) or week(owner, today, now)
    now_week.key, now_week.reread = key, reread
    cache.set_many({key: now_week, **now_week.lists_to_keep()}, WEEK_SECONDS)
    return now_week


def alerts(owner: Any, now: datetime) -> dict[str, list[Any]]:
    """Return what the dashboard tells above its board on every visit: the reminders that could not be delivered,
    the concerns clients raised on their pages (issue 26) and the recaps to clarify (crm/recaps).

    Each read is compiled once for every freelancer (`crm.core.statements`): building the three querysets cost
    Django three times what the database takes to answer them, on every visit, cached board or not."""
    return {
        "undelivered": statements.objects(
            "alerts:undelivered", Dispatch.failed_since, (owner.pk, undelivered_shown_since(now)), Dispatch
        ),
        "client_concerns": statements.objects(
            "alerts:concerns",
            lambda owner_id: ConflictSignal.objects.for_owner(owner_id).raised_by_clients(),
            (owner.pk,),
            ConflictSignal,
        ),
        "recaps_to_clarify": statements.objects(
            "alerts:recaps",
            lambda owner_id, moment: (
                Recap.objects.for_owner(owner_id)
                .unanswered_written_by(moment)
                .select_related("client", "interaction")[:WEEK_LIST_LIMIT]
            ),
            (owner.pk, clarify_written_by(now)),
            Recap,
        ),
    }

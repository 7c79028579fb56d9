"""The queries behind the dashboard: the book ranked worst-first, counts per band, and the week's work.

Each function runs one query whatever the size of the book, so the dashboard has a fixed query budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Invoice, Promise
from crm.models.health import Band

# Worst first: at risk, then watch, then healthy; clients without enough history last.
BAND_RANK = Case(
    When(health__band=Band.AT_RISK, then=Value(0)),
    When(health__band=Band.WATCH, then=Value(1)),
    When(health__band=Band.HEALTHY, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
WEEK_LIST_LIMIT = 8


class AddDays(Func):
    """`moment + days` where `days` is an integer column: SQLite and PostgreSQL spell it differently."""

    output_field = DateTimeField()

    def _parts(self, compiler: Any) -> tuple[str, str, list[Any]]:
        moment_sql, moment_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return moment_sql, days_sql, [*moment_params, *days_params]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        moment, days, params = self._parts(compiler)
        return f"({moment} + make_interval(days => {days}))", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        moment, days, params = self._parts(compiler)
        return f"datetime({moment}, '+' || {days} || ' days')", params


def ranked_clients(owner: Any, *, band: str = "", status: str = "", q: str = "") -> QuerySet[Client]:
    """Return the owner's clients, worst trust health first, filtered by band, status and a search."""
    clients = Client.objects.for_owner(owner).search(q).select_related("health").annotate(band_rank=BAND_RANK)
    if status in Client.Status.values:
        clients = clients.filter(status=status)
    if band == Band.INSUFFICIENT:
        clients = clients.filter(Q(health__isnull=True) | Q(health__band=band))
    elif band in Band.values:
        clients = clients.filter(health__band=band)
    return clients.order_by("band_rank", "health__score", "name", "pk")


def _count(rows: QuerySet[Any], owner_path: str) -> Coalesce:
    """A scalar subquery counting `rows` that belong to the outer user."""
    counted = (
        rows.filter(**{owner_path: OuterRef("pk")})
        .order_by()
        .values(owner_path)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def status_updates_due(owner: Any, now: datetime) -> QuerySet[Client]:
    """Return active clients whose status update is overdue or due within two days, most overdue first."""
    due_at = AddDays(Coalesce("last_status_update_at", "created_at"), F("cadence_days"))
    return (
        Client.objects.for_owner(owner)
        .filter(status=Client.Status.ACTIVE)
        .annotate(update_due_at=due_at)
        .filter(update_due_at__lte=now + timedelta(days=2))
        .order_by("update_due_at", "pk")
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
    promises = Promise.objects.open()
    # Band counts read ClientHealth alone through its (owner, band) index; "not enough history" is the rest
    # of the book (clients without a score yet included), so the client table is counted once, not joined.
    health = ClientHealth.objects.all()
    row = (
        get_user_model()
        .objects.filter(pk=owner.pk)
        .values(
            book_size=_count(Client.objects.all(), "owner"),
            at_risk=_count(health.filter(band=Band.AT_RISK), "owner"),
            watch=_count(health.filter(band=Band.WATCH), "owner"),
            healthy=_count(health.filter(band=Band.HEALTHY), "owner"),
            promises_overdue=_count(promises.filter(due_on__lt=today), "client__owner"),
            promises_due=_count(
                promises.filter(due_on__gte=today, due_on__lte=today + timedelta(days=7)), "client__owner"
            ),
            status_updates=_count(status_updates_due(owner, now).order_by(), "owner"),
            invoices_overdue=_count(Invoice.objects.overdue(today), "owner"),
            conflicts_open=_count(ConflictSignal.objects.open(), "client__owner"),
        )
        .get()
    )
    row["insufficient"] = row.pop("book_size") - row["at_risk"] - row["watch"] - row["healthy"]
    return row


def week(owner: Any, today: date, now: datetime) -> Week:
    """Return the week's work: overdue and coming promises, status updates, overdue invoices, open conflicts."""
    cut = WEEK_LIST_LIMIT
    promises = Promise.objects.for_owner(owner).open().select_related("client").order_by("due_on", "pk")
    updates = list(status_updates_due(owner, now)[:cut])
    for client in updates:
        client.days_late = client.status_update_days_late(today)
    return Week(
        counts=counts(owner, today, now),
        promises_overdue=list(promises.filter(due_on__lt=today)[:cut]),
        promises_due=list(promises.filter(due_on__gte=today, due_on__lte=today + timedelta(days=7))[:cut]),
        status_updates=updates,
        invoices_overdue=list(
            Invoice.objects.for_owner(owner)
            .overdue(today)
            .select_related("client")
            .order_by(Coalesce("renegotiated_due_on", "due_on"), "pk")[:cut]
        ),
        conflicts_open=list(
            ConflictSignal.objects.for_owner(owner)
            .open()
            .select_related("client")
            .order_by("-severity", "observed_on", "pk")[:cut]
        ),
    )

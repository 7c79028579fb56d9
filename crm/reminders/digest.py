"""The weekly digest: what one freelancer promised, kept and owes, built in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone, translation

from clients.models import Client, Profile
from crm.core import queries, rules
from crm.core.dates import SHORT_DAY, written_day
from crm.core.days import local_midnight
from crm.models import Dispatch, Invoice, Promise, RecapLine, ScopeChange
from crm.models.health import Band
from crm.reminders.emails import client_url, preferences_context, render_email
from crm.trust.reasons import describe, side_label

# The digest looks back over the 7 days before the day it is sent, and ahead over the next 7.
WINDOW_DAYS = 7
# A trust health that lost fewer points than this since last week is noise (a point or two comes and goes as
# evidence ages), not news worth a line in the digest.
MIN_HEALTH_DROP = 3


@dataclass
class ClientDue:
    """A client whose status update is due (days_late 0 or -1) or lapsed (days_late > 0)."""

    client: Client
    due_on: date
    days_late: int


@dataclass
class HealthDrop:
    client: Client
    score: int
    score_week_ago: int
    reason: str
    next_step: str
    my_score: int | None = None
    client_score: int | None = None


@dataclass
class SideAtRisk:
    """A client whose word, or whose client's word, is at risk: which side needs the work."""

    client: Client
    my_score: int | None
    client_score: int | None
    side: str  # "mine" | "client"
    side_label: str


@dataclass
class Digest:
    owner: Any
    profile: Profile
    today: date
    since: date
    kept: list[Promise] = field(default_factory=list)
    due_last_week: int = 0
    kept_on_time_last_week: int = 0
    due_soon: list[Promise] = field(default_factory=list)
    overdue: list[Promise] = field(default_factory=list)
    status_updates: list[ClientDue] = field(default_factory=list)
    health_drops: list[HealthDrop] = field(default_factory=list)
    overdue_invoices: list[Invoice] = field(default_factory=list)
    # Promises (the freelancer's and the client's) open so long past due that they should be settled.
    to_settle: list[Promise] = field(default_factory=list)
    sides_at_risk: list[SideAtRisk] = field(default_factory=list)
    # Scope changes that wait for a decision, of either side (issue 26), oldest first.
    pending_scope_changes: list[ScopeChange] = field(default_factory=list)
    # The lines of a recap the client corrected in the week gone by (crm/recaps): the freelancer answers them.
    recap_corrections: list[RecapLine] = field(default_factory=list)

    @property
    def last_day(self) -> date:
        return self.today - timedelta(days=1)

    @property
    def week_written(self) -> tuple[str, str]:
        """Return the first and last day of the week gone by, written out."""
        return written_day(self.since), written_day(self.last_day)

    @property
    def today_written(self) -> str:
        return written_day(self.today, SHORT_DAY)

    @property
    def say_do_ratio(self) -> int | None:
        """Return the percentage of the promises due last week that were kept on time (None: none due)."""
        if not self.due_last_week:
            return None
        return round(100 * self.kept_on_time_last_week / self.due_last_week)

    @property
    def is_empty(self) -> bool:
        return not (
            self.kept
            or self.due_last_week
            or self.due_soon
            or self.overdue
            or self.status_updates
            or self.health_drops
            or self.overdue_invoices
            or self.to_settle
            or self.sides_at_risk
            or self.pending_scope_changes
            or self.recap_corrections
        )


def clients_due_for_status_update(clients: list[Client], today: date, zone: Any) -> list[ClientDue]:
    """Return the clients whose status update is listed as due on `today` (`Client.status_update_listed`, the
    dashboard's rule too: lapsed, due today or coming due), most late first."""
    due = []
    for client in clients:
        if (due_on := client.listed_status_update_due_on(today, zone)) is not None:
            due.append(ClientDue(client, due_on, rules.status_update_days_late(due_on, today)))
    return sorted(due, key=lambda item: (-item.days_late, item.client.name))


def _due_order(row: Promise | Invoice) -> tuple[date, int]:
    return row.due_on, row.pk


def build_digest(owner: Any, now: datetime) -> Digest:
    """Return the digest of `owner` as of `now` (in their time zone); six queries whatever the book size (the
    clients' absences are one of them, the scope changes waiting for a decision another, the recap lines the
    client corrected a third).

    Seven when `owner.profile` is not loaded yet (the sender loads it with the owner).
    """
    profile = owner.profile
    zone = profile.zone
    today = profile.local_today(now)
    since = today - timedelta(days=WINDOW_DAYS)
    digest = Digest(owner=owner, profile=profile, today=today, since=since)

    # The three queries take no join and no ORDER BY that they can do without: for a book's few rows, compiling
    # them costs Django more than running them costs the database, and Python sorts the lists for less.
    # 1. Every client of the book with its trust health: the promises and invoices take their client from here.
    clients = {
        client.pk: client
        for client in Client.objects.for_owner(owner).select_related("health").order_by().with_absences()
    }

    # 2. Every freelancer promise the digest can mention, and the client's promises to settle, split in Python.
    promises = (
        Promise.objects.for_owner(owner)
        .filter(
            (
                Q(state=Promise.State.OPEN, due_on__lt=today + timedelta(days=WINDOW_DAYS))
                | Q(due_on__gte=since, due_on__lt=today)
                | Q(kept_on__gte=since, kept_on__lt=today)
            )
            & Q(promisor=Promise.Promisor.FREELANCER)
            | Q(state=Promise.State.OPEN, promisor=Promise.Promisor.CLIENT)
            & queries.to_settle("due_on", today)
        )
        .order_by()
    )
    for promise in sorted(promises, key=_due_order):
        promise.client = clients[promise.client_id]
        if promise.is_to_settle(today):
            promise.days_late = promise.days_overdue(today)
            promise.due_day = written_day(promise.due_on)
            digest.to_settle.append(promise)
            if promise.promisor == Promise.Promisor.CLIENT:
                continue
        if promise.kept_on and since <= promise.kept_on < today:
            promise.kept_day = written_day(promise.kept_on)
            digest.kept.append(promise)
        if since <= promise.due_on < today:
            digest.due_last_week += 1
            if promise.state == Promise.State.KEPT and promise.kept_on <= promise.due_on:
                digest.kept_on_time_last_week += 1
        if promise.state == Promise.State.OPEN and not promise.is_to_settle(today):
            promise.days_late = promise.days_overdue(today)
            promise.due_day = written_day(promise.due_on)
            (digest.overdue if promise.is_overdue(today) else digest.due_soon).append(promise)

    # The active clients' cadence, and the trust health that dropped since last week, worst drop first.
    active = [client for client in clients.values() if client.status == Client.Status.ACTIVE]
    digest.status_updates = clients_due_for_status_update(active, today, zone)
    for client in clients.values():
        health = getattr(client, "health", None)
        if health is None:
            continue
        for side in ("client", "mine"):
            if health.side_band(side) == Band.AT_RISK:
                digest.sides_at_risk.append(
                    SideAtRisk(client, health.my_score, health.client_score, side, side_label(side))
                )
                break
        if health.score_week_ago is None:
            continue
        if health.score_week_ago - health.score < MIN_HEALTH_DROP:
            continue
        top = describe(health.reasons[0], today) if health.reasons else None
        digest.health_drops.append(
            HealthDrop(
                client,
                health.score,
                health.score_week_ago,
                str(top.text) if top else "",
                str(top.next_step) if top else "",
                health.my_score,
                health.client_score,
            )
        )
    digest.sides_at_risk.sort(key=lambda item: (item.side != "client", item.client.name))
    digest.health_drops.sort(key=lambda drop: (drop.score - drop.score_week_ago, drop.client.name))

    # 3. Invoices past their (renegotiated) due date.
    digest.overdue_invoices = sorted(
        Invoice.objects.for_owner(owner).overdue(today).order_by(), key=_due_order
    )
    for invoice in digest.overdue_invoices:
        invoice.client = clients[invoice.client_id]
        invoice.late = invoice.lateness(today)
        # Late from its own due date (a new date agreed does not reset it): the day the count starts from.
        invoice.due_day = written_day(invoice.due_on, SHORT_DAY)

    # 4. Scope changes waiting for a decision (the client's, on their page, or the freelancer's), with their project.
    digest.pending_scope_changes = sorted(
        ScopeChange.objects.for_owner(owner).pending().select_related("project").order_by(),
        key=lambda change: (change.asked_on, change.pk),
    )
    for change in digest.pending_scope_changes:
        change.client = clients[change.client_id]
        change.asked_day = written_day(change.asked_on, SHORT_DAY)
        change.waits_for_me = change.waits_for(ScopeChange.Side.FREELANCER)
    # 5. The recap lines the client corrected in the week gone by, with their promises (crm/recaps).
    start = local_midnight(since, zone)
    digest.recap_corrections = list(
        RecapLine.objects.filter(owner=owner, answer=RecapLine.Answer.CORRECTED, answered_at__gte=start)
        .select_related("promise")
        .order_by("answered_at", "pk")
    )
    for line in digest.recap_corrections:
        line.client = clients[line.client_id]
    return digest


# -- the email (the outbox's "digest" kind, crm/reminders/kinds.py) ----------------------------------------------


def message(dispatch: Dispatch, now: datetime) -> EmailMultiAlternatives | None:
    """Return the digest email of a dispatch (its owner loaded with the profile by the claim), or None."""
    return digest_message(dispatch.owner, now) if dispatch.owner.email else None


def digest_message(owner: Any, now: datetime) -> EmailMultiAlternatives | None:
    """Return the weekly digest email of `owner`, or None if it is turned off or empty and unwanted."""
    profile = owner.profile
    if not profile.digest_enabled:
        return None
    # The reasons' texts are translated while the digest is built: build it in the freelancer's language.
    with translation.override(profile.language), timezone.override(profile.zone):
        digest = build_digest(owner, now)
        if digest.is_empty and not profile.digest_when_empty:
            return None
        context, headers = preferences_context(owner, Dispatch.Kind.DIGEST)
        _link_clients(digest)
        context.update(digest=digest)
        return render_email("digest", context, to=[owner.email], headers=headers)


def _link_clients(digest: Any) -> None:
    """Give every client the digest mentions its absolute workspace link (`client.link`)."""
    clients = [p.client for p in [*digest.kept, *digest.due_soon, *digest.overdue]]
    clients += [item.client for item in [*digest.status_updates, *digest.health_drops]]
    clients += [invoice.client for invoice in digest.overdue_invoices]
    clients += [item.client for item in digest.sides_at_risk]
    clients += [promise.client for promise in digest.to_settle]
    clients += [change.client for change in digest.pending_scope_changes]
    clients += [line.client for line in digest.recap_corrections]
    links: dict[int, str] = {}
    for client in clients:
        if client.pk not in links:
            links[client.pk] = client_url(client.pk)
        client.link = links[client.pk]

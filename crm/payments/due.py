"""The "next step at" columns the every-minute sweep reads instead of the whole book.

- `Invoice.next_reminder_at`: the instant the payment follow-up's planner prepares the invoice's next reminder
  (`crm.payments.schedule.preparation_day`, at the start of that local day in the freelancer's time zone); None
  when paid, when a reminder awaits the freelancer's decision, or when the sequence is over.
- `Client.status_update_listed_at`: the instant the client's status update is listed as due
  (`crm.core.rules.status_update_listed_at`); None while the client is not active. The nudges read it.

Both are pure functions of stored rows, never of "now": a sweep finds what is due with `column <= now` through an
index, reading nothing for the rest of the book. They are written here, from the same rules the planners apply:

1. the journal's door (`crm.trust.door.journal_changed`) refreshes both for the clients it is given, and every
   path that changes an invoice, a client's cadence, status or absence, or a client's journal passes it (forms,
   one-click actions, undo, the trash and its restore, imports, the API, the admin, the sample book);
2. the planner refreshes the invoices whose reminders it prepares or stops (`crm.reminders.payment_follow_up`),
   and a decision on a reminder (approved, skipped, sent) refreshes its invoice;
3. a client's own reminder days (`crm.trust.door.record_saved`) and a freelancer's time zone or reminder days
   (`profile_changed`, below, called by Settings and the admin) refresh the rows they feed;
4. migration 0025 (crm) filled them for the rows stored before; `refresh_book` fills a book written by bulk inserts
   (the large generated books of the bench).

What is not in the columns is checked when the due rows are read, in SQL: an open payment conflict and a client
without an email address hold a due reminder back (the planner skips them), and end by themselves.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import FilteredRelation, Q

from clients.models import Absence, Client, Profile
from crm.core import rules
from crm.core.days import local_day, local_midnight
from crm.models import Invoice, PaymentReminder
from crm.payments import schedule

PENDING = (PaymentReminder.State.PROPOSED, PaymentReminder.State.APPROVED)
DECIDED = (PaymentReminder.State.SENT, PaymentReminder.State.SKIPPED)
# Rows per UPDATE of the columns (`pk IN (...)`).
WRITE_BATCH = 2000
# The profile's fields the columns are counted in: a save that changes none of them leaves them right.
PROFILE_FIELDS = frozenset(
    {"time_zone", "reminder_courteous_days", "reminder_firm_days", "reminder_notice_days"}
)


class _Zones(dict[str | None, zoneinfo.ZoneInfo]):
    def __missing__(self, name: str | None) -> zoneinfo.ZoneInfo:
        # An owner without a profile yet (rows written before it): the project's zone, as the trust engine reads it.
        zone = self[name] = zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
        return zone


def reminder_days(
    client_days: tuple[Any, Any, Any], profile_days: tuple[int, int, int]
) -> tuple[int, int, int]:
    """Return the three steps' days: the client's own when all three are set, else the freelancer's
    (`Client.reminder_days`)."""
    if all(client_days):
        return client_days
    if not all(profile_days):  # an owner without a profile yet: the settings' defaults
        names = ("reminder_courteous_days", "reminder_firm_days", "reminder_notice_days")
        return tuple(Profile._meta.get_field(name).default for name in names)  # type: ignore[return-value]
    return profile_days


def decided_days(reminders: Iterable[tuple[date, int, str, datetime | None]], basis: date, zone: Any) -> dict:
    """Return {step: local day it was decided} of the reminders (due_basis, step, state, decided_at) of `basis`
    already sent or skipped, as the planner counts them."""
    return {
        step: local_day(decided_at, zone)
        for due_basis, step, state, decided_at in reminders
        if due_basis == basis and state in DECIDED and decided_at
    }


def next_reminder_at(
    due_on: date,
    paid_on: date | None,
    days: tuple[int, int, int],
    reminders: list[tuple[date, int, str, datetime | None]],
    zone: Any,
) -> datetime | None:
    """Return an invoice's `next_reminder_at` from its (effective) due day, payment, steps' days and reminders
    (due_basis, step, state, decided_at): `schedule.preparation_day` at the start of that day in `zone`."""
    if paid_on is not None:
        return None
    pending = any(due_basis == due_on and state in PENDING for due_basis, _step, state, _at in reminders)
    day = schedule.preparation_day(due_on, days, decided_days(reminders, due_on, zone), pending=pending)
    return None if day is None else local_midnight(day, zone)


def _write(model: type, column: str, values: dict[int, datetime | None]) -> None:
    """Write `column` of these rows (pk -> value): one UPDATE per distinct value (a book's rows share a few
    hundred days at most; one row, as the door writes it, is one UPDATE), in batches of WRITE_BATCH rows."""
    by_value: dict[datetime | None, list[int]] = defaultdict(list)
    for pk, value in values.items():
        by_value[value].append(pk)
    for value, pks in by_value.items():
        pks.sort()
        for first in range(0, len(pks), WRITE_BATCH):
            model.objects.filter(pk__in=pks[first : first + WRITE_BATCH]).update(**{column: value})


def refresh_invoices(scope: Q) -> int:
    """Bring `next_reminder_at` up to date for the invoices matching `scope` (a `Q` over invoices); return how
    many moved. Two reads (one when none is unpaid) and an UPDATE only for the rows that moved."""
    rows = list(
        Invoice.objects.filter(scope)
        .filter(Q(paid_on__isnull=True) | Q(next_reminder_at__isnull=False))
        .order_by()
        .values_list(
            "pk",
            "due_on",
            "renegotiated_due_on",
            "paid_on",
            "next_reminder_at",
            "client__reminder_courteous_days",
            "client__reminder_firm_days",
            "client__reminder_notice_days",
            "owner__profile__time_zone",
            "owner__profile__reminder_courteous_days",
            "owner__profile__reminder_firm_days",
            "owner__profile__reminder_notice_days",
        )
    )
    unpaid = [row[0] for row in rows if row[3] is None]
    reminders: dict[int, list[tuple[date, int, str, datetime | None]]] = defaultdict(list)
    if unpaid:
        for invoice_id, *reminder in (
            PaymentReminder.objects.filter(invoice__in=Invoice.objects.filter(scope, paid_on__isnull=True))
            .order_by()
            .values_list("invoice_id", "due_basis", "step", "state", "decided_at")
        ):
            reminders[invoice_id].append(tuple(reminder))  # type: ignore[arg-type]  # four values, as unpacked
    zones = _Zones()
    moved = {}
    for pk, due_on, renegotiated, paid_on, stored, *days in rows:
        basis = rules.effective_due_on(due_on, renegotiated)
        steps = reminder_days(tuple(days[:3]), tuple(days[4:7]))  # type: ignore[arg-type]
        value = next_reminder_at(basis, paid_on, steps, reminders[pk], zones[days[3]])
        if value != stored:
            moved[pk] = value
    _write(Invoice, "next_reminder_at", moved)
    return len(moved)


def away_spans(scope: Q) -> dict[int, rules.Spans]:
    """Return {client id: away days} of the clients matching `scope` (a `Q` over clients) that have absences:
    one query (`Client.spans_of`)."""
    absences: dict[int, list[Absence]] = defaultdict(list)
    for absence in Absence.objects.filter(client__in=Client.objects.filter(scope)).for_spans():
        absences[absence.client_id].append(absence)
    return {client_id: Client.spans_of(rows) for client_id, rows in absences.items()}


def listed_at(row: tuple[Any, ...], spans: rules.Spans, zone: Any) -> datetime | None:
    """Return `Client.status_update_listed_at` of a client row (created_at, last_status_update_at, cadence_days,
    status) away on `spans`."""
    created_at, last_update_at, cadence_days, status = row
    try:
        return rules.status_update_listed_at(
            last_update_at or created_at,
            cadence_days,
            spans,
            zone,
            active=status == Client.Status.ACTIVE,
        )
    except OverflowError:  # a moment stored before the window, out of the zone's range: listed from the start
        return local_midnight(date.min, zone)


def refresh_clients(scope: Q) -> int:
    """Bring `status_update_listed_at` up to date for the clients matching `scope`; return how many moved. One
    read, and an UPDATE only for the rows that moved."""
    zones = _Zones()
    spans = away_spans(scope)
    moved = {}
    for pk, stored, time_zone, *row in (
        Client.objects.filter(scope)
        .order_by()
        .values_list(
            "pk",
            "status_update_listed_at",
            "owner__profile__time_zone",
            "created_at",
            "last_status_update_at",
            "cadence_days",
            "status",
        )
    ):
        value = listed_at(tuple(row), spans.get(pk, ()), zones[time_zone])
        if value != stored:
            moved[pk] = value
    _write(Client, "status_update_listed_at", moved)
    return len(moved)


@dataclass
class Read:
    """What the columns of some clients and of their invoices are counted from, as the journal's door read it with
    their histories (`crm.trust.health.recompute_clients`), so `clients_changed` reads nothing more.

    - `clients`: pk -> (stored `status_update_listed_at`, (created_at, last_status_update_at, cadence_days, status),
      the owner's time zone name, the client's three reminder days, the owner's three);
    - `clocks`: pk -> the contact clocks as the journal has them (`last_contact_at`, `last_status_update_at`),
      written with the column; `moved`: the clients whose stored clocks are not these;
    - `invoices`: the open invoices (unpaid, or with a column to clear): pk -> (client id, stored
      `next_reminder_at`, due_on, renegotiated_due_on, paid_on); `reminders`: their reminders, as `next_reminder_at`
      takes them; `spans`: the clients' away days.
    """

    clients: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    clocks: dict[int, tuple[datetime | None, datetime | None]] = field(default_factory=dict)
    moved: set[int] = field(default_factory=set)
    invoices: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    reminders: dict[int, list[tuple[date, int, str, datetime | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    spans: dict[int, rules.Spans] = field(default_factory=dict)


# The payment reminder days of a client, then its freelancer's (`reminder_days` picks the client's where set).
REMINDER_DAY_FIELDS = (
    "reminder_courteous_days",
    "reminder_firm_days",
    "reminder_notice_days",
    "owner__profile__reminder_courteous_days",
    "owner__profile__reminder_firm_days",
    "owner__profile__reminder_notice_days",
)
# The clients' columns the door reads for `Read.clients`, after the ones the trust health reads.
CLIENT_FIELDS = ("status_update_listed_at", *REMINDER_DAY_FIELDS)


def clients_changed(client_ids: Iterable[int], read: Read | None = None) -> None:
    """Refresh both columns for these clients and their invoices (the journal's door calls it), and an UPDATE only
    for a column that moved: the clients' in one UPDATE per batch, with the contact clocks that moved.

    From what the door `read` with the clients' histories; without it, one read of the clients with their open
    invoices (unpaid, or with a column to clear) and those invoices' reminders, and one of their absences.
    """
    ids = sorted(set(client_ids))
    if not ids:
        return
    if read is None:
        read = _read(ids)
    zones = _Zones()
    moved_clients: dict[int, dict[str, Any]] = {}
    for pk, (stored, client, time_zone, *_days) in read.clients.items():
        value = listed_at(client, read.spans.get(pk, ()), zones[time_zone])
        if value != stored or pk in read.moved:
            columns = {"status_update_listed_at": value}
            if pk in read.clocks:
                columns["last_contact_at"], columns["last_status_update_at"] = read.clocks[pk]
            moved_clients[pk] = columns
    moved_invoices = {}
    for pk, (client_id, stored, due_on, renegotiated, paid_on) in read.invoices.items():
        _stored, _client, time_zone, client_days, profile_days = read.clients[client_id]
        steps = reminder_days(client_days, profile_days)
        basis = rules.effective_due_on(due_on, renegotiated)
        value = next_reminder_at(basis, paid_on, steps, read.reminders.get(pk, []), zones[time_zone])
        if value != stored:
            moved_invoices[pk] = value
    _write_rows(Client, moved_clients)
    _write(Invoice, "next_reminder_at", moved_invoices)


def _read(ids: list[int]) -> Read:
    """Return what the columns of these clients and their invoices are counted from (two queries)."""
    open_invoices = FilteredRelation(
        "invoices", condition=Q(invoices__paid_on__isnull=True) | Q(invoices__next_reminder_at__isnull=False)
    )
    rows = (
        Client.objects.filter(pk__in=ids)
        .annotate(open=open_invoices)
        .order_by()
        .values_list(
            "pk",
            "status_update_listed_at",
            "owner__profile__time_zone",
            "created_at",
            "last_status_update_at",
            "cadence_days",
            "status",
            *REMINDER_DAY_FIELDS,
            "open__pk",
            "open__due_on",
            "open__renegotiated_due_on",
            "open__paid_on",
            "open__next_reminder_at",
            "open__reminders__due_basis",
            "open__reminders__step",
            "open__reminders__state",
            "open__reminders__decided_at",
        )
    )
    read = Read()
    for row in rows:
        pk, stored, time_zone, client = row[0], row[1], row[2], row[3:7]
        read.clients.setdefault(pk, (stored, client, time_zone, row[7:10], row[10:13]))
        invoice_id, due_on, renegotiated, paid_on, at = row[13:18]
        if invoice_id is not None:
            read.invoices.setdefault(invoice_id, (pk, at, due_on, renegotiated, paid_on))
            if row[18] is not None:
                read.reminders[invoice_id].append(row[18:22])  # type: ignore[arg-type]  # four values, as unpacked
    read.spans = away_spans(Q(pk__in=ids))
    return read


def _write_rows(model: type, rows: dict[int, dict[str, Any]]) -> None:
    """Write these rows' columns (pk -> {column: value}, the same columns for every row): one UPDATE per batch of
    WRITE_BATCH rows (a CASE on the pk when there are several, as `bulk_update` writes them)."""
    if not rows:
        return
    if len(rows) == 1:
        ((pk, values),) = rows.items()
        model.objects.filter(pk=pk).update(**values)
        return
    columns = sorted(next(iter(rows.values())))
    records = [model(pk=pk, **values) for pk, values in sorted(rows.items())]
    model.objects.bulk_update(records, columns, batch_size=WRITE_BATCH)


def refresh_book(owner_ids: Iterable[int]) -> None:
    """Refresh both columns over these freelancers' whole books (bulk-written books, a time zone change)."""
    ids = sorted(set(owner_ids))
    refresh_clients(Q(owner_id__in=ids))
    refresh_invoices(Q(owner_id__in=ids))


def profile_changed(profile: Profile, before: Mapping[str, Any]) -> None:
    """Refresh the freelancer's whole book when the saved `profile`'s time zone or reminder days differ from
    `before` (the values its form was drawn with, `ModelForm.initial`; empty for a new profile): both columns
    are counted in them. Called by every face that saves them (Settings, the admin), in the save's transaction."""
    if any(before.get(name) != getattr(profile, name) for name in PROFILE_FIELDS):
        refresh_book([profile.user_id])


__all__ = [
    "CLIENT_FIELDS",
    "Read",
    "clients_changed",
    "listed_at",
    "next_reminder_at",
    "profile_changed",
    "refresh_book",
    "refresh_clients",
    "refresh_invoices",
]

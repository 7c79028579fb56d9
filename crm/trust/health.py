"""The ORM side of the trust health: load clients' histories as plain facts, run `crm.trust`, store the results.

One client (`recompute_client`) or a whole book (`recompute_book`) goes through the same batch loader: the clients'
rows, then every table of their history in one UNION ALL with `client_id__in` (`_history`), so a batch costs the same
few queries whatever its size.
"""

from __future__ import annotations

import functools
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import chain
from operator import itemgetter
from typing import Any

import orjson
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections, router, transaction
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from clients.models import Absence, Client, Profile, Project
from conflicts.models import ConflictSignal
from crm.core import rules, statements
from crm.core.days import local_day, local_midnight
from crm.models import (
    CheckIn,
    ClientHealth,
    Feeling,
    HealthChange,
    HealthSnapshot,
    Interaction,
    Invoice,
    PaymentReminder,
    Promise,
    Rate,
    RecapLine,
    ScopeChange,
)
from crm.models.health import Band
from crm.models.trash import UNDO_MINUTES
from crm.payments import due
from crm.trust import formula

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
# The kind the conflicts' read gives a scope change that may count toward scope drift (never a signal's kind).
SCOPE_CHANGE = "scope"
# A change to a client's history that moves its stored score by at least this many points, or changes its band,
# is written to its timeline as a `HealthChange` (by `recompute_clients` only, behind the journal's door: the
# nightly `recompute_book`, where old events merely fade, writes none, or every timeline would fill up day after day).
HEALTH_CHANGE_MIN_POINTS = 1
SPARKLINE_WEEKS = 11  # weekly snapshots before today, plus today's score: 12 points
SPARKLINE_WIDTH, SPARKLINE_HEIGHT, SPARKLINE_PAD = 100, 24, 2

# The stored columns, in the order `_compute_batch` returns them.
_COLUMNS = [
    "client",
    "owner",
    "score",
    "band",
    "components",
    "reasons",
    "evidence_count",
    "my_score",
    "client_score",
    "score_week_ago",
    "sparkline_points",
    "computed_at",
]
_ATTNAMES = [ClientHealth._meta.get_field(name).attname for name in _COLUMNS]
_OWNER = _COLUMNS.index("owner")


def thresholds() -> formula.BandThresholds:
    """Return the band thresholds from the settings."""
    return formula.BandThresholds(healthy=settings.TRUST_BAND_HEALTHY, watch=settings.TRUST_BAND_WATCH)


def sparkline_points(points: Iterable[tuple[int, int]]) -> str:
    """Return "x,y x,y ..." for an SVG polyline in a 100x24 viewBox from (days ago, score) pairs, oldest first."""
    span = SPARKLINE_WEEKS * 7
    usable = SPARKLINE_HEIGHT - 2 * SPARKLINE_PAD
    coords = []
    for days_ago, score in sorted(points, key=lambda p: -p[0]):
        x = SPARKLINE_WIDTH * (span - min(days_ago, span)) / span
        y = SPARKLINE_PAD + usable * (100 - score) / 100
        coords.append(f"{round(x, 1):g},{round(y, 1):g}")
    return " ".join(coords) if len(coords) > 1 else ""


class _Zones(dict[str, zoneinfo.ZoneInfo]):
    def __missing__(self, name: str) -> zoneinfo.ZoneInfo:
        zone = self[name] = zoneinfo.ZoneInfo(name)
        return zone


def _compute_batch(
    ids: Any, rows: list[tuple[Any, ...]], now: datetime, sweep: due.Read | None = None
) -> list[tuple[Any, ...]]:
    """Return the ClientHealth values (in `_COLUMNS` order) of the clients in `rows` (one read of every table,
    `_history`, whatever the batch size).

    With `sweep`, what the sweep's columns are counted from is put in it as read with the history (the clients'
    open invoices, their reminders, the clients' away days: `crm.payments.due.clients_changed`).

    `ids` selects the same clients for the reads' `client_id__in`: a list for one client; for a batch, a
    subquery (by owner and primary-key range), which costs the same to build whatever the batch size, where a
    list of 500 ids costs milliseconds per query.
    """
    zones = _Zones()
    default_zone = settings.TIME_ZONE
    zone_of = {row[0]: zones[row[5] or default_zone] for row in rows}
    today_in = {zone: local_day(now, zone) for zone in set(zone_of.values())}
    today_of = {cid: today_in[zone] for cid, zone in zone_of.items()}
    connection = connections[router.db_for_read(Client)]  # the book's tables live in one database
    moment = _datetime_from_text(connection)

    # The weekly snapshots of the sparkline; the one 7 days ago is also "a week ago".
    days_ago_of: dict[date, int] = {}
    for today in set(today_of.values()):
        for weeks in range(1, SPARKLINE_WEEKS + 1):
            days_ago_of[today - timedelta(weeks=weeks)] = weeks * 7
    # Every table in one read (`_HISTORY`), each table's rows in the order the loader reads them.
    horizon = now - timedelta(days=formula.INTERACTION_HORIZON_DAYS)
    history = _history(ids, sorted(days_ago_of), horizon, now, connection, sweep=sweep is not None)

    # The active projects and every absence, past ones too (a past absence still explains the silence during it).
    active_since: dict[int, datetime] = {}
    own_absences: dict[int, list[rules.Period]] = defaultdict(list)
    pauses: dict[int, list[rules.Period]] = defaultdict(list)
    # The pauses of each active project (an active project never paused pauses nothing): `rules.away_spans`.
    project_pauses: dict[int, dict[int, list[rules.Period]]] = defaultdict(dict)
    for client_id, project_id, start_on, end_on in history["absences"]:
        if project_id is None:
            own_absences[client_id].append((start_on, end_on))
        else:
            pauses[project_id].append((start_on, end_on))
    for client_id, project_id, start_on, created_at in history["projects"]:
        project_pauses[client_id][project_id] = pauses[project_id]
        # In UTC: the formula compares it with every status update, and mixed zones make each comparison slow.
        since = (
            local_midnight(start_on, zone_of[client_id]).astimezone(UTC) if start_on else moment(created_at)
        )
        if client_id not in active_since or since < active_since[client_id]:
            active_since[client_id] = since

    promises: dict[int, list[formula.PromiseFact]] = defaultdict(list)
    for (
        pid,
        cid,
        promisor,
        made_on,
        due_on,
        state,
        kept_on,
        broken_on,
        clarified_at,
        dropped_on,
        invoice_id,
        answer,
        answered_at,
    ) in history["promises"]:
        clarified_on = moment(clarified_at).astimezone(zone_of[cid]).date() if clarified_at else None
        # The day the client confirmed it in a recap (crm/models/recaps.py): a stronger word once kept.
        confirmed_on = (
            moment(answered_at).astimezone(zone_of[cid]).date()
            if answer == _CONFIRMED and answered_at
            else None
        )
        promises[cid].append(
            formula.PromiseFact(
                pid,
                made_on,
                due_on,
                state,
                kept_on,
                broken_on,
                clarified_on,
                promisor,
                dropped_on,
                invoice_id,
                confirmed_on,
            )
        )

    invoices: dict[int, list[formula.InvoiceFact]] = defaultdict(list)
    # SQLite hands back the amount as a float: the field's own converter makes it the Decimal the ORM would.
    decimal = _converter(Invoice, "amount", connection)
    for (
        iid,
        cid,
        amount,
        issued_on,
        due_on,
        paid_on,
        renegotiated,
        currency,
        rate,
        *steps,
        next_at,
    ) in history["invoices"]:
        reminders = tuple(
            (moment(sent_at).astimezone(zone_of[cid]).date(), step)
            for step, sent_at in enumerate(steps, start=1)
            if sent_at is not None
        )
        amount = decimal(amount)
        # In the common currency at the rate of its day (EUR needs none; a currency without any rate stays None).
        common = float(amount) / float(rate) if rate and currency != formula.COMMON_CURRENCY else None
        invoices[cid].append(
            formula.InvoiceFact(
                iid, amount, issued_on, due_on, paid_on, renegotiated, currency, reminders, common
            )
        )
        if sweep is not None and (paid_on is None or next_at is not None):
            # An open invoice: its next reminder is counted again (`crm.payments.due`).
            stored = moment(next_at) if next_at is not None else None
            sweep.invoices[iid] = (cid, stored, due_on, renegotiated, paid_on)
    if sweep is not None:
        for invoice_id, due_basis, step, state, decided_at in history["reminders"]:
            decided = moment(decided_at) if decided_at is not None else None
            sweep.reminders[invoice_id].append((due_basis, step, state, decided))

    conflicts: dict[int, list[formula.ConflictFact]] = defaultdict(list)
    for sid, cid, kind, severity, observed_on, resolved_on, raised_by, withdrawn_at in history["conflicts"]:
        withdrawn_on = moment(withdrawn_at).astimezone(zone_of[cid]).date() if withdrawn_at else None
        conflicts[cid].append(
            formula.ConflictFact(sid, kind, severity, observed_on, resolved_on, raised_by, withdrawn_on)
        )
    scope_changes: dict[int, list[formula.ScopeChangeFact]] = defaultdict(list)
    for sid, cid, accepted, asked_on in history["scope_changes"]:
        state = "accepted" if accepted else "pending"
        scope_changes[cid].append(formula.ScopeChangeFact(sid, asked_on, False, state))
    check_ins: dict[int, list[formula.CheckInFact]] = defaultdict(list)
    for sid, cid, level, answered_at, withdrawn_at in history["check_ins"]:
        withdrawn = moment(withdrawn_at) if withdrawn_at is not None else None
        check_ins[cid].append(formula.CheckInFact(sid, moment(answered_at), level, withdrawn))

    # The biggest table: one pass over its rows into each client's journal, without an object per row.
    journals = formula.journals(history["interactions"], moment)

    snapshots: dict[int, dict[date, int]] = defaultdict(dict)
    for cid, day, score in history["snapshots"]:
        snapshots[cid][day] = score

    bands = thresholds()
    results = []
    for (
        cid,
        owner_id,
        cadence_days,
        created_at,
        last_status_update_at,
        _zone,
        status,
        feeling_rating,
        felt_on,
        feeling_note,
    ) in rows:
        away = _away(own_absences.get(cid), project_pauses.get(cid))
        if sweep is not None:
            sweep.spans[cid] = away
        facts = formula.ClientFacts(
            id=cid,
            created_at=created_at,
            cadence_days=cadence_days,
            active_since=active_since.get(cid),
            last_status_update_at=last_status_update_at,
            promises=tuple(promises.get(cid, ())),
            invoices=tuple(invoices.get(cid, ())),
            conflicts=tuple(conflicts.get(cid, ())),
            scope_changes=tuple(scope_changes.get(cid, ())),
            journal=journals.get(cid, _NO_INTERACTIONS),
            zone=zone_of[cid],
            paused=status == _PAUSED,
            owes_status_updates=status == _ACTIVE,
            away=away,
            feeling=(feeling_rating, felt_on, feeling_note or "") if feeling_rating else None,
            check_ins=tuple(check_ins.get(cid, ())),
        )
        today = today_of[cid]
        health = formula.compute(facts, now, today, bands)
        past = snapshots.get(cid, {})
        points = [((today - day).days, score) for day, score in past.items() if day < today]
        results.append(
            (
                cid,
                owner_id,
                health.score,
                health.band,
                health.components,
                health.reasons,
                health.evidence_count,
                health.sides[formula.MINE]["score"],
                health.sides[formula.THEIRS]["score"],
                past.get(today - timedelta(days=7)),
                sparkline_points([*points, (0, health.score)]),
                now,
            )
        )
    return results


def _away(own: list[rules.Period] | None, projects: dict[int, list[rules.Period]] | None) -> rules.Spans:
    """Return a client's merged away days (`rules.away_spans`); nothing to merge for most clients."""
    if not own and not (projects and all(projects.values())):
        return ()
    return rules.away_spans(own or (), (projects or {}).values())


_NO_INTERACTIONS = formula.Journal()
_PAUSED = str(Client.Status.PAUSED)  # a plain string: compared once per client of the book
_ACTIVE = str(Client.Status.ACTIVE)
_CONFIRMED = str(RecapLine.Answer.CONFIRMED)


# The one read of a batch's history (`_history`): every table in one UNION ALL, a function of the clients' ids (a
# list, or a subquery for a book's batch) and of the days and moments it reads around, so `_rows` can compile it
# once for one client.
#
# Each table of `_history` is one small `_Branch`: its rows of the clients, and its columns, each of a kind. The
# union pads every branch to the same columns, each kind in slots of its own (PostgreSQL matches a union's
# columns by type, and types a NULL of the first branches as text unless it is cast), so the rows come back as
# (branch, int slots, day slots, text slots, moment slots, number slots, flag slots) and each branch takes its
# columns back in the order it names them. Moments come as text, read back by `moment` (the drivers' datetime
# converters cost more than the fetch); days are read back from text on SQLite (a union's column has no declared
# type there).
_KIND_SQL = {
    "int": "bigint",
    "day": "date",
    "text": "text",
    "moment": "text",
    "number": "numeric",
    "flag": "boolean",
}
_KIND_FIELD = {
    "int": IntegerField(),
    "day": DateField(),
    "text": TextField(),
    "moment": TextField(),
    "number": DecimalField(),
    "flag": BooleanField(),
}


@dataclass(frozen=True)
class _Branch:
    """One table of the history's one read."""

    name: str
    # (the clients' ids, the snapshots' days, the interactions' horizon, now) -> the table's rows of these clients
    rows: Callable[..., Any]
    # (kind, field name or expression), in the order the loader reads them
    columns: tuple[tuple[str, Any], ...]
    # The order the loader reads the rows in (a key of the row read), where it counts: the promises' masses add up
    # in the model's order, each journal is read in time order, and lists of facts keep the primary keys' order.
    order: Callable[[tuple[Any, ...]], Any] | None = None
    sweep_only: bool = False  # read only for the sweep's columns (`crm.payments.due`)


def _reminders_sent() -> dict[str, Any]:
    # Each step's latest payment reminder sent, read with the invoice (no query more): a subquery per step served
    # by payment_reminder_once_per_step's index, which starts with the invoice.
    sent = PaymentReminder.objects.filter(invoice=OuterRef("pk"), state=PaymentReminder.State.SENT)
    return {
        f"reminder_{step}": Subquery(sent.filter(step=step).order_by("-sent_at").values("sent_at")[:1])
        for step in PaymentReminder.Step.values
    }


def _per_euro() -> Any:
    # The reference rate of each invoice's issue day (the nearest earlier day known, else the first one after),
    # read with the invoice (no query more), served by rate_once_per_currency_and_day's index.
    rates = Rate.objects.filter(currency=OuterRef("currency"))
    return Coalesce(
        Subquery(rates.filter(day__lte=OuterRef("issued_on")).order_by("-day").values("per_euro")[:1]),
        Subquery(rates.filter(day__gt=OuterRef("issued_on")).order_by("day").values("per_euro")[:1]),
    )


_ACCEPTED_BY_BOTH = Q(
    freelancer_decision=ScopeChange.Decision.ACCEPTED, client_decision=ScopeChange.Decision.ACCEPTED
)

_ID = itemgetter(0)  # in primary-key order, as the table reads them by itself
_STATUS_UPDATE = Q(kind=Interaction.Kind.STATUS_UPDATE, direction=Interaction.Direction.TO_CLIENT)
_ASKS = Q(kind__in=sorted(formula.ASKING_KINDS), direction=Interaction.Direction.TO_CLIENT)

_HISTORY = (
    # Every absence, past ones too, with the project it pauses (None: the client's own).
    _Branch(
        "absences",
        lambda ids, *_: Absence.objects.filter(client_id__in=ids),
        (("int", "client_id"), ("int", "project_id"), ("day", "start_on"), ("day", "end_on")),
    ),
    _Branch(
        "projects",
        lambda ids, *_: Project.objects.filter(client_id__in=ids, status=Project.Status.ACTIVE),
        (("int", "client_id"), ("int", "id"), ("day", "start_on"), ("moment", "created_at")),
    ),
    _Branch(
        "promises",
        lambda ids, *_: Promise.objects.filter(client_id__in=ids),
        (
            ("int", "id"),
            ("int", "client_id"),
            ("text", "promisor"),
            ("day", "made_on"),
            ("day", "due_on"),
            ("text", "state"),
            ("day", "kept_on"),
            ("day", "broken_on"),
            ("moment", "clarified_at"),
            ("day", "dropped_on"),
            ("int", "invoice_id"),
            # Its recap line, if it has one (one row at most: the line's promise is unique).
            ("text", "recap_line__answer"),
            ("moment", "recap_line__answered_at"),
        ),
        # In the model's order (due_on, pk), like every read of a client's promises: masses add up in this order.
        order=lambda row: (row[4], row[0]),
    ),
    _Branch(
        "invoices",
        lambda ids, *_: Invoice.objects.filter(client_id__in=ids),
        (
            ("int", "id"),
            ("int", "client_id"),
            ("number", "amount"),
            ("day", "issued_on"),
            ("day", "due_on"),
            ("day", "paid_on"),
            ("day", "renegotiated_due_on"),
            ("text", "currency"),
            ("number", _per_euro()),
            *(("moment", step) for step in _reminders_sent().values()),
            ("moment", "next_reminder_at"),  # the sweep's stored column
        ),
        order=lambda row: (-row[3].toordinal(), -row[0]),  # the model's order: latest issued first
    ),
    # The payment reminders of the clients' unpaid invoices: when the next one is prepared (the sweep's column).
    _Branch(
        "reminders",
        lambda ids, *_: PaymentReminder.objects.filter(
            invoice__client_id__in=ids, invoice__paid_on__isnull=True
        ),
        (
            ("int", "invoice_id"),
            ("day", "due_basis"),
            ("int", "step"),
            ("text", "state"),
            ("moment", "decided_at"),
        ),
        sweep_only=True,
    ),
    _Branch(
        "conflicts",
        lambda ids, *_: ConflictSignal.objects.filter(client_id__in=ids),
        (
            ("int", "id"),
            ("int", "client_id"),
            ("text", "kind"),
            ("int", "severity"),
            ("day", "observed_on"),
            ("day", "resolved_on"),
            ("text", "raised_by"),
            ("moment", "withdrawn_at"),
        ),
        order=_ID,
    ),
    # The scope changes that can count toward scope drift (no price, not declined): 1 when both sides accepted.
    _Branch(
        "scope_changes",
        lambda ids, *_: ScopeChange.objects.filter(client_id__in=ids).unpriced_not_declined(),
        (
            ("int", "id"),
            ("int", "client_id"),
            (
                "int",
                Case(When(_ACCEPTED_BY_BOTH, then=Value(1)), default=Value(0), output_field=IntegerField()),
            ),
            ("day", "asked_on"),
        ),
        order=_ID,
    ),
    _Branch(
        "check_ins",
        lambda ids, *_: CheckIn.objects.filter(client_id__in=ids),
        (
            ("int", "id"),
            ("int", "client_id"),
            ("text", "level"),
            ("moment", "answered_at"),
            ("moment", "withdrawn_at"),
        ),
        order=_ID,
    ),
    # The biggest table: the interactions since the horizon (older ones have faded below a quarter of their weight),
    # served by interaction_client_time_idx. Auto-replies and mailings are neither answers nor questions
    # (`contacts`). In time order within each client, as `formula.journals` reads them.
    _Branch(
        "interactions",
        lambda ids, days, horizon, now: Interaction.objects.contacts().filter(
            client_id__in=ids, happened_at__gte=horizon, happened_at__lte=now
        ),
        (
            ("int", "client_id"),
            ("int", "id"),
            ("moment", "happened_at"),
            ("flag", _STATUS_UPDATE),
            ("flag", Q(direction=Interaction.Direction.FROM_CLIENT)),
            ("int", "answers_id"),
            ("flag", _ASKS),
        ),
        # By client, then time (moments as text sort as they do as moments: one format, one zone), then id.
        order=itemgetter(0, 2, 1),
    ),
    # The sparkline's weekly snapshots.
    _Branch(
        "snapshots",
        lambda ids, days, *_: HealthSnapshot.objects.filter(client_id__in=ids, day__in=days),
        (("int", "client_id"), ("day", "day"), ("int", "score")),
    ),
)
_INTERACTIONS = next(branch for branch in _HISTORY if branch.name == "interactions")
_KINDS = list(_KIND_SQL)
# How many slots of each kind the widest branch needs.
_SLOTS = {kind: max(sum(k == kind for k, _ in b.columns) for b in _HISTORY) for kind in _KINDS}
# Where each slot of each kind is in a row of the union (the branch's number first).
_FIRST_SLOT = {kind: 1 + sum(_SLOTS[k] for k in _KINDS[: _KINDS.index(kind)]) for kind in _KINDS}


def _places(branch: _Branch) -> list[int]:
    """Return where each of the branch's columns is in a row of the union, in the branch's order."""
    used = dict.fromkeys(_KINDS, 0)
    places = []
    for kind, _column in branch.columns:
        places.append(_FIRST_SLOT[kind] + used[kind])
        used[kind] += 1
    return places


def _union(
    branches: tuple[_Branch, ...], ids: Any, days: list[date], horizon: datetime, now: datetime
) -> Any:
    """Return the UNION ALL of these branches' rows of the clients `ids`, padded to the same columns."""
    selects = []
    for number, branch in enumerate(branches):
        slots: dict[str, list[Any]] = {kind: [] for kind in _KINDS}
        for kind, column in branch.columns:
            slots[kind].append(_expression(kind, column))
        values = [Value(number)]
        for kind in _KINDS:
            missing = _SLOTS[kind] - len(slots[kind])
            values += (
                slots[kind] + [RawSQL(f"CAST(NULL AS {_KIND_SQL[kind]})", (), _KIND_FIELD[kind])] * missing
            )
        selects.append(branch.rows(ids, days, horizon, now).order_by().values_list(*values))
    return selects[0].union(*selects[1:], all=True)


def _expression(kind: str, column: Any) -> Any:
    """Return a branch's column as the union selects it: moments as text, flags as booleans."""
    expression = F(column) if isinstance(column, str) else column
    if kind == "moment":
        return Cast(expression, output_field=TextField())
    if kind == "flag":
        return ExpressionWrapper(expression, output_field=BooleanField())
    return expression


@functools.cache
def _history_read(sweep: bool, alone: str | None) -> tuple[tuple[_Branch, ...], Callable[..., Any]]:
    """Return the branches of the history's one read, in the union's order, and the read (one per kind of call,
    so `_rows` compiles each once): the branches scored, the sweep's too with `sweep`, but the one named `alone`."""
    branches = tuple(b for b in _HISTORY if (sweep or not b.sweep_only) and b.name != alone)

    def read(ids: Any, days: list[date], horizon: datetime, now: datetime) -> Any:
        return _union(branches, ids, days, horizon, now)

    return branches, read


def _history(
    ids: Any, days: list[date], horizon: datetime, now: datetime, connection: Any, *, sweep: bool
) -> dict[str, Iterable[tuple[Any, ...]]]:
    """Return each table's rows of the clients `ids` (the snapshots of `days`, the interactions from `horizon` to
    `now`): {branch's name: its rows, each its columns in the order the branch names them}; the sweep's branches
    too with `sweep`.

    One read for one client (the journal's door). For a book's batch, the interactions, the biggest table by far,
    are read by themselves, in the order their index gives, straight from the cursor into the journals: through
    the union they would cost a sort and a tuple more per row in Python.
    """
    one_client = isinstance(ids, list) and len(ids) == 1
    branches, read = _history_read(sweep, None if one_client else _INTERACTIONS.name)
    found: list[list[tuple[Any, ...]]] = [[] for _ in branches]
    for row in _rows(read, ids, days, horizon, now):
        found[row[0]].append(row)
    # A union's day columns come back as text on SQLite (they have no declared type there).
    parse_days = connection.vendor == "sqlite"
    history: dict[str, Iterable[tuple[Any, ...]]] = {}
    for branch, rows in zip(branches, found, strict=True):
        days_at = [i for i, (kind, _column) in enumerate(branch.columns) if kind == "day"]
        take = itemgetter(*_places(branch))
        taken = [take(row) for row in rows]
        if parse_days and days_at:
            taken = [_with_days(row, days_at) for row in taken]
        if branch.order is not None:
            taken.sort(key=branch.order)
        history[branch.name] = taken
    if not one_client:
        history[_INTERACTIONS.name] = _raw_rows(
            _INTERACTIONS.rows(ids, days, horizon, now)
            .order_by("client_id", "happened_at", "id")
            .values_list(*(_expression(kind, column) for kind, column in _INTERACTIONS.columns))
        )
    return history


def _with_days(row: tuple[Any, ...], places: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for place in places:
        value = values[place]
        if isinstance(value, str):
            values[place] = date.fromisoformat(value)
    return tuple(values)


def _rows(
    build: Callable[..., Any], ids: Any, *values: Any, convert: bool = False
) -> Iterator[tuple[Any, ...]]:
    """Yield the rows of the read `build(ids, *values)` straight from the cursor (see `_raw_rows`); with `convert`,
    through the ORM's converters, as the queryset itself would yield them.

    For one client (the journal's door, after each click), its SQL is compiled once and run again with this
    client's values (`crm.core.statements`): so every parameter that depends on the call must be one of its
    `values`, never computed from them inside `build`.
    """
    connection = connections[router.db_for_read(Client)]  # the book's tables live in one database
    one_client = isinstance(ids, list) and len(ids) == 1
    read = statements.compiled(build, build, (ids, *values), connection) if one_client else None
    if read is None:  # a batch, or a read whose stand-ins were not all found: built as usual
        yield from build(ids, *values) if convert else _raw_rows(build(ids, *values))
        return
    with connection.cursor() as cursor:
        cursor.execute(read.sql, read.params_for((ids, *values), connection))
        rows = chain.from_iterable(iter(lambda: cursor.fetchmany(5000), []))
        yield from read.converted(rows) if convert else rows


def _datetime_from_text(connection: Any) -> Callable[[str], datetime]:
    """Return how to read an aware datetime back from a datetime column selected as text."""
    if connection.vendor == "sqlite" and connection.timezone == UTC:
        # Django stores aware datetimes in SQLite as naive UTC text: naming the zone in the text is the fast way.
        return lambda text: datetime.fromisoformat(text + "+00:00")
    zone = connection.timezone

    def parse(text: str) -> datetime:
        value = datetime.fromisoformat(text)  # PostgreSQL's text carries its offset ("+00")
        return value if value.tzinfo is not None else timezone.make_aware(value, zone)

    return parse


def _utc(value: datetime) -> datetime:
    """Return `value` aware: the SQLite driver hands back naive UTC, psycopg aware datetimes."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _raw_rows(queryset: Any) -> Iterator[tuple[Any, ...]]:
    """Yield a values_list queryset's rows straight from the cursor.

    The big tables are read this way: Django's per-value converters cost about twice the fetch itself. The
    drivers already return dates and datetimes (SQLite's naive in UTC, psycopg's aware).
    """
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        yield from chain.from_iterable(iter(lambda: cursor.fetchmany(5000), []))


def _converter(model: Any, name: str, connection: Any) -> Callable[[Any], Any]:
    """Return what the ORM applies to a column's database value (the backend's converters, then the field's)."""
    column = model._meta.get_field(name).get_col(model._meta.db_table)
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, column, connection)
        return value

    return convert


# The clients' own columns the formula reads (`_client_rows`); a caller may ask for more after them.
CLIENT_COLUMN_COUNT = 10


def _client_rows(queryset: Any, now: datetime, *extra: Any) -> Any:
    """Return the clients' own columns the formula reads, with their latest feeling (in the same query), then
    the `extra` columns asked for."""
    # A feeling given on a later day than any time zone's today is not counted yet (replays of the past).
    return _client_columns(queryset, (now + timedelta(days=1)).date(), *extra)


def _client_columns(queryset: Any, felt_by: date, *extra: Any) -> Any:
    """Return `_client_rows`, the latest feeling given by `felt_by`."""
    latest = Feeling.objects.filter(client_id=OuterRef("pk"), felt_on__lte=felt_by).order_by(
        "-felt_on", "-pk"
    )
    return queryset.values_list(
        "id",
        "owner_id",
        "cadence_days",
        "created_at",
        "last_status_update_at",
        "owner__profile__time_zone",
        "status",
        Subquery(latest.values("rating")[:1]),
        Subquery(latest.values("felt_on")[:1], output_field=DateField()),
        Subquery(latest.values("note")[:1]),
        *extra,
    )


def _store(healths: list[tuple[Any, ...]], *, bump: bool = True) -> None:
    """Upsert ClientHealth rows (values in `_COLUMNS` order) with one statement run for every row.

    No model instance per row and one round trip: building instances and splitting into SQLite's 999-parameter
    statements cost more than the formula itself. With `bump`, the owners' book versions move (one UPDATE);
    `recompute_clients` moves them itself, once for all its batches. The JSON columns go as JSON text written by orjson: the
    standard library's encoder took a fifth of a whole batch, orjson a tenth of that, and both texts read back
    as the same values, to the last bit of every float. The time is prepared by its model field, as
    `bulk_create` would; the other values (ints, strings, None) go to the driver as they are.
    """
    if not healths:
        return
    connection = connections[router.db_for_write(ClientHealth)]
    fields = [ClientHealth._meta.get_field(name) for name in _COLUMNS]
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in fields]
    sql = (
        f"INSERT INTO {quote(ClientHealth._meta.db_table)} ({', '.join(columns)})"
        f" VALUES ({', '.join(['%s'] * len(columns))})"
        f" ON CONFLICT ({columns[0]}) DO UPDATE SET "
        + ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[1:])
    )
    components, reasons, computed_at = (
        _COLUMNS.index(name) for name in ("components", "reasons", "computed_at")
    )
    times: dict[datetime, Any] = {}  # every row of a batch has the same time: prepare it once
    params = []
    for row in healths:
        values = list(row)
        values[components] = orjson.dumps(row[components]).decode()
        values[reasons] = orjson.dumps(row[reasons]).decode()
        when = row[computed_at]
        if when not in times:
            times[when] = fields[computed_at].get_db_prep_save(when, connection)
        values[computed_at] = times[when]
        params.append(values)
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    if bump:
        # What the dashboard cached about these books is now out of date.
        Profile.book_changed(row[_OWNER] for row in healths)


def recompute_client(client_id: int, now: datetime | None = None) -> ClientHealth | None:
    """Recompute and store one client's trust health; return it, or None when the client no longer exists.

    `recompute_clients` for one client: a move is written as a `HealthChange`, the book version moves once.
    """
    healths = recompute_clients([client_id], now)
    return healths[0] if healths else None


def latest_contact_times() -> dict[str, Subquery]:
    """Return a client's last contact and last status update (sent to the client) from its interactions, as
    subqueries of a query on clients (uses interaction_client_time_idx). Auto-replies and mailings are no contact
    (`InteractionQuerySet.contacts`)."""
    journal = Interaction.objects.contacts().filter(client_id=OuterRef("pk")).order_by().values("client_id")
    updates = journal.filter(kind=Interaction.Kind.STATUS_UPDATE, direction=Interaction.Direction.TO_CLIENT)
    return {
        "last_contact_at": Subquery(journal.annotate(at=Max("happened_at")).values("at")),
        "last_status_update_at": Subquery(updates.annotate(at=Max("happened_at")).values("at")),
    }


_LAST_UPDATE = 4  # where `_client_rows` puts the stored last status update


@functools.cache
def _stored_read(contact_times: bool, sweep: bool) -> Callable[..., Any]:
    """Return the read of `recompute_clients` (one per kind of call, so `_rows` compiles each once): the clients'
    rows with their stored health and their last move within the undo window; the sweep's columns with `sweep`;
    the contact clocks, stored and as the journal has them, with `contact_times`."""

    def read(ids: Any, felt_by: date, undo_since: datetime, now: datetime) -> Any:
        # The client's last move still within the undo window, read with its row: a new move is folded into it.
        recent = HealthChange.objects.filter(
            client_id=OuterRef("pk"), at__gt=undo_since, at__lte=now
        ).order_by("-at", "-pk")
        clocks = latest_contact_times() if contact_times else {}
        return _client_columns(
            Client.objects.filter(pk__in=ids).order_by("pk"),
            felt_by,
            "health__score",
            "health__band",
            "health__reasons",
            "health__evidence_count",
            Subquery(recent.values("pk")[:1]),
            Subquery(recent.values("old_score")[:1]),
            Subquery(recent.values("old_band")[:1]),
            *(due.CLIENT_FIELDS if sweep else ()),
            *(("last_contact_at", *clocks.values()) if clocks else ()),
        )

    return read


def recompute_clients(
    client_ids: Iterable[int],
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    contact_times: bool = False,
    sweep: due.Read | None = None,
) -> list[ClientHealth]:
    """Recompute and store the trust health of these clients whose history changed; return it (in id order),
    skipping the clients that no longer exist.

    A move of at least `HEALTH_CHANGE_MIN_POINTS` (or of band) from a client's stored score is written as a
    `HealthChange`; the stored score is read with the client's row, in the same query. With `contact_times`, the
    clients' contact clocks are read from their interactions in that query too, scored as read, and written
    back (one UPDATE) only for the clients whose clocks moved. Batches of `batch_size` clients cost the same few
    queries each (the batch loader); the owners' book versions move once, at the end.

    With `sweep` (the journal's door), what the sweep's columns are counted from is put in it as read with the
    clients and their histories (`crm.payments.due.Read`), and the clocks are left for it to write with them.
    """
    now = now or timezone.now()
    ids = sorted(set(client_ids))
    stored: list[ClientHealth] = []
    owners: set[int] = set()
    read = _stored_read(contact_times, sweep is not None)
    # The latest feeling counted (`_client_rows`); the moves still within the undo window.
    felt_by, undo_since = (now + timedelta(days=1)).date(), now - timedelta(minutes=UNDO_MINUTES)
    for first in range(0, len(ids), batch_size):
        batch = ids[first : first + batch_size]
        rows = list(_rows(read, batch, felt_by, undo_since, now, convert=True))
        if not rows:
            continue
        if contact_times:
            moved = [row[0] for row in rows if (row[-3], row[_LAST_UPDATE]) != tuple(row[-2:])]
            if sweep is not None:
                # Written by the sweep's refresh, with its column, in the same UPDATE.
                sweep.moved.update(moved)
                sweep.clocks.update((row[0], tuple(row[-2:])) for row in rows)
            elif moved:
                Client.objects.filter(pk__in=moved).update(**latest_contact_times())
            # Scored with the clocks as the journal has them now.
            rows = [(*row[:_LAST_UPDATE], row[-1], *row[_LAST_UPDATE + 1 : -3]) for row in rows]
        if sweep is not None:
            for row in rows:
                listed, *days = row[CLIENT_COLUMN_COUNT + 7 : CLIENT_COLUMN_COUNT + 14]
                # (created_at, last_status_update_at, cadence_days, status), as `due.listed_at` takes them.
                client = (row[3], row[_LAST_UPDATE], row[2], row[6])
                sweep.clients[row[0]] = (listed, client, row[5], tuple(days[:3]), tuple(days[3:]))
        healths = _compute_batch(
            [row[0] for row in rows], [row[:CLIENT_COLUMN_COUNT] for row in rows], now, sweep
        )
        _store(healths, bump=False)
        moves = []
        for row, values in zip(rows, healths, strict=True):
            health = ClientHealth(**dict(zip(_ATTNAMES, values, strict=True)))
            stored.append(health)
            owners.add(values[_OWNER])
            move = _health_change(health, *row[CLIENT_COLUMN_COUNT : CLIENT_COLUMN_COUNT + 4], now)
            if move is not None:
                moves.append((move, *row[CLIENT_COLUMN_COUNT + 4 : CLIENT_COLUMN_COUNT + 7]))
        if moves:
            write_moves(moves)
    if owners:
        # What the dashboard cached about these books is now out of date: for these clients only.
        Profile.book_changed(owners, [health.client_id for health in stored])
    return stored


def write_moves(moves: list[tuple[HealthChange, int | None, int | None, str | None]]) -> None:
    """Write the timeline's moves, each folded into its client's last move when that one was written within the
    undo window (its id, old score and old band given with each move), so the timeline shows the net move only:
    marking, undoing and redoing within minutes is one move, or none.

    1. A move back to where the recent one started deletes it: nothing moved in the end.
    2. Any other move makes the recent one the net move, from its old score to the new one; the step's reason
       replaces its reason when the step moves the same way as the net move.
    3. A client with no recent move gets its move as a new row.
    """
    new, netted, turned, gone = [], [], [], []
    for move, recent_id, old_score, old_band in moves:
        if recent_id is None:
            new.append(move)
        elif (old_score, old_band) == (move.new_score, move.new_band):
            gone.append(recent_id)
        else:
            net = HealthChange(
                pk=recent_id, new_score=move.new_score, new_band=move.new_band, reason=move.reason
            )
            (netted if (move.new_score - old_score) * move.points > 0 else turned).append(net)
    if gone:
        HealthChange.objects.filter(pk__in=gone).delete()
    if netted:
        HealthChange.objects.bulk_update(netted, ["new_score", "new_band", "reason"])
    if turned:
        HealthChange.objects.bulk_update(turned, ["new_score", "new_band"])
    if new:
        HealthChange.objects.bulk_create(new)


def _health_change(
    health: ClientHealth,
    old_score: int | None,
    old_band: str | None,
    old_reasons: list[dict[str, Any]] | None,
    old_evidence: int | None,
    now: datetime,
) -> HealthChange | None:
    """Return the timeline's `HealthChange` from the stored score to `health`, or None when it did not move."""
    # A client with nothing logged had a placeholder, not a score that moved: its first event writes nothing.
    had_score = old_score is not None and (old_band != Band.INSUFFICIENT or old_evidence)
    moved = had_score and (
        abs(health.score - old_score) >= HEALTH_CHANGE_MIN_POINTS or health.band != old_band
    )
    if not moved:
        return None
    return HealthChange(
        client_id=health.client_id,
        at=now,
        old_score=old_score,
        new_score=health.score,
        old_band=old_band,
        new_band=health.band,
        reason=reason_that_moved(old_reasons or [], health.reasons, health.score - old_score),
    )


def reason_that_moved(
    old_reasons: list[dict[str, Any]], new_reasons: list[dict[str, Any]], points: int
) -> dict[str, Any]:
    """Return the reason whose impact moved most in the direction of the score's move (`points`).

    Its code and parameters, as `crm.trust` gave them; with "gone": True when it moved the score by leaving
    the reasons (an overdue promise kept). {} when no reason moved.
    """
    old = {r["code"]: r for r in old_reasons if r.get("code") != "not_enough_history"}
    new = {r["code"]: r for r in new_reasons if r.get("code") != "not_enough_history"}

    def delta(code: str) -> float:
        return new.get(code, {}).get("impact", 0.0) - old.get(code, {}).get("impact", 0.0)

    direction = (points > 0) - (points < 0)
    moved = [code for code in {*old, *new} if delta(code) * direction > 0 or (not direction and delta(code))]
    if not moved:
        return {}
    code = max(moved, key=lambda c: (abs(delta(c)), c))
    if code in new:
        return {"code": code, "params": new[code].get("params", {})}
    return {"code": code, "params": old[code].get("params", {}), "gone": True}


def recompute_book(
    owner: Any = None,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    *,
    first_pk: int | None = None,
    last_pk: int | None = None,
    failures: dict[int, str] | None = None,
) -> int:
    """Recompute the trust health of every client (of `owner`, of ids `first_pk`..`last_pk`, when given) in
    batches; return how many were stored.

    Each batch reads each table once and writes with one upsert, so the query count grows with the number of
    batches, not of clients, and memory holds one batch at a time. A batch that fails is done again client by
    client, so one bad row costs only itself: its id and error go into `failures` (and the log), and the next
    run tries it again. The happy path pays nothing for this.
    """
    now = now or timezone.now()
    failures = {} if failures is None else failures
    clients = Client.objects.order_by("pk")
    if owner is not None:
        clients = clients.filter(owner=owner)
    if first_pk is not None:
        clients = clients.filter(pk__gte=first_pk)
    if last_pk is not None:
        clients = clients.filter(pk__lte=last_pk)
    done, after = 0, 0
    while True:
        rows = list(_client_rows(clients.filter(pk__gt=after), now)[:batch_size])
        if not rows:
            break
        batch = clients.filter(pk__gt=after, pk__lte=rows[-1][0]).order_by().values("pk")
        try:
            with transaction.atomic():
                _store(_compute_batch(batch, rows, now))
            done += len(rows)
        except _UNREACHABLE:
            raise  # the database is gone: nothing to isolate, the whole run fails and is run again
        except Exception:
            done += _recompute_one_by_one(rows, now, failures)
        after = rows[-1][0]
        if len(rows) < batch_size:
            break
    return done


# The database itself is unreachable: isolating rows would only log the same error once per client.
_UNREACHABLE = (InterfaceError, OperationalError)


def _recompute_one_by_one(rows: list[tuple[Any, ...]], now: datetime, failures: dict[int, str]) -> int:
    """Recompute each client of a failed batch on its own; record the ones that fail; return how many stored."""
    done = 0
    for row in rows:
        client_id = row[0]
        try:
            with transaction.atomic():
                _store(_compute_batch([client_id], [row], now))
            done += 1
        except _UNREACHABLE:
            raise
        except Exception as exc:
            logger.exception("Trust health of client %s not recomputed", client_id)
            failures[client_id] = f"{type(exc).__name__}: {exc}"[:500]
    return done


def write_snapshots(
    day: date,
    now: datetime | None = None,
    batch_size: int = 2000,
    *,
    exclude: Iterable[int] = (),
    failures: dict[int, str] | None = None,
) -> int:
    """Write one snapshot per client for `day` from the stored trust health; return how many clients were seen.

    Idempotent: a snapshot already written for that day is kept as it is (the unique constraint decides).
    The clients in `exclude` (whose recompute failed: their stored health is stale) get none. A batch that
    fails is written row by row; the rows that still fail go into `failures`.
    """
    now = now or timezone.now()
    failures = {} if failures is None else failures
    healths = ClientHealth.objects.filter(client__created_at__lte=now).order_by("client_id")
    skipped = set(exclude)
    seen, after = 0, 0
    while True:
        rows = list(
            healths.filter(client_id__gt=after).values_list("client_id", "score", "band")[:batch_size]
        )
        if not rows:
            break
        snapshots = [
            HealthSnapshot(client_id=cid, day=day, score=score, band=band)
            for cid, score, band in rows
            if cid not in skipped
        ]
        try:
            with transaction.atomic():
                HealthSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
        except _UNREACHABLE:
            raise
        except Exception:
            for snapshot in snapshots:
                try:
                    with transaction.atomic():
                        HealthSnapshot.objects.bulk_create([snapshot], ignore_conflicts=True)
                except _UNREACHABLE:
                    raise
                except Exception as exc:
                    logger.exception("Snapshot of client %s not written", snapshot.client_id)
                    failures[snapshot.client_id] = f"{type(exc).__name__}: {exc}"[:500]
        seen += len(snapshots)
        after = rows[-1][0]
        if len(rows) < batch_size:
            break
    if seen:
        # The workspaces' trend charts drawn from the snapshots are out of date for every book.
        Profile.objects.update(book_version=F("book_version") + 1)
    return seen

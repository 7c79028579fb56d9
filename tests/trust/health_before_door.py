"""The trust health's batch loader as it was before the journal's door read every table in one query (issue 23):
one read per table. Kept for `test_one_read_loader.py` only, which checks that the new loader scores every client
exactly as this one did. Copied from crm/trust/health.py at commit c6027ab, unchanged but for its imports.
"""

# ruff: noqa

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from clients.models import Absence, Client, Project
from conflicts.models import ConflictSignal
from crm.core import rules
from crm.core.days import local_day, local_midnight
from crm.models import (
    CheckIn,
    HealthSnapshot,
    Interaction,
    Invoice,
    PaymentReminder,
    Promise,
    Rate,
    RecapLine,
    ScopeChange,
)
from crm.trust import formula
from crm.trust.health import (
    SCOPE_CHANGE,
    SPARKLINE_WEEKS,
    _converter,
    _datetime_from_text,
    _rows,
    _utc,
    sparkline_points,
    thresholds,
)


class _Zones(dict[str, zoneinfo.ZoneInfo]):
    def __missing__(self, name: str) -> zoneinfo.ZoneInfo:
        zone = self[name] = zoneinfo.ZoneInfo(name)
        return zone


def _compute_batch(ids: Any, rows: list[tuple[Any, ...]], now: datetime) -> list[tuple[Any, ...]]:
    """Return the ClientHealth values (in `_COLUMNS` order) of the clients in `rows` (six reads, whatever the
    batch size).

    `ids` selects the same clients for the reads' `client_id__in`: a list for one client; for a batch, a
    subquery (by owner and primary-key range), which costs the same to build whatever the batch size, where a
    list of 500 ids costs milliseconds per query.
    """
    zones = _Zones()
    default_zone = settings.TIME_ZONE
    zone_of = {row[0]: zones[row[5] or default_zone] for row in rows}
    today_in = {zone: local_day(now, zone) for zone in set(zone_of.values())}
    today_of = {cid: today_in[zone] for cid, zone in zone_of.items()}

    # The active projects and every absence, past ones too (a past absence still explains the silence during
    # it), in one read (`_absences_and_active_projects`).
    active_since: dict[int, datetime] = {}
    own_absences: dict[int, list[rules.Period]] = defaultdict(list)
    pauses: dict[int, list[rules.Period]] = defaultdict(list)
    # The pauses of each active project (an active project never paused pauses nothing): `rules.away_spans`.
    project_pauses: dict[int, dict[int, list[rules.Period]]] = defaultdict(dict)
    for client_id, project_id, start_on, end_on, created_at, absence in _rows(
        _absences_and_active_projects, ids
    ):
        if absence:
            if project_id is None:
                own_absences[client_id].append((start_on, end_on))
            else:
                pauses[project_id].append((start_on, end_on))
            continue
        project_pauses[client_id][project_id] = pauses[project_id]
        # In UTC: the formula compares it with every status update, and mixed zones make each comparison slow.
        since = local_midnight(start_on, zone_of[client_id]).astimezone(UTC) if start_on else _utc(created_at)
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
    ) in _rows(_promises, ids):
        clarified_on = _utc(clarified_at).astimezone(zone_of[cid]).date() if clarified_at else None
        # The day the client confirmed it in a recap (crm/models/recaps.py): a stronger word once kept.
        confirmed_on = (
            _utc(answered_at).astimezone(zone_of[cid]).date()
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
    connection = connections[router.db_for_read(Invoice)]
    decimal = _converter(Invoice, "amount", connection)
    moment = _datetime_from_text(connection)
    for iid, cid, amount, issued_on, due_on, paid_on, renegotiated, currency, rate, *steps in _rows(
        _invoices, ids
    ):
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

    conflicts: dict[int, list[formula.ConflictFact]] = defaultdict(list)
    scope_changes: dict[int, list[formula.ScopeChangeFact]] = defaultdict(list)
    check_ins: dict[int, list[formula.CheckInFact]] = defaultdict(list)
    for (
        sid,
        cid,
        kind,
        severity,
        observed_on,
        resolved_on,
        raised_by,
        withdrawn_at,
        answered_at,
        is_check_in,
    ) in _rows(_conflicts_changes_and_check_ins, ids):
        if kind == SCOPE_CHANGE:
            state = "accepted" if severity else "pending"
            scope_changes[cid].append(formula.ScopeChangeFact(sid, observed_on, False, state))
            continue
        withdrawn = moment(withdrawn_at) if withdrawn_at is not None else None
        if is_check_in:
            check_ins[cid].append(formula.CheckInFact(sid, moment(answered_at), kind, withdrawn))
            continue
        withdrawn_on = withdrawn.astimezone(zone_of[cid]).date() if withdrawn is not None else None
        conflicts[cid].append(
            formula.ConflictFact(sid, kind, severity, observed_on, resolved_on, raised_by, withdrawn_on)
        )

    # The biggest table: one pass over the cursor into each client's journal, without an object per row.
    horizon = now - timedelta(days=formula.INTERACTION_HORIZON_DAYS)
    journals = formula.journals(
        _rows(_recent_interactions, ids, horizon, now),
        _datetime_from_text(connections[router.db_for_read(Interaction)]),
    )

    # The weekly snapshots of the sparkline; the one 7 days ago is also "a week ago".
    days_ago_of: dict[date, int] = {}
    for today in set(today_of.values()):
        for weeks in range(1, SPARKLINE_WEEKS + 1):
            days_ago_of[today - timedelta(weeks=weeks)] = weeks * 7
    history: dict[int, dict[date, int]] = defaultdict(dict)
    for cid, day, score in _rows(_snapshots, ids, sorted(days_ago_of)):
        history[cid][day] = score

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
            away=_away(own_absences.get(cid), project_pauses.get(cid)),
            feeling=(feeling_rating, felt_on, feeling_note or "") if feeling_rating else None,
            check_ins=tuple(check_ins.get(cid, ())),
        )
        today = today_of[cid]
        health = formula.compute(facts, now, today, bands)
        past = history.get(cid, {})
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


# The six reads of a batch (the conflict signals with the client's check-ins), each a function of the clients' ids (a list, or a subquery for a book's batch) and of
# the moments it reads around, so `_rows` can compile it once for one client.


def _absences_and_active_projects(ids: Any) -> Any:
    # The absences first, so the database types the columns from their own.
    absences = (
        Absence.objects.filter(client_id__in=ids)
        .order_by()
        .values_list("client_id", "project_id", "start_on", "end_on", "created_at", Value(True))
    )
    projects = (
        Project.objects.filter(client_id__in=ids, status=Project.Status.ACTIVE)
        .order_by()
        .values_list(
            "client_id", "id", "start_on", Value(None, output_field=DateField()), "created_at", Value(False)
        )
    )
    return absences.union(projects, all=True)


def _promises(ids: Any) -> Any:
    # In the model's order (due_on, pk), like every read of a client's promises: masses add up in this order.
    return Promise.objects.filter(client_id__in=ids).values_list(
        "id",
        "client_id",
        "promisor",
        "made_on",
        "due_on",
        "state",
        "kept_on",
        "broken_on",
        "clarified_at",
        "dropped_on",
        "invoice_id",
        # Its recap line, if it has one (one row at most: the line's promise is unique).
        "recap_line__answer",
        "recap_line__answered_at",
    )


def _invoices(ids: Any) -> Any:
    # Each step's latest payment reminder sent, read with the invoice (no query more): a subquery per step served
    # by payment_reminder_once_per_step's index, which starts with the invoice.
    sent = PaymentReminder.objects.filter(invoice=OuterRef("pk"), state=PaymentReminder.State.SENT)
    reminder_steps = {
        f"reminder_{step}": Cast(
            Subquery(sent.filter(step=step).order_by("-sent_at").values("sent_at")[:1]),
            output_field=TextField(),
        )
        for step in PaymentReminder.Step.values
    }
    # The reference rate of each invoice's issue day (the nearest earlier day known, else the first one after),
    # read with the invoice (no query more), served by rate_once_per_currency_and_day's index.
    rates = Rate.objects.filter(currency=OuterRef("currency"))
    per_euro = Coalesce(
        Subquery(rates.filter(day__lte=OuterRef("issued_on")).order_by("-day").values("per_euro")[:1]),
        Subquery(rates.filter(day__gt=OuterRef("issued_on")).order_by("day").values("per_euro")[:1]),
    )
    return (
        Invoice.objects.filter(client_id__in=ids)
        .annotate(**reminder_steps, per_euro=per_euro)
        .values_list(
            "id",
            "client_id",
            "amount",
            "issued_on",
            "due_on",
            "paid_on",
            "renegotiated_due_on",
            "currency",
            "per_euro",
            *reminder_steps,
        )
    )


def _conflicts_changes_and_check_ins(ids: Any) -> Any:
    # One read for three tables, so neither scope drift nor the client's voice (issue 26) costs the journal's door
    # a query more. The conflict signals first, so the database types the columns from their own; then the scope
    # changes that can count toward scope drift (no price, not declined: kind "scope", severity 1 when both sides
    # accepted, 0 while pending); then the client's check-ins. Moments as text, read back by `moment`.
    as_text = TextField()
    signals = (
        ConflictSignal.objects.filter(client_id__in=ids)
        .order_by()
        .values_list(
            "id",
            "client_id",
            "kind",
            "severity",
            "observed_on",
            "resolved_on",
            "raised_by",
            Cast("withdrawn_at", output_field=as_text),
            Value(None, output_field=as_text),
            Value(False),
        )
    )
    accepted = Q(
        freelancer_decision=ScopeChange.Decision.ACCEPTED, client_decision=ScopeChange.Decision.ACCEPTED
    )
    changes = (
        ScopeChange.objects.filter(client_id__in=ids)
        .unpriced_not_declined()
        .order_by()
        .values_list(
            "id",
            "client_id",
            Value(SCOPE_CHANGE),
            Case(When(accepted, then=Value(1)), default=Value(0), output_field=IntegerField()),
            "asked_on",
            Value(None, output_field=DateField()),
            Value(ConflictSignal.RaisedBy.FREELANCER.value),
            Value(None, output_field=as_text),
            Value(None, output_field=as_text),
            Value(False),
        )
    )
    check_ins = (
        CheckIn.objects.filter(client_id__in=ids)
        .order_by()
        .values_list(
            "id",
            "client_id",
            "level",
            Value(0),
            Value(None, output_field=DateField()),
            Value(None, output_field=DateField()),
            Value("client"),
            Cast("withdrawn_at", output_field=as_text),
            Cast("answered_at", output_field=as_text),
            Value(True),
        )
    )
    return signals.union(changes, check_ins, all=True)


def _recent_interactions(ids: Any, horizon: datetime, now: datetime) -> Any:
    # Uses interaction_client_time_idx; older interactions have faded below a quarter of their weight. Auto-replies
    # and mailings are neither answers nor questions (`contacts`).
    return (
        Interaction.objects.contacts()
        .filter(client_id__in=ids, happened_at__gte=horizon, happened_at__lte=now)
        .order_by("client_id", "happened_at", "id")
        .values_list(
            "client_id",
            "id",
            # As text: the drivers' datetime converters (Python code per value) cost more than the fetch.
            Cast("happened_at", output_field=TextField()),
            ExpressionWrapper(
                Q(kind=Interaction.Kind.STATUS_UPDATE, direction=Interaction.Direction.TO_CLIENT),
                output_field=BooleanField(),
            ),
            ExpressionWrapper(Q(direction=Interaction.Direction.FROM_CLIENT), output_field=BooleanField()),
            "answers_id",
            ExpressionWrapper(
                Q(kind__in=sorted(formula.ASKING_KINDS), direction=Interaction.Direction.TO_CLIENT),
                output_field=BooleanField(),
            ),
        )
    )


def _snapshots(ids: Any, days: list[date]) -> Any:
    return HealthSnapshot.objects.filter(client_id__in=ids, day__in=days).values_list(
        "client_id", "day", "score"
    )


# The SQL of each read for one client, compiled once per process and database: (sql, params, where each of the
# call's values goes among the params).
_COMPILED: dict[tuple[Any, ...], tuple[str, list[Any], list[tuple[int, int]]]] = {}

"""Property test (issue 21, item 5): the same answer on every face.

Each example builds one small random book (at most 5 clients) for a freelancer in a random time zone on either side
of the date line, at a random moment ("now", frozen with time_machine): active, paused, former and prospect clients,
some away until a day around today, with dated absences past, present or open, an active project paused,
cadences of 1 to 30 days, last status updates around their due day, promises on
both sides, open conflict signals, and invoices due yesterday, today or tomorrow (local), long overdue,
renegotiated, paid on time or late; and the written trace of issue 26: concerns the client raised on their page
(standing or withdrawn), check-ins (good, so-so or bad, withdrawn or not, inside and outside their window) and
scope changes (priced or not, each side pending, accepting or declining, around the drift's 60-day window). The expected answers are written ONCE, by the small oracle below (`expect`),
from the rules as `docs/trust-model.md` and the guide state them, and every face is compared with it:

- which concerns raised by clients still stand, and which scope changes wait for a decision, and whose;
- which clients have a status update due, and how many days late (0 = due today): only active clients owe one; it
  is due the local day of the last one (or of the client's creation) plus the cadence, or the first day back
  when the client is away that day (an absence, or its only active project paused); none is due on a day away;
- which promises and which invoices are overdue, and by how many days;
- each client's trust score and band (the oracle runs the pure formula, `crm.trust.formula.compute`, on facts this
  test builds from its own spec: the loader, the stored row and every face are checked against it).

What each face shows, and so what is compared there (a face is checked only on what it can express):

- dashboard (`/`, the HTML): each client row's score and band; the week's "Status updates due" (days late, or
  "due in N days" ahead) and its count, "Overdue promises" (which ones) and "Overdue invoices" (which, days late);
  the clients' concerns at the top;
- workspace (`/clients/<id>/`, the HTML): the header's score and band and "next due" day; the timeline's promises
  (open / overdue / to settle), invoices (days late) and latest trust-health move (its new score, and its band when
  it says one, are the header's);
- weekly digest (the text part of the email `crm/reminders/digest.py` builds for the outbox): status updates to send, overdue
  promises (the freelancer's) and promises to settle (both sides) with their days late, overdue invoices and days,
  the scope changes waiting for a decision and whose;
- nudge (the email `nudge_message` would send): which clients get a status-update draft, their days late, promises
  to settle. It has no scores;
- client's page (portal, through its link): each promise late or not, each unpaid invoice late and by how many days,
  each scope change's state (every pending one shown), each concern and check-in of theirs, withdrawn or not.
  It has no scores and no status-update due day;
- REST API (`/api/health` with a bearer token): score, band, and the overdue reasons (status update, promises on
  both sides, invoices): present when the rules say so, and the days their text states (the API does not return
  the reasons' parameters, so their text is read); `/api/scope-changes` (each state), `/api/check-ins` and
  `/api/conflict-signals` (who raised each, withdrawn or not);
- `manage.py trust_report --format json` (recomputed, and `--stored`): the same as the API;
- calendar feed (iCalendar, through its private address): the day each open promise falls due and each active
  client's status update falls due. It has no scores and no overdue notion;
- exports (the JSON document and the ZIP of CSVs): the facts the rules read (no computed column, no score): the
  oracle run on the exported facts gives the same answers (scores, scope changes waiting, concerns standing), and
  the latest trust-health move is the score.

What the oracle does not judge on its own: the score itself comes from the pure formula (property-tested in
tests/trust/), run here on facts built from the drawn book, so a change of the formula moves every face and the
oracle together; what this test catches is a loader, a stored row or a face that says something else. Not drawn
yet: logged interactions (replies, status updates as journal entries), feelings, explanations of delays, payment
reminders and late-payment interest, several currencies, recaps and their answers (issue 26).

Where the faces look ahead (the dashboard lists status updates due within a few days, the digest "due tomorrow"),
the days they give must match the oracle's due day, and they must all look the same distance ahead.

Size: the hypothesis profile from `HYPOTHESIS_PROFILE` (`dev`, the default: 25 examples; `ci`, or CI=true: 60).
On failure the message names the face, the client and the expected and found answers.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import uuid
import zipfile
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import icalendar
import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.test import Client as Browser
from django.urls import reverse
from django.utils import formats, translation
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from clients.models import Absence, AccessToken, Client, Project
from conflicts.models import ConflictSignal
from crm.core import rules
from crm.models import CheckIn, ClientHealth, ClientPage, HealthChange, Invoice, Promise, ScopeChange
from crm.reminders.calendar import feed_token
from crm.reminders.digest import digest_message
from crm.reminders.status_updates import nudge_message
from crm.trust import formula
from crm.trust.door import journal_changed
from crm.trust.reasons import describe

# -- the size of a run ---------------------------------------------------------------------------------------------

settings.register_profile(
    "faces-dev",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # No shrinking: one example costs ~1 s, shrinking a book takes minutes, and the failure already names the
    # face, the client and both answers (and prints the whole book). HYPOTHESIS_PROFILE=shrink shrinks.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.register_profile(
    "faces-ci",
    max_examples=60,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev")
settings.register_profile("faces-shrink", settings.get_profile("faces-dev"), phases=list(Phase))
PROFILE = settings.get_profile({"ci": "faces-ci", "shrink": "faces-shrink"}.get(_PROFILE_NAME, "faces-dev"))

# -- the rules, as the guide and docs/trust-model.md state them (the oracle's only knowledge) -------------------

SETTLE_AFTER_DAYS = 30  # "An open promise more than 30 days past due becomes 'to settle'"
PROMISE_GRACE_DAYS = 2  # "an open promise counts as overdue from day 3" (for the score's reasons)
INVOICE_GRACE_DAYS = (
    3  # "An invoice paid within 3 days counts as on time" (so overdue in the score from day 4)
)

ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Paris", "America/Los_Angeles", "Pacific/Auckland"]
AROUND = [-45, -31, -30, -29, -4, -3, -2, -1, 0, 1, 2, 3]  # days from today, around each due day

# -- the book, as drawn ---------------------------------------------------------------------------------------------


@dataclass
class PromiseSpec:
    promisor: str
    due: int  # days from today (local)
    state: str  # open | kept | broken
    kept_after_due: int  # kept or broken this many days after the due day (held at today)


@dataclass
class InvoiceSpec:
    due: int
    renegotiated: int | None  # the renegotiated due day, days from today
    paid_after_due: (
        int | None
    )  # paid this many days after the (effective) due day, held at today; None: unpaid


@dataclass
class ClientSpec:
    status: str
    cadence: int
    created_days_ago: int
    last_update_offset: (
        int | None
    )  # the last status update, the cadence plus this many days before now (None: never)
    last_update_minutes: int  # ... and this many minutes earlier still (crosses local midnights)
    away: int | None  # away (a holiday since long ago) until today + this (None: not away)
    # A holiday, illness or pause of the client: (first day, from today; length in days, None: open), in the
    # past, around today or ahead.
    absence: tuple[int, int | None] | None
    project_paused: int | None  # the active project paused since today + this (None: not paused)
    project_days_ago: int | None  # an active project started then (None: no active project)
    promises: list[PromiseSpec]
    invoices: list[InvoiceSpec]
    conflicts: list[tuple[str, int, int]]  # (kind, severity, observed days ago): open conflict signals
    # Issue 26, the client's own word and the written scope. A concern the client raised on their page: (kind,
    # observed days ago, withdrawn this many days later or None: still open).
    concerns: list[tuple[str, int, int | None]] = field(default_factory=list)
    # A check-in: (level, answered this many hours ago, withdrawn an hour later or not).
    check_ins: list[tuple[str, int, bool]] = field(default_factory=list)
    # A scope change: (asked days ago, priced or not, the freelancer's decision, the client's decision).
    scope_changes: list[tuple[int, bool, str, str]] = field(default_factory=list)


@dataclass
class BookSpec:
    zone: str
    now: datetime
    clients: list[ClientSpec]


DECISIONS = ["pending", "pending", "accepted", "declined"]

# Due yesterday, today or tomorrow (local) most often, then the other boundaries, then anywhere.
days_around = st.one_of(st.sampled_from([-1, 0, 1]), st.sampled_from(AROUND), st.integers(-40, 3))
promise_specs = st.builds(
    PromiseSpec,
    promisor=st.sampled_from(["freelancer", "client"]),
    due=days_around,
    state=st.sampled_from(["open", "open", "open", "kept", "broken"]),
    kept_after_due=st.integers(-2, 6),
)
invoice_specs = st.builds(
    InvoiceSpec,
    due=days_around,
    renegotiated=st.one_of(st.none(), days_around),
    paid_after_due=st.one_of(st.none(), st.none(), st.integers(-3, 10)),
)
client_specs = st.builds(
    ClientSpec,
    status=st.sampled_from(["active", "active", "active", "paused", "former", "prospect"]),
    cadence=st.sampled_from([1, 2, 7, 14, 30]),
    created_days_ago=st.integers(60, 200),
    # Around the due day mostly (due yesterday, today, tomorrow, in two days), sometimes long lapsed.
    last_update_offset=st.one_of(
        st.none(), st.sampled_from([-2, -1, 0, 1]), st.integers(-3, 3), st.integers(4, 60)
    ),
    last_update_minutes=st.integers(0, 24 * 60),
    away=st.one_of(st.none(), st.none(), st.sampled_from([-1, 0, 1]), st.integers(-3, 4)),
    absence=st.one_of(
        st.none(), st.tuples(st.integers(-60, 3), st.one_of(st.none(), st.sampled_from([0, 1, 2, 7, 30])))
    ),
    project_paused=st.one_of(st.none(), st.none(), st.integers(-20, 1)),
    project_days_ago=st.one_of(st.none(), st.integers(0, 50)),
    promises=st.lists(promise_specs, max_size=2),
    invoices=st.lists(invoice_specs, max_size=2),
    conflicts=st.lists(
        st.tuples(st.sampled_from(["ideas", "posture"]), st.integers(1, 3), st.integers(0, 20)), max_size=1
    ),
    concerns=st.lists(
        st.tuples(
            st.sampled_from(["ideas", "interests", "payment", "posture"]),
            st.integers(0, 30),
            st.one_of(st.none(), st.integers(0, 5)),
        ),
        max_size=1,
    ),
    # Within and across the check-ins' window; a good, a so-so and a bad one weigh differently.
    check_ins=st.lists(
        st.tuples(st.sampled_from(["good", "mixed", "poor"]), st.integers(1, 24 * 120), st.booleans()),
        max_size=2,
    ),
    # Around the drift's count (3 unpriced within 60 days) and the edge of its window.
    scope_changes=st.lists(
        st.tuples(
            st.one_of(st.integers(0, 20), st.sampled_from([52, 53, 59, 60, 61])),
            st.booleans(),
            st.sampled_from(DECISIONS),
            st.sampled_from(DECISIONS),
        ),
        max_size=4,
    ),
)
moments = st.datetimes(
    min_value=datetime(2026, 1, 5), max_value=datetime(2027, 12, 20), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
books = st.builds(
    BookSpec, zone=st.sampled_from(ZONES), now=moments, clients=st.lists(client_specs, min_size=1, max_size=5)
)

# -- the book, as stored --------------------------------------------------------------------------------------------


@dataclass
class Book:
    owner: Any
    zone: zoneinfo.ZoneInfo
    now: datetime
    today: date
    clients: dict[int, Client] = field(default_factory=dict)
    projects: dict[int, date] = field(default_factory=dict)  # client id -> the active project's start day
    # client id -> the client's own absences, and its active project's pauses: (first day, last day or None).
    absences: dict[int, list[tuple[date, date | None]]] = field(default_factory=dict)
    pauses: dict[int, list[tuple[date, date | None]]] = field(default_factory=dict)
    promises: dict[int, Promise] = field(default_factory=dict)
    invoices: dict[int, Invoice] = field(default_factory=dict)
    conflicts: dict[int, ConflictSignal] = field(default_factory=dict)
    check_ins: dict[int, CheckIn] = field(default_factory=dict)
    scope_changes: dict[int, ScopeChange] = field(default_factory=dict)


def _build(spec: BookSpec) -> Book:
    zone = zoneinfo.ZoneInfo(spec.zone)
    today = spec.now.astimezone(zone).date()
    tag = uuid.uuid4().hex[:8]
    owner = get_user_model().objects.create_user(username=f"faces-{tag}", email=f"faces-{tag}@example.com")
    profile = owner.profile
    profile.time_zone, profile.language = spec.zone, "en"
    profile.digest_enabled = profile.digest_when_empty = profile.nudges_enabled = True
    profile.save()
    book = Book(owner, zone, spec.now, today)
    for number, drawn in enumerate(spec.clients, start=1):
        created_at = spec.now - timedelta(days=drawn.created_days_ago)
        last = None
        if drawn.last_update_offset is not None:
            ago = max(drawn.cadence + drawn.last_update_offset, 0)
            last = spec.now - timedelta(days=ago, minutes=drawn.last_update_minutes)
        client = Client.objects.create(
            owner=owner,
            name=f"Client{number}x{tag}",
            status=drawn.status,
            cadence_days=drawn.cadence,
            created_at=created_at,
            last_status_update_at=last,
            language="en",
        )
        book.clients[client.pk] = client
        # A paused client's status opened a pause of its own (Client.save): the book's absences start from it.
        book.absences[client.pk] = [a.period for a in client.absences.all()]
        periods = []
        if drawn.away is not None:
            periods.append((created_at.date(), today + timedelta(days=drawn.away)))
        if drawn.absence is not None:
            first = today + timedelta(days=drawn.absence[0])
            periods.append(
                (first, None if drawn.absence[1] is None else first + timedelta(days=drawn.absence[1]))
            )
        for first, last in periods:
            Absence.objects.create(client=client, start_on=first, end_on=last, kind=Absence.Kind.HOLIDAY)
            book.absences[client.pk].append((first, last))
        book.pauses[client.pk] = []
        if drawn.project_days_ago is not None:
            start = today - timedelta(days=drawn.project_days_ago)
            project = Project.objects.create(
                client=client, title="Site", status=Project.Status.ACTIVE, start_on=start
            )
            book.projects[client.pk] = start
            if drawn.project_paused is not None:
                project.pause(today + timedelta(days=drawn.project_paused))
                book.pauses[client.pk].append((today + timedelta(days=drawn.project_paused), None))
        for index, promised in enumerate(drawn.promises, start=1):
            due = today + timedelta(days=promised.due)
            done = min(due + timedelta(days=promised.kept_after_due), today)
            made = min(due, done, today) - timedelta(days=10)
            promise = Promise.objects.create(
                client=client,
                promisor=promised.promisor,
                description=f"Promise{number}n{index}x{tag}",
                made_on=made,
                due_on=due,
                state=promised.state,
                kept_on=done if promised.state == "kept" else None,
                broken_on=done if promised.state == "broken" else None,
            )
            book.promises[promise.pk] = promise
        for index, billed in enumerate(drawn.invoices, start=1):
            due = today + timedelta(days=billed.due)
            renegotiated = (
                None if billed.renegotiated is None else today + timedelta(days=billed.renegotiated)
            )
            issued = min(due, renegotiated or due, today) - timedelta(days=20)
            paid = None
            if billed.paid_after_due is not None:
                paid = max(issued, min((renegotiated or due) + timedelta(days=billed.paid_after_due), today))
            invoice = Invoice.objects.create(
                owner=owner,
                client=client,
                number=f"INV{number}n{index}x{tag}",
                amount=Decimal("1000.00") * index,
                issued_on=issued,
                due_on=due,
                renegotiated_due_on=renegotiated,
                paid_on=paid,
            )
            book.invoices[invoice.pk] = invoice
        for kind, severity, ago in drawn.conflicts:
            signal = ConflictSignal.objects.create(
                client=client, kind=kind, severity=severity, observed_on=today - timedelta(days=ago)
            )
            book.conflicts[signal.pk] = signal
        for kind, ago, withdrawn_after in drawn.concerns:
            observed = today - timedelta(days=ago)
            signal = ConflictSignal.objects.create(
                client=client,
                kind=kind,
                severity=2,
                observed_on=observed,
                raised_by=ConflictSignal.RaisedBy.CLIENT,
                description=f"Concern{number}x{tag}",
            )
            if withdrawn_after is not None:
                # Withdrawn on its page that day (or now, when that day is still ahead), as `withdraw` does.
                moment = min(
                    _local_midnight(observed, zone) + timedelta(days=withdrawn_after, hours=9), spec.now
                )
                signal.withdraw(moment.astimezone(zone).date(), moment)
            book.conflicts[signal.pk] = signal
        for level, hours_ago, withdrawn in drawn.check_ins:
            answered = spec.now - timedelta(hours=hours_ago)
            check_in = CheckIn.objects.create(
                client=client,
                level=level,
                answered_at=answered,
                withdrawn_at=answered + timedelta(hours=1) if withdrawn else None,
            )
            book.check_ins[check_in.pk] = check_in
        if drawn.scope_changes:
            project = client.projects.first() or Project.objects.create(
                client=client, title="Earlier site", status=Project.Status.DELIVERED
            )
        for index, (ago, priced, mine, theirs) in enumerate(drawn.scope_changes, start=1):
            change = ScopeChange.objects.create(
                client=client,
                project=project,
                asked_on=today - timedelta(days=ago),
                description=f"Change{number}n{index}x{tag}",
                price_change=Decimal("300.00") if priced else None,
                freelancer_decision=mine,
                freelancer_decided_at=None if mine == "pending" else spec.now,
                client_decision=theirs,
                client_decided_at=None if theirs == "pending" else spec.now,
            )
            book.scope_changes[change.pk] = change
    # The rows above were written as an importer writes them, straight to the tables: then the one door runs,
    # as every path that changes a journal does (contact times, trust health, book version).
    journal_changed(list(book.clients), now=spec.now)
    for client in book.clients.values():
        client.refresh_from_db()
    return book


# -- the oracle -----------------------------------------------------------------------------------------------------


@dataclass
class Answers:
    """What every face must say, keyed by database id."""

    today: date
    status_due_on: dict[int, date]  # every client not paused: the day its next status update is due
    status_due: dict[int, int]  # the clients whose status update is due now: days late (0: due today)
    promises_overdue: dict[int, int]  # open promises past their due day: days past it
    # unpaid invoices past their (renegotiated) due day: days late, from their own first due day
    invoices_overdue: dict[int, int]
    scores: dict[int, tuple[int | None, str]]  # shown score (None: "–", nothing to judge yet) and band
    health: dict[int, formula.TrustHealth] = field(default_factory=dict)
    concerns_open: set[int] = field(default_factory=set)  # the concerns clients raised that still stand
    # scope changes waiting for a decision: whose ("me": mine is still to give, else the client's)
    scope_pending: dict[int, str] = field(default_factory=dict)
    scope_states: dict[int, str] = field(
        default_factory=dict
    )  # every scope change: pending, accepted, declined


def _local_midnight(day: date, zone: zoneinfo.ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _away_on(book: Book, pk: int, day: date) -> date | None | bool:
    """Return False when client `pk` is not away on `day`; else the last day of the longest absence holding it
    (None: open). Away: one of its own absences holds the day, or its active project is paused that day."""
    holding = [
        (first, last)
        for first, last in book.absences.get(pk, [])
        + (book.pauses.get(pk, []) if pk in book.projects else [])
        if first <= day and (last is None or day <= last)
    ]
    if not holding:
        return False
    ends = [last for _first, last in holding]
    return None if None in ends else max(ends)


def expect(book: Book) -> Answers:
    """Return the answers the rules give for `book` at its `now` (the guide's rules, written once here)."""
    today, zone = book.today, book.zone
    answers = Answers(today, {}, {}, {}, {}, {})
    thresholds = formula.BandThresholds(
        healthy=django_settings.TRUST_BAND_HEALTHY, watch=django_settings.TRUST_BAND_WATCH
    )
    for pk, client in book.clients.items():
        # The next status update: the last one's local day (or the client's first) plus the cadence, or the first
        # day back when the client is away that day (an absence, or its only active project paused); none while
        # an open absence lasts. Only active clients owe one, and none on a day they are away.
        since = client.last_status_update_at or client.created_at
        due_on: date | None = since.astimezone(zone).date() + timedelta(days=client.cadence_days)
        while due_on is not None and (last := _away_on(book, pk, due_on)) is not False:
            due_on = None if last is None else last + timedelta(days=1)
        if client.status != Client.Status.PAUSED and due_on is not None:
            answers.status_due_on[pk] = due_on
        away_today = _away_on(book, pk, today) is not False
        if (
            client.status == Client.Status.ACTIVE
            and due_on is not None
            and due_on <= today
            and not away_today
        ):
            answers.status_due[pk] = (today - due_on).days
        promises = [p for p in book.promises.values() if p.client_id == pk]
        invoices = [i for i in book.invoices.values() if i.client_id == pk]
        facts = formula.ClientFacts(
            id=pk,
            created_at=client.created_at,
            cadence_days=client.cadence_days,
            active_since=_local_midnight(book.projects[pk], zone) if pk in book.projects else None,
            last_status_update_at=client.last_status_update_at,
            promises=tuple(
                formula.PromiseFact(
                    p.pk, p.made_on, p.due_on, p.state, p.kept_on, p.broken_on, None, p.promisor, p.dropped_on
                )
                for p in promises
            ),
            invoices=tuple(
                formula.InvoiceFact(
                    i.pk, i.amount, i.issued_on, i.due_on, i.paid_on, i.renegotiated_due_on, i.currency
                )
                for i in invoices
            ),
            conflicts=tuple(
                formula.ConflictFact(
                    c.pk,
                    c.kind,
                    c.severity,
                    c.observed_on,
                    c.resolved_on,
                    c.raised_by,
                    c.withdrawn_at.astimezone(zone).date() if c.withdrawn_at else None,
                )
                for c in book.conflicts.values()
                if c.client_id == pk
            ),
            # Every change as drawn: the formula itself leaves out the priced and the declined ones.
            scope_changes=tuple(
                formula.ScopeChangeFact(s.pk, s.asked_on, bool(s.price_change), _scope_state(s))
                for s in book.scope_changes.values()
                if s.client_id == pk
            ),
            check_ins=tuple(
                formula.CheckInFact(c.pk, c.answered_at, c.level, c.withdrawn_at)
                for c in book.check_ins.values()
                if c.client_id == pk
            ),
            zone=zone,
            paused=client.status == Client.Status.PAUSED,
            owes_status_updates=client.status == Client.Status.ACTIVE,
            away=rules.away_spans(
                book.absences.get(pk, []), [book.pauses.get(pk, [])] if pk in book.projects else []
            ),
        )
        health = formula.compute(facts, book.now, today, thresholds)
        answers.health[pk] = health
        # A client with nothing logged has a placeholder, not a score ("–").
        shown = health.score if (health.band != "insufficient" or health.evidence_count > 0) else None
        answers.scores[pk] = (shown, health.band)
    for pk, promise in book.promises.items():
        if promise.state == Promise.State.OPEN and promise.due_on < today:
            answers.promises_overdue[pk] = (today - promise.due_on).days
    for pk, invoice in book.invoices.items():
        # Listed as overdue from its renegotiated due date, if any; late from its own first due date (issue 22).
        due = invoice.renegotiated_due_on or invoice.due_on
        if invoice.paid_on is None and due < today:
            answers.invoices_overdue[pk] = max((today - invoice.due_on).days, 0)
    answers.concerns_open = {
        pk for pk, c in book.conflicts.items() if c.raised_by == "client" and c.withdrawn_at is None
    }
    for pk, change in book.scope_changes.items():
        answers.scope_states[pk] = state = _scope_state(change)
        if state == "pending":
            answers.scope_pending[pk] = "me" if change.freelancer_decision == "pending" else "client"
    return answers


def _scope_state(change: ScopeChange) -> str:
    """The guide's word for a change: declined when a side declined, accepted when both did, else pending."""
    decisions = {change.freelancer_decision, change.client_decision}
    if "declined" in decisions:
        return "declined"
    return "accepted" if decisions == {"accepted"} else "pending"


def expected_reason_due_on(book: Book, answers: Answers, pk: int) -> dict[str, str | None]:
    """Return the due day each overdue reason of client `pk` must carry (None: the reason must be absent).

    The score counts lateness after the grace periods of docs/trust-model.md; the day a reason shows is the
    earliest due day it stands for, so its day count is the oracle's largest.
    """
    today = answers.today
    # The score weighs an unpaid invoice from its own first due date, a new date agreed or not (issue 22).
    invoices = [
        i.due_on
        for i in book.invoices.values()
        if i.client_id == pk and i.paid_on is None and (today - i.due_on).days > INVOICE_GRACE_DAYS
    ]
    found: dict[str, str | None] = {"invoice_overdue": min(invoices).isoformat() if invoices else None}
    for prefix, promisor in (("promise_", "freelancer"), ("client_promise_", "client")):
        overdue, to_settle = [], []
        for p in book.promises.values():
            if p.client_id != pk or p.pk not in answers.promises_overdue or p.promisor != promisor:
                continue
            days = (today - p.due_on).days
            if days > SETTLE_AFTER_DAYS:
                to_settle.append(p.due_on)
            elif days > PROMISE_GRACE_DAYS:
                overdue.append(p.due_on)
        found[prefix + "overdue"] = min(overdue).isoformat() if overdue else None
        found[prefix + "to_settle"] = min(to_settle).isoformat() if to_settle else None
    return found


# -- reading the faces ----------------------------------------------------------------------------------------------


class Disagreements:
    """Collect every contradiction of one example, then fail once with all of them."""

    def __init__(self, spec: BookSpec, book: Book) -> None:
        self.lines: list[str] = []
        self.book = book
        self.header = f"book in {spec.zone} at {spec.now.isoformat()} (local today {book.today}): {spec!r}"

    def name(self, pk: int) -> str:
        client = self.book.clients.get(pk)
        return (
            f"{client.name} (id {pk}, {client.status}, every {client.cadence_days}d)" if client else str(pk)
        )

    def check(self, face: str, what: str, expected: Any, found: Any) -> None:
        if expected != found:
            self.lines.append(f"[{face}] {what}: expected {expected!r}, found {found!r}")

    def compare(
        self, face: str, what: str, expected: dict[int, Any], found: dict[int, Any], who: Any
    ) -> None:
        for key in sorted(set(expected) | set(found)):
            want, got = expected.get(key, "absent"), found.get(key, "absent")
            if want != got:
                self.lines.append(f"[{face}] {what} of {who(key)}: expected {want!r}, found {got!r}")

    def fail_if_any(self) -> None:
        if self.lines:
            pytest.fail(self.header + "\n" + "\n".join(self.lines), pytrace=False)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _element(html: str, element_id: str, tag: str = "li") -> str | None:
    """Return the HTML of the element with `element_id` (up to its closing tag; these items do not nest)."""
    start = html.find(f'id="{element_id}"')
    if start < 0:
        return None
    end = html.find(f"</{tag}>", start)
    return html[html.rfind("<", 0, start) : end]


def _group(html: str, key: str) -> str:
    start = html.find(f'data-group="{key}"')
    end = html.find('class="week-group"', start + 1)
    return html[start : end if end > 0 else len(html)]


DAYS_LATE = re.compile(r"(\d+) days? late")
DUE_IN = re.compile(r"due in (\d+) days?")


def _days_said(text: str) -> int | None:
    """Return the days late a status-update line says (0 due today, negative: due in N days)."""
    if match := DAYS_LATE.search(text) or re.search(r"lapsed (\d+) days? ago", text):
        return int(match.group(1))
    if "due today" in text:
        return 0
    if "due tomorrow" in text:
        return -1
    if match := DUE_IN.search(text):
        return -int(match.group(1))
    return None


def _score_and_band(fragment: str, score_class: str) -> tuple[int | None, str | None]:
    score = re.search(rf'class="{score_class}"[^>]*>\s*([^<]*?)\s*<', fragment)
    band = re.search(r'class="band band-(\w+)"', fragment)
    shown = score.group(1) if score else None
    return (int(shown) if shown and shown.isdigit() else None), (band.group(1) if band else None)


def _split_by_lookahead(said: dict[int, int]) -> tuple[dict[int, int], dict[int, int]]:
    return {k: d for k, d in said.items() if d >= 0}, {k: d for k, d in said.items() if d < 0}


def _check_status_updates(
    out: Disagreements, face: str, answers: Answers, said: dict[int, int], ahead: dict[str, set[int]]
) -> None:
    due, coming = _split_by_lookahead(said)
    out.compare(face, "status update due (days late)", answers.status_due, due, out.name)
    expected_coming = {
        pk: (answers.today - answers.status_due_on[pk]).days for pk in coming if pk in answers.status_due_on
    }
    out.compare(face, "status update coming due (days, negative: ahead)", expected_coming, coming, out.name)
    ahead[face] = set(coming)


def _check_reasons(
    out: Disagreements, face: str, book: Book, answers: Answers, pk: int, reasons: list[dict]
) -> None:
    """Check the overdue reasons of client `pk`: present when the rules say so, and the day count they state
    (their text, drawn against today; the API does not give their parameters) is the oracle's."""
    by_code = {reason["code"]: reason for reason in reasons}
    expected = expected_reason_due_on(book, answers, pk)
    if "status_update_overdue" in by_code:
        # Only active clients owe a status update (paused and away ones none, former ones no longer).
        owed = book.clients[pk].status == Client.Status.ACTIVE
        due_on = answers.status_due_on.get(pk) if owed else None
        expected["status_update_overdue"] = due_on.isoformat() if due_on else None
    for code, due_on in expected.items():
        if code not in by_code:
            out.check(face, f"reason {code} of {out.name(pk)}", due_on and f"overdue since {due_on}", None)
            continue
        text = by_code[code].get("text", "")
        days = (answers.today - date.fromisoformat(due_on)).days if due_on and due_on[0].isdigit() else None
        said = re.search(r"(\d+) days?", text)
        stated = by_code[code].get("params", {}).get("due_on", "not given")
        out.check(
            face,
            f"reason {code} of {out.name(pk)}, days overdue (expected due {due_on}, stated {stated}: {text!r})",
            days,
            int(said.group(1)) if said else None,
        )


def _date(day: date) -> str:
    with translation.override("en"):
        return formats.date_format(day, "DATE_FORMAT")


# -- each face ------------------------------------------------------------------------------------------------------


def face_dashboard(browser: Browser, book: Book, answers: Answers, out: Disagreements, ahead: dict) -> None:
    html = browser.get(reverse("web:dashboard")).content.decode()
    face = "dashboard"
    rows = {
        pk: _score_and_band(_element(html, f"client-{pk}", "tr") or "", "score-number") for pk in book.clients
    }
    out.compare(face, "score and band", answers.scores, rows, out.name)
    # Each row's reason is the first of its trust health's reasons as stored, which the API and the report give
    # whole: the row reads it alone, in SQL (`board.ranked_clients`). None: no reason yet ("Not enough history").
    stored = ClientHealth.objects.filter(client__in=book.clients).values_list("client_id", "reasons")
    with translation.override("en"):
        first = {
            pk: _text(describe(reasons[0], book.today).text) if reasons else None for pk, reasons in stored
        }
    shown = {}
    for pk, want in first.items():
        row = _element(html, f"client-{pk}", "tr") or ""
        cell = row[row.find('class="reason-cell"') :]
        cell = _text(cell[cell.find(">") + 1 : cell.find("</td>")])
        shown[pk] = (
            want if want is not None and want in cell else None if "Not enough history" in cell else cell
        )
    out.compare(face, "top reason", first, shown, out.name)
    said = {}
    group = _group(html, "status_updates")
    for pk in book.clients:
        item = _element(group, f"status-{pk}")
        if item is not None:
            said[pk] = _days_said(_text(item))
    _check_status_updates(out, face, answers, said, ahead)
    count = re.search(r'data-count="status_updates">(\d+)<', html)
    out.check(face, "count of status updates listed", len(said), int(count.group(1)) if count else None)
    group = _group(html, "promises_overdue")
    listed = {
        pk: answers.promises_overdue.get(pk, "not overdue")
        for pk in book.promises
        if f'id="promise-{pk}"' in group
    }
    out.compare(
        face, "overdue promise", answers.promises_overdue, listed, lambda pk: book.promises[pk].description
    )
    group = _group(html, "invoices_overdue")
    listed = {}
    for pk in book.invoices:
        item = _element(group, f"invoice-{pk}")
        if item is not None:
            match = DAYS_LATE.search(_text(item))
            listed[pk] = int(match.group(1)) if match else "no days late shown"
    out.compare(
        face,
        "overdue invoice (days late)",
        answers.invoices_overdue,
        listed,
        lambda pk: book.invoices[pk].number,
    )
    # The concerns clients raised on their pages, at the top (issue 26): the ones that still stand, no other.
    alert = _element(html, "client-concerns", "ul") or ""
    shown = {pk for pk in book.conflicts if reverse("web:conflict", kwargs={"signal_id": pk}) in alert}
    out.check(face, "clients' concerns shown", sorted(answers.concerns_open), sorted(shown))


def face_workspace(browser: Browser, book: Book, answers: Answers, out: Disagreements) -> None:
    for pk in book.clients:
        face = "workspace"
        html = browser.get(reverse("web:client", kwargs={"client_id": pk})).content.decode()
        panel = html[html.find('id="score-panel"') :]
        score, band = _score_and_band(panel, "score-big")
        out.check(face, f"score and band of {out.name(pk)}", answers.scores[pk], (score, band))
        head = _text(html[html.find('class="facts"') : html.find("</dl>")])
        if pk in answers.status_due_on:
            out.check(
                face,
                f"next status update due of {out.name(pk)}",
                True,
                f"next due {_date(answers.status_due_on[pk])}" in head,
            )
        face = "workspace timeline"
        for ppk, promise in book.promises.items():
            if promise.client_id != pk or promise.state != Promise.State.OPEN:
                continue
            item = _element(html, f"promise-{ppk}") or ""
            outcome = re.search(r"outcome-(\w+)", item)
            days = answers.promises_overdue.get(ppk)
            want = "open" if days is None else ("to_settle" if days > SETTLE_AFTER_DAYS else "overdue")
            out.check(face, f"promise {promise.description}", want, outcome.group(1) if outcome else None)
        for ipk, invoice in book.invoices.items():
            if invoice.client_id != pk or invoice.paid_on is not None:
                continue
            match = DAYS_LATE.search(_text(_element(html, f"invoice-{ipk}") or ""))
            out.check(
                face,
                f"invoice {invoice.number} days late",
                answers.invoices_overdue.get(ipk),
                int(match.group(1)) if match else None,
            )
        last_move = HealthChange.objects.filter(client_id=pk).order_by("-pk").first()
        item = _element(html, f"health-change-{last_move.pk}") if last_move else None
        if item is not None and answers.scores[pk][0] is not None:
            moved = re.search(r"\d+ → (\d+)", _text(item))
            band = re.search(r'class="band band-(\w+)"', item)
            if band:  # the move says the band only when it changed
                out.check(
                    face,
                    f"band after the latest move of {out.name(pk)}",
                    answers.scores[pk][1],
                    band.group(1),
                )
            out.check(
                face,
                f"latest trust-health move of {out.name(pk)} (its new score)",
                answers.scores[pk][0],
                int(moved.group(1)) if moved else None,
            )


def _digest_sections(body: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = ""
    for line in body.splitlines():
        if match := re.match(r"^== (.*?) ==$", line):
            current = match.group(1)
        sections.setdefault(current, []).append(line)
    return sections


def face_digest(book: Book, answers: Answers, out: Disagreements, ahead: dict) -> None:
    face = "digest"
    message = digest_message(book.owner, book.now)
    body = message.body if message else ""
    sections = _digest_sections(body)
    said = {}
    for line in sections.get("Status updates to send", []):
        for pk, client in book.clients.items():
            if line.startswith(f"* {client.name}:"):
                said[pk] = _days_said(line)
    _check_status_updates(out, face, answers, said, ahead)
    overdue = {}
    for line in sections.get("Overdue promises", []) + sections.get("Promises to settle", []):
        for pk, promise in book.promises.items():
            if line.startswith(f"* {promise.description} "):
                match = DAYS_LATE.search(line)
                overdue[pk] = int(match.group(1)) if match else line
    # The digest lists the freelancer's overdue promises, and the promises to settle on both sides.
    expected = {
        pk: days
        for pk, days in answers.promises_overdue.items()
        if book.promises[pk].promisor == "freelancer" or days > SETTLE_AFTER_DAYS
    }
    out.compare(
        face, "overdue promise (days late)", expected, overdue, lambda pk: book.promises[pk].description
    )
    invoices = {}
    for line in sections.get("Overdue invoices", []):
        for pk, invoice in book.invoices.items():
            if line.startswith(f"* {invoice.number} "):
                match = DAYS_LATE.search(line)
                invoices[pk] = int(match.group(1)) if match else line
    out.compare(
        face,
        "overdue invoice (days late)",
        answers.invoices_overdue,
        invoices,
        lambda pk: book.invoices[pk].number,
    )
    waiting = {}
    for line in sections.get("Scope changes waiting for a decision", []):
        for pk, change in book.scope_changes.items():
            if f": {change.description} — " in line:
                waiting[pk] = "me" if "Waiting for your decision." in line else "client"
    out.compare(
        face,
        "scope change waiting (for whom)",
        answers.scope_pending,
        waiting,
        lambda pk: book.scope_changes[pk].description,
    )


def face_nudge(book: Book, answers: Answers, out: Disagreements, ahead: dict) -> None:
    face = "nudge"
    message = nudge_message(book.owner, book.now)
    body = message.body if message else ""
    said = {}
    for pk, client in book.clients.items():
        if match := re.search(rf"^== {re.escape(client.name)}: (.*) ==$", body, re.M):
            said[pk] = _days_said(match.group(1))
    _check_status_updates(out, face, answers, said, ahead)
    if said:  # the nudge is sent only when a status update is due; then it lists the promises to settle
        settle = {}
        for pk, promise in book.promises.items():
            if match := re.search(rf"^\* {re.escape(promise.description)} .*", body, re.M):
                days = DAYS_LATE.search(match.group(0))
                settle[pk] = int(days.group(1)) if days else match.group(0)
        expected = {pk: d for pk, d in answers.promises_overdue.items() if d > SETTLE_AFTER_DAYS}
        out.compare(
            face, "promise to settle (days late)", expected, settle, lambda pk: book.promises[pk].description
        )


def face_portal(browser: Browser, book: Book, answers: Answers, out: Disagreements) -> None:
    face = "client's page"
    for pk, client in book.clients.items():
        page = ClientPage.objects.create(client=client)
        html = Browser().get(reverse("portal:page", kwargs={"token": page.token})).content.decode()
        for ppk, promise in book.promises.items():
            if promise.client_id != pk or promise.state != Promise.State.OPEN:
                continue
            match = re.search(
                rf'class="promise promise-(\w+)">\s*<p>{re.escape(promise.description)}</p>', html
            )
            want = "late" if ppk in answers.promises_overdue else "due"
            out.check(face, f"promise {promise.description}", want, match.group(1) if match else None)
        for ipk, invoice in book.invoices.items():
            if invoice.client_id != pk or invoice.paid_on is not None:
                continue
            match = DAYS_LATE.search(_text(_element(html, f"invoice-{ipk}") or ""))
            out.check(
                face,
                f"invoice {invoice.number} days late",
                answers.invoices_overdue.get(ipk),
                int(match.group(1)) if match else None,
            )
        # The scope changes: every pending one is there to decide; any shown says its state.
        for spk, change in book.scope_changes.items():
            if change.client_id != pk:
                continue
            item = _element(html, f"scope-change-{spk}")
            state = re.search(r'class="scope-change scope-(\w+)"', item or "")
            if item is not None or spk in answers.scope_pending:
                out.check(
                    face,
                    f"scope change {change.description}",
                    answers.scope_states[spk],
                    state.group(1) if state else None,
                )
        # The client's own word: each concern and check-in, withdrawn or not.
        for kind, records in (("concern", book.conflicts), ("check-in", book.check_ins)):
            for rpk, record in records.items():
                if record.client_id != pk or getattr(record, "raised_by", "client") != "client":
                    continue
                item = _element(html, f"{kind}-{rpk}")
                out.check(
                    face,
                    f"{kind} {rpk} of {out.name(pk)} (withdrawn?)",
                    record.withdrawn_at is not None,
                    None if item is None else "is-withdrawn" in item,
                )


def _check_report(out: Disagreements, face: str, book: Book, answers: Answers, rows: list[dict]) -> None:
    found = {row["id"]: row for row in rows}
    for pk in book.clients:
        row = found.get(pk)
        if row is None:
            out.check(face, f"{out.name(pk)}", "listed", "absent")
            continue
        out.check(
            face,
            f"score and band of {out.name(pk)}",
            answers.scores[pk],
            (row["score"] if answers.scores[pk][0] is not None else None, row["band"]),
        )
        _check_reasons(out, face, book, answers, pk, row["reasons"])


def face_api(book: Book, answers: Answers, out: Disagreements) -> None:
    _token, raw = AccessToken.issue(book.owner, "faces", AccessToken.Scope.READ)
    headers = {"Authorization": f"Bearer {raw}"}
    answer = Browser().get("/api/health", headers=headers)
    _check_report(out, "API /api/health", book, answers, answer.json()["items"])
    items = Browser().get("/api/scope-changes?limit=200", headers=headers).json()["items"]
    out.compare(
        "API /api/scope-changes",
        "state",
        answers.scope_states,
        {item["id"]: item["state"] for item in items},
        lambda pk: book.scope_changes[pk].description,
    )
    items = Browser().get("/api/check-ins?limit=200", headers=headers).json()["items"]
    out.compare(
        "API /api/check-ins",
        "withdrawn",
        {pk: c.withdrawn_at is not None for pk, c in book.check_ins.items()},
        {item["id"]: item["withdrawn_at"] is not None for item in items},
        str,
    )
    items = Browser().get("/api/conflict-signals?limit=200", headers=headers).json()["items"]
    out.compare(
        "API /api/conflict-signals",
        "raised by, withdrawn",
        {pk: (c.raised_by, c.withdrawn_at is not None) for pk, c in book.conflicts.items()},
        {item["id"]: (item["raised_by"], item["withdrawn_at"] is not None) for item in items},
        str,
    )


def face_trust_report(book: Book, answers: Answers, out: Disagreements) -> None:
    for extra in ([], ["--stored"]):
        printed = io.StringIO()
        call_command(
            "trust_report", "--user", book.owner.username, "--format", "json", *extra, stdout=printed
        )
        document = json.loads(printed.getvalue())
        rows = [row for freelancer in document["freelancers"] for row in freelancer["clients"]]
        _check_report(out, "trust_report " + " ".join(["--format json", *extra]), book, answers, rows)


def face_calendar(book: Book, answers: Answers, out: Disagreements) -> None:
    face = "calendar feed"
    url = reverse("web:calendar_feed", kwargs={"token": feed_token(book.owner.profile)})
    feed = icalendar.Calendar.from_ical(Browser().get(url).content)
    promises, updates = {}, {}
    for event in feed.walk("VEVENT"):
        kind, pk = re.match(r"(promise|status-update)-(\d+)@", str(event["uid"])).groups()
        (promises if kind == "promise" else updates)[int(pk)] = event.decoded("dtstart")
    open_due = {pk: p.due_on for pk, p in book.promises.items() if p.state == Promise.State.OPEN}
    out.compare(face, "open promise's due day", open_due, promises, lambda pk: book.promises[pk].description)
    active = {
        pk: d for pk, d in answers.status_due_on.items() if book.clients[pk].status == Client.Status.ACTIVE
    }
    out.compare(face, "status update due day", active, updates, out.name)


def _exported_book(book: Book, document: dict) -> Book:
    """Return the book as the export describes it (its facts only), for the oracle."""
    again = Book(book.owner, book.zone, book.now, book.today)
    by_name = {client.name: pk for pk, client in book.clients.items()}
    for row in document["clients"]:
        pk = by_name[row["name"]]
        again.clients[pk] = Client(
            pk=pk,
            name=row["name"],
            status=row["status"],
            cadence_days=row["cadence_days"],
            created_at=datetime.fromisoformat(row["created_at"]),
            last_status_update_at=datetime.fromisoformat(row["last_status_update_at"])
            if row["last_status_update_at"]
            else None,
        )
        day = lambda value: date.fromisoformat(value) if value else None  # noqa: E731
        active = set()
        for project in row["projects"]:
            if project["status"] == "active" and project["start_on"]:
                again.projects[pk] = date.fromisoformat(project["start_on"])
                active.add(project["id"])
        again.absences[pk] = [
            (day(a["start_on"]), day(a["end_on"])) for a in row["absences"] if a["project"] is None
        ]
        again.pauses[pk] = [
            (day(a["start_on"]), day(a["end_on"])) for a in row["absences"] if a["project"] in active
        ]
        for item in row["promises"]:
            again.promises[item["id"]] = Promise(
                pk=item["id"],
                client_id=pk,
                promisor=item["promisor"],
                description=item["description"],
                made_on=day(item["made_on"]),
                due_on=day(item["due_on"]),
                state=item["state"],
                kept_on=day(item["kept_on"]),
                broken_on=day(item["broken_on"]),
                dropped_on=day(item["dropped_on"]),
            )
        moment = lambda value: datetime.fromisoformat(value) if value else None  # noqa: E731
        for item in row["conflict_signals"]:
            again.conflicts[item["id"]] = ConflictSignal(
                pk=item["id"],
                client_id=pk,
                kind=item["kind"],
                severity=item["severity"],
                observed_on=day(item["observed_on"]),
                resolved_on=day(item["resolved_on"]),
                raised_by=item["raised_by"],
                withdrawn_at=moment(item["withdrawn_at"]),
            )
        for item in row["check_ins"]:
            again.check_ins[item["id"]] = CheckIn(
                pk=item["id"],
                client_id=pk,
                level=item["level"],
                answered_at=moment(item["answered_at"]),
                withdrawn_at=moment(item["withdrawn_at"]),
            )
        for item in row["scope_changes"]:
            again.scope_changes[item["id"]] = ScopeChange(
                pk=item["id"],
                client_id=pk,
                asked_on=day(item["asked_on"]),
                price_change=Decimal(item["price_change"]) if item["price_change"] else None,
                freelancer_decision=item["freelancer_decision"],
                client_decision=item["client_decision"],
            )
        for item in row["invoices"]:
            again.invoices[item["id"]] = Invoice(
                pk=item["id"],
                client_id=pk,
                number=item["number"],
                amount=Decimal(item["amount"]),
                currency=item["currency"],
                issued_on=day(item["issued_on"]),
                due_on=day(item["due_on"]),
                paid_on=day(item["paid_on"]),
                renegotiated_due_on=day(item["renegotiated_due_on"]),
            )
    return again


def face_exports(browser: Browser, book: Book, answers: Answers, out: Disagreements) -> None:
    face = "export (JSON)"
    answer = browser.get(reverse("web:export_json"))
    document = json.loads(b"".join(answer.streaming_content) if answer.streaming else answer.content)
    again = expect(_exported_book(book, document))
    out.compare(
        face,
        "status update due (days late), from the exported facts",
        answers.status_due,
        again.status_due,
        out.name,
    )
    out.compare(
        face,
        "overdue promise, from the exported facts",
        answers.promises_overdue,
        again.promises_overdue,
        str,
    )
    out.compare(
        face,
        "overdue invoice, from the exported facts",
        answers.invoices_overdue,
        again.invoices_overdue,
        str,
    )
    out.compare(face, "score and band, from the exported facts", answers.scores, again.scores, out.name)
    out.compare(
        face,
        "scope changes waiting, from the exported facts",
        answers.scope_pending,
        again.scope_pending,
        str,
    )
    out.check(face, "concerns standing, from the exported facts", answers.concerns_open, again.concerns_open)
    by_name = {client.name: pk for pk, client in book.clients.items()}
    for row in document["clients"]:
        pk = by_name[row["name"]]
        if row["health_changes"] and answers.scores[pk][0] is not None:
            latest = max(row["health_changes"], key=lambda change: change["id"])
            out.check(
                face,
                f"latest trust-health move of {out.name(pk)}",
                answers.scores[pk][0],
                latest["new_score"],
            )
    face = "export (CSV)"
    answer = browser.get(reverse("web:export_zip"))
    archive = zipfile.ZipFile(
        io.BytesIO(b"".join(answer.streaming_content) if answer.streaming else answer.content)
    )
    names = {name.rsplit("/", 1)[-1]: name for name in archive.namelist()}
    rows = list(csv.DictReader(io.TextIOWrapper(archive.open(names["invoices.csv"]), encoding="utf-8-sig")))
    found = {}
    for row in rows:
        due = date.fromisoformat(row["renegotiated_due_on"] or row["due_on"])
        if not row["paid_on"] and due < book.today:
            found[int(row["id"])] = max((book.today - date.fromisoformat(row["due_on"])).days, 0)
    out.compare(face, "overdue invoice, from the exported rows", answers.invoices_overdue, found, str)


# -- the property ---------------------------------------------------------------------------------------------------


@settings(PROFILE)
@given(spec=books)
def test_every_face_gives_the_same_answer(db: None, spec: BookSpec) -> None:
    cache.clear()  # the dashboard's and fragments' caches are keyed by owner and book version
    with time_machine.travel(spec.now, tick=False), transaction.atomic():
        book = _build(spec)
        answers = expect(book)
        out = Disagreements(spec, book)
        browser = Browser()
        browser.force_login(book.owner)
        ahead: dict[str, set[int]] = {}
        face_dashboard(browser, book, answers, out, ahead)
        face_workspace(browser, book, answers, out)
        face_digest(book, answers, out, ahead)
        face_nudge(book, answers, out, ahead)
        face_portal(browser, book, answers, out)
        face_api(book, answers, out)
        face_trust_report(book, answers, out)
        face_calendar(book, answers, out)
        face_exports(browser, book, answers, out)
        # The faces that look ahead must look the same distance ahead.
        looked = {face: ahead[face] for face in ahead}
        if len({frozenset(s) for s in looked.values()}) > 1:
            out.lines.append(f"[look-ahead] faces list different clients as coming due: {looked}")
        transaction.set_rollback(True)
        out.fail_if_any()

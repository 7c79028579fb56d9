"""The fast loaders of the trust health: journals from raw rows, the bulk and the one-client paths, query budget.

The bulk recompute reads the database straight from the cursor and hands the formula each client's interactions
already reduced to a journal; these tests hold it to the plain path (ORM objects, one InteractionFact per row).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.models import Absence, Client, Project
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Feeling, HealthSnapshot, Interaction, Invoice, Promise, Rate
from crm.trust import formula
from crm.trust.health import recompute_book, recompute_client, thresholds
from tests.factories import (
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

NOW = datetime(2026, 3, 2, 23, 30, 15, 250000, tzinfo=UTC)  # already the 3rd in Paris
TODAY = timezone.localtime(NOW, timezone.get_fixed_timezone(60)).date()


# -- the journal: a client's interactions reduced to what the formula reads ---------------------------------


def _reference_journal(interactions: list[formula.InteractionFact], now: datetime) -> formula.Journal:
    """The reduction spelled out the long way: every status update, and each first message of a run from the
    client with the freelancer's answer (linked to a message of the run, or unlinked and not a status update);
    the other way, each first question of a run (an email or a message to the client that answers nothing) with
    the client's answer LINKED to a question of the run (which then waits for no reply). Auto-replies and mailings
    are left out."""
    ordered = sorted(
        (i for i in interactions if i.happened_at <= now and not i.automatic),
        key=lambda i: (i.happened_at, i.id),
    )
    updates = tuple((i.id, i.happened_at) for i in ordered if i.is_status_update)
    exchanges = []
    questions = []
    waiting: formula.InteractionFact | None = None
    asked: formula.InteractionFact | None = None
    run: set[int] = set()
    asked_run: set[int] = set()
    for interaction in ordered:
        if interaction.direction == "from_client":
            if asked is not None and interaction.answers in asked_run:
                questions.append((asked.id, asked.happened_at, interaction.happened_at))
                asked, asked_run = None, set()
                continue  # an answer to my question waits for no reply
            waiting = waiting or interaction
            run.add(interaction.id)
            continue
        answer = waiting is not None and (
            interaction.answers in run
            if interaction.answers is not None
            else not interaction.is_status_update
        )
        if answer:
            assert waiting is not None
            exchanges.append((waiting.id, waiting.happened_at, interaction.happened_at))
            waiting, run = None, set()
        elif interaction.kind in ("email", "message") and interaction.answers is None:
            asked = asked or interaction
            asked_run.add(interaction.id)
    if waiting is not None:
        exchanges.append((waiting.id, waiting.happened_at, None))
    if asked is not None:
        questions.append((asked.id, asked.happened_at, None))
    return formula.Journal(updates, tuple(exchanges), tuple(questions))


_interactions = st.lists(
    st.builds(
        lambda minutes, kind, direction, answers, automatic: formula.InteractionFact(
            0, NOW - timedelta(minutes=minutes), kind, direction, answers, automatic
        ),
        st.integers(-3 * 24 * 60, 30 * 24 * 60),  # some in the future, some at the same minute
        st.sampled_from(["email", "message", "call", "status_update", "delivery"]),
        st.sampled_from(["to_client", "from_client"]),
        st.one_of(st.none(), st.integers(0, 39)),  # a link to another interaction, by its place in the list
        st.sampled_from(["", "", "", "auto_reply", "bulk"]),
    ),
    max_size=40,
)


def _numbered(items: list[formula.InteractionFact], start: int) -> list[formula.InteractionFact]:
    return [
        replace(item, id=start + i, answers=None if item.answers is None else start + item.answers)
        for i, item in enumerate(items)
    ]


@settings(max_examples=300, deadline=None)
@given(_interactions)
def test_journal_keeps_every_status_update_and_each_first_message_with_its_reply(
    interactions: list[formula.InteractionFact],
) -> None:
    interactions = _numbered(interactions, 1)
    assert formula.journal_of(interactions, NOW) == _reference_journal(interactions, NOW)


@settings(max_examples=150, deadline=None)
@given(_interactions, _interactions)
def test_journals_from_raw_rows_of_a_batch_match_each_clients_own_journal(
    first: list[formula.InteractionFact], second: list[formula.InteractionFact]
) -> None:
    # The bulk loader hands over SQLite's text timestamps; only the kept ones are parsed.
    books = {7: _numbered(first, 1), 9: _numbered(second, 1000)}
    rows = [
        (
            client_id,
            i.id,
            i.happened_at.astimezone(UTC).replace(tzinfo=None).isoformat(" "),
            i.is_status_update,
            i.direction == "from_client",
            i.answers,
            i.asks,
        )
        for client_id, interactions in books.items()
        for i in sorted(
            (i for i in interactions if i.happened_at <= NOW and not i.automatic),
            key=lambda i: (i.happened_at, i.id),
        )
    ]
    journals = formula.journals(rows, lambda text: datetime.fromisoformat(text + "+00:00"))
    for client_id, interactions in books.items():
        expected = _reference_journal(interactions, NOW)
        assert journals.get(client_id, formula.Journal()) == expected


def test_a_journal_given_in_the_facts_scores_like_the_interactions_it_comes_from() -> None:
    interactions = _numbered(
        [
            formula.InteractionFact(0, NOW - timedelta(days=d, hours=h), kind, direction)
            for d, h, kind, direction in [
                (40, 0, "status_update", "to_client"),
                (30, 5, "email", "from_client"),
                (30, 2, "email", "from_client"),
                (26, 0, "call", "to_client"),
                (20, 0, "status_update", "to_client"),
                (9, 0, "email", "from_client"),
                (1, 0, "email", "from_client"),
            ]
        ],
        1,
    )
    facts = formula.ClientFacts(
        id=1, created_at=NOW - timedelta(days=90), active_since=NOW - timedelta(days=60)
    )
    plain = formula.compute(replace(facts, interactions=tuple(interactions)), NOW)
    reduced = formula.compute(replace(facts, journal=formula.journal_of(interactions, NOW)), NOW)
    assert (reduced.exact, reduced.reasons, reduced.components) == (
        plain.exact,
        plain.reasons,
        plain.components,
    )
    assert "slow_replies" in [r["code"] for r in plain.reasons]
    assert "unanswered_message" in [r["code"] for r in plain.reasons]


# -- the bulk and the one-client paths against the plain ORM path -------------------------------------------


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _varied_history(client: Client) -> None:
    """A bit of everything the loaders convert: local days, text timestamps, cents, ties, snapshots."""
    today = timezone.localtime(NOW, client.owner.profile.zone).date()

    def days(n: int) -> Any:
        return today - timedelta(days=n)

    make_project(client, start_on=days(80))
    make_project(client, status=Project.Status.ACTIVE, start_on=None)
    make_promise(client, made_on=days(30), due_on=days(20), state="kept", kept_on=days(19))
    make_promise(
        client,
        made_on=days(25),
        due_on=days(12),
        state="broken",
        broken_on=days(12),
        clarification="…",
        clarified_at=datetime.combine(days(12), time(22, 45), tzinfo=UTC),  # the next day in Paris
    )
    make_promise(client, made_on=days(15), due_on=days(8), promisor=Promise.Promisor.CLIENT)
    owed = make_invoice(client, amount=Decimal("1234.56"), issued_on=days(70), due_on=days(40))  # overdue
    # Issue 22: the client's promise to pay it by a new date, broken (one story with the invoice).
    make_promise(client, made_on=days(30), due_on=days(20), promisor=Promise.Promisor.CLIENT, invoice=owed)
    make_invoice(client, amount=Decimal("99.99"), issued_on=days(60), due_on=days(30), paid_on=days(10))
    make_invoice(
        client,
        amount=Decimal("4500.10"),
        issued_on=days(50),
        due_on=days(20),
        renegotiated_due_on=days(5),
        paid_on=days(4),
    )
    # Issue 13's inputs: a promise to settle, one dropped by agreement, an invoice in another currency, a feeling.
    make_promise(client, made_on=days(90), due_on=days(75))
    make_promise(client, made_on=days(40), due_on=days(35), state="dropped", dropped_on=days(2))
    make_invoice(client, amount=Decimal("800.00"), currency="USD", issued_on=days(65), due_on=days(35))
    Feeling.objects.create(client=client, rating=Feeling.Rating.DOUBT, note="…", felt_on=days(3))
    make_conflict(client, kind=ConflictSignal.Kind.POSTURE, severity=2, observed_on=days(9))
    make_conflict(client, observed_on=days(40), state="resolved", resolved_on=days(30))
    tie = NOW - timedelta(days=3, microseconds=1)
    question = make_interaction(
        client, kind=Interaction.Kind.EMAIL, direction="from_client", happened_at=NOW - timedelta(days=12)
    )
    # A status update two days after a question is no answer; the email linked to it is.
    make_interaction(
        client,
        kind=Interaction.Kind.STATUS_UPDATE,
        direction="to_client",
        happened_at=NOW - timedelta(days=10),
    )
    make_interaction(client, direction="to_client", happened_at=NOW - timedelta(days=8), answers=question)
    for when, kind, direction in [
        (NOW - timedelta(days=400), Interaction.Kind.STATUS_UPDATE, "to_client"),  # beyond the horizon
        (NOW - timedelta(days=70, hours=3), Interaction.Kind.STATUS_UPDATE, "to_client"),
        (NOW - timedelta(days=50), Interaction.Kind.EMAIL, "from_client"),
        (NOW - timedelta(days=49, seconds=30), Interaction.Kind.MESSAGE, "from_client"),
        (NOW - timedelta(days=44), Interaction.Kind.CALL, "to_client"),
        (NOW - timedelta(days=21), Interaction.Kind.STATUS_UPDATE, "to_client"),
        (NOW - timedelta(days=20), Interaction.Kind.STATUS_UPDATE, "from_client"),
        (NOW - timedelta(days=19, hours=20), Interaction.Kind.DELIVERY, "to_client"),
        (tie, Interaction.Kind.EMAIL, "from_client"),
        (tie, Interaction.Kind.EMAIL, "to_client"),
        (NOW - timedelta(hours=60), Interaction.Kind.EMAIL, "from_client"),
        (NOW + timedelta(hours=1), Interaction.Kind.EMAIL, "to_client"),  # not yet
    ]:
        make_interaction(client, kind=kind, direction=direction, happened_at=when)
    for weeks in (1, 2, 5):
        HealthSnapshot.objects.create(
            client=client, day=today - timedelta(weeks=weeks), score=60 + weeks, band="watch"
        )


def _in_euros(invoice: Invoice) -> float | None:
    """The invoice's amount in euros at the ECB rate of its day (the nearest earlier one, else the next)."""
    if invoice.currency == "EUR":
        return None
    rates = Rate.objects.filter(currency=invoice.currency)
    rate = (
        rates.filter(day__lte=invoice.issued_on).order_by("-day").first()
        or rates.filter(day__gt=invoice.issued_on).order_by("day").first()
    )
    return float(invoice.amount) / float(rate.per_euro) if rate else None


def _plain_health(client: Client) -> dict[str, Any]:
    """The trust health through the ORM and one InteractionFact per row, as before the fast loaders."""
    zone = client.owner.profile.zone
    today = timezone.localtime(NOW, zone).date()
    starts = [
        datetime.combine(p.start_on, time(), tzinfo=zone) if p.start_on else p.created_at
        for p in Project.objects.filter(client=client, status=Project.Status.ACTIVE)
    ]
    horizon = NOW - timedelta(days=formula.INTERACTION_HORIZON_DAYS)
    feeling = Feeling.objects.filter(client=client).order_by("-felt_on", "-pk").first()
    facts = formula.ClientFacts(
        id=client.pk,
        created_at=client.created_at,
        cadence_days=client.cadence_days,
        active_since=min(starts) if starts else None,
        last_status_update_at=client.last_status_update_at,
        promises=tuple(
            formula.PromiseFact(
                p.pk,
                p.made_on,
                p.due_on,
                p.state,
                p.kept_on,
                p.broken_on,
                timezone.localtime(p.clarified_at, zone).date() if p.clarified_at else None,
                p.promisor,
                p.dropped_on,
                p.invoice_id,
            )
            for p in Promise.objects.filter(client=client)
        ),
        invoices=tuple(
            formula.InvoiceFact(
                i.pk,
                i.amount,
                i.issued_on,
                i.due_on,
                i.paid_on,
                i.renegotiated_due_on,
                i.currency,
                common_amount=_in_euros(i),
            )
            for i in Invoice.objects.filter(client=client)
        ),
        conflicts=tuple(
            formula.ConflictFact(c.pk, c.kind, c.severity, c.observed_on, c.resolved_on)
            for c in ConflictSignal.objects.filter(client=client)
        ),
        interactions=tuple(
            formula.InteractionFact(i.pk, i.happened_at, i.kind, i.direction, i.answers_id)
            for i in Interaction.objects.filter(client=client, happened_at__gte=horizon, happened_at__lte=NOW)
        ),
        zone=zone,
        paused=client.status == Client.Status.PAUSED,
        away=client.away_spans(),
        feeling=(feeling.rating, feeling.felt_on, feeling.note) if feeling else None,
    )
    health = formula.compute(facts, NOW, today, thresholds())
    # Stored as JSON: compare what comes back from the database; the unrounded figures are compared as well.
    return json.loads(
        json.dumps(
            {
                "exact": [health.exact, health.recent_evidence],
                "score": health.score,
                "band": health.band,
                "components": health.components,
                "reasons": health.reasons,
                "evidence_count": health.evidence_count,
                "my_score": health.sides["mine"]["score"],
                "client_score": health.sides["client"]["score"],
            }
        )
    )


def _stored(client: Client) -> dict[str, Any]:
    return (
        ClientHealth.objects.filter(client=client)
        .values(
            "owner_id",
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
        )
        .get()
    )


def test_bulk_and_one_client_recomputes_store_the_same_health_as_the_plain_orm_path(
    alice: Any, bob: Any, monkeypatch: Any
) -> None:
    exact: dict[int, list[float]] = {}
    compute = formula.compute

    def recording(facts: formula.ClientFacts, *args: Any) -> formula.TrustHealth:
        health = compute(facts, *args)
        exact[facts.id] = [health.exact, health.recent_evidence]
        return health

    monkeypatch.setattr(formula, "compute", recording)
    bob.profile.time_zone = "America/Montreal"
    bob.profile.save()
    clients = [
        make_client(alice, cadence_days=5),
        make_client(bob, cadence_days=14),
        make_client(alice),
        make_client(alice, status=Client.Status.PAUSED),
    ]
    # Bob's client was on holiday twice: a past one and one ended four days ago.
    Absence.objects.create(
        client=clients[1], start_on=TODAY - timedelta(days=60), end_on=TODAY - timedelta(days=45)
    )
    Absence.objects.create(
        client=clients[1], start_on=TODAY - timedelta(days=20), end_on=TODAY - timedelta(days=4)
    )
    for client in (*clients[:2], clients[3]):
        _varied_history(client)
    # The history above went through the journal's door: start again from the bulk path alone.
    ClientHealth.objects.all().delete()

    assert recompute_book(now=NOW, batch_size=2) == 4
    bulk = {c.pk: {**_stored(c), "exact": exact[c.pk]} for c in clients}
    monkeypatch.setattr(formula, "compute", compute)
    for client in clients:
        client.refresh_from_db()
        stored = bulk[client.pk]
        plain = _plain_health(client)
        assert {key: stored[key] for key in plain} == plain
        assert stored["owner_id"] == client.owner_id
        assert stored["computed_at"] == NOW

    for client in clients:
        returned = recompute_client(client.pk, NOW)
        assert {**_stored(client), "exact": bulk[client.pk]["exact"]} == bulk[client.pk]
        assert (returned.score, returned.band, returned.reasons) == (
            bulk[client.pk]["score"],
            bulk[client.pk]["band"],
            json.loads(json.dumps(bulk[client.pk]["reasons"])),
        )

    overdue = next(r for r in bulk[clients[0].pk]["reasons"] if r["code"] == "invoice_overdue")
    assert overdue["params"]["amounts"] == {"EUR": "1234.56", "USD": "800.00"}
    codes = [r["code"] for r in bulk[clients[0].pk]["reasons"]]
    assert {"promise_to_settle", "feeling_doubt", "quick_replies"} <= set(codes)
    assert "status_update_overdue" not in [r["code"] for r in bulk[clients[3].pk]["reasons"]]
    assert bulk[clients[0].pk]["my_score"] is not None and bulk[clients[0].pk]["client_score"] is not None
    assert bulk[clients[0].pk]["score_week_ago"] == 61
    assert bulk[clients[2].pk]["band"] == "insufficient"


def _bare_book(owner: Any, size: int) -> None:
    clients = Client.objects.bulk_create([Client(owner=owner, name=f"Client {i}") for i in range(size)])
    Interaction.objects.bulk_create(
        [Interaction(client=c, kind="status_update", happened_at=NOW - timedelta(days=3)) for c in clients]
    )


def _queries_to_recompute(owner: Any, size: int) -> int:
    _bare_book(owner, size - Client.objects.filter(owner=owner).count())
    with CaptureQueriesContext(connection) as queries:
        assert recompute_book(owner=owner, now=NOW, batch_size=2) == size
    return len(queries)


def test_bulk_recompute_costs_the_same_queries_per_batch(alice: Any) -> None:
    # Per batch of two clients: the clients, then projects with absences, promises, invoices, conflicts,
    # interactions, snapshots and one upsert inside a savepoint (two), and the book's dashboard version: eleven,
    # whatever the batch holds. After the last full batch, one read finds no more clients.
    two_batches = _queries_to_recompute(alice, 4)
    six_batches = _queries_to_recompute(alice, 12)
    per_batch = (two_batches - 1) / 2
    assert six_batches == 6 * per_batch + 1
    assert per_batch <= 11


def test_logging_an_interaction_recomputes_only_that_clients_health(
    alice: Any, django_assert_max_num_queries: Any
) -> None:
    busy, quiet = make_client(alice), make_client(alice)
    make_promise(quiet, made_on=TODAY - timedelta(days=20), due_on=TODAY - timedelta(days=10))
    before = ClientHealth.objects.get(client=quiet).computed_at
    # save, its history row, then the door: the client with its contact clocks, its whole history (one read,
    # issue 23), upsert, book version, the clocks written with the sweep's column (one UPDATE)
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False), django_assert_max_num_queries(7):
        make_interaction(busy, direction=Interaction.Direction.FROM_CLIENT)
    assert ClientHealth.objects.get(client=busy).computed_at == NOW + timedelta(minutes=5)
    assert ClientHealth.objects.get(client=quiet).computed_at == before

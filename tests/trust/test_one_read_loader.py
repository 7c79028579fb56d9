"""The journal's door reads a client's whole history in one query and hands the sweep's columns what it read
(issue 23): every score, reason, component, sparkline and health move, every contact clock and every "next step at"
column stays exactly what the per-table loader and the sweep's own reads give.

The reference is the loader as it was (`tests/trust/health_before_door.py`, one read per table) and the sweep's
standalone refresh (`crm.payments.due.refresh_clients` / `refresh_invoices`, which read for themselves), over a
varied book: the demo book (promises in every state, late, renegotiated and foreign-currency invoices, absences,
paused projects, conflicts, feelings, snapshots) and, on top, what it lacks (recap-confirmed promises, payment
reminders, exchange rates, client-raised and withdrawn conflicts, scope changes in every state, check-ins).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db.models import Q
from django.utils import timezone

from clients.models import Absence, Client, Project
from conflicts.models import ConflictSignal
from crm.demo.book import seed_demo_book
from crm.demo.derived import compute_trust_health
from crm.models import (
    CheckIn,
    ClientHealth,
    HealthChange,
    Interaction,
    Invoice,
    PaymentReminder,
    Promise,
    Rate,
    Recap,
    RecapLine,
    ScopeChange,
)
from crm.payments import due
from crm.trust import health
from crm.trust.door import journal_changed
from tests.trust import health_before_door as before

NOW = "2026-03-10 09:00 +01:00"


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def book(alice: Any) -> list[int]:
    """Alice's demo book with what it lacks added to its first clients; return the clients' ids."""
    now = timezone.now()
    today = timezone.localdate()
    clients = seed_demo_book(alice, now)
    compute_trust_health(alice, now, history_weeks=12)
    first, second, third, fourth = clients[:4]

    # Promises confirmed, corrected and left unanswered in a recap; one kept after its confirmation.
    call = Interaction.objects.create(
        client=first, kind=Interaction.Kind.CALL, happened_at=now - timedelta(days=20), summary="Point"
    )
    recap = Recap.objects.create(client=first, interaction=call, answered_at=now - timedelta(days=19))
    for position, (answer, state) in enumerate(
        [("confirmed", "kept"), ("confirmed", "open"), ("corrected", "open"), ("", "open")], start=1
    ):
        promise = Promise.objects.create(
            client=first,
            description=f"Ligne {position}",
            made_on=today - timedelta(days=20),
            due_on=today - timedelta(days=10 - position),
            state=state,
            kept_on=today - timedelta(days=12) if state == "kept" else None,
        )
        RecapLine.objects.create(
            recap=recap,
            client=first,
            promise=promise,
            position=position,
            answer=answer,
            answered_at=now - timedelta(days=19, hours=position) if answer else None,
            correction="Plutôt vendredi" if answer == "corrected" else "",
        )

    # Invoices late, renegotiated, in another currency (with and without a rate), with reminders sent and pending.
    for currency, per_euro in (("USD", "1.0850"), ("GBP", "0.8512")):
        for days_back in (5, 40, 90):
            Rate.objects.create(currency=currency, day=today - timedelta(days=days_back), per_euro=per_euro)
    late = Invoice.objects.create(
        owner=alice,
        client=second,
        number="X-1",
        amount=Decimal("1234.50"),
        issued_on=today - timedelta(days=70),
        due_on=today - timedelta(days=40),
        currency="USD",
    )
    Invoice.objects.create(
        owner=alice,
        client=second,
        number="X-2",
        amount=Decimal("99.99"),
        issued_on=today - timedelta(days=120),
        due_on=today - timedelta(days=60),
        renegotiated_due_on=today + timedelta(days=3),
        currency="CHF",
    )
    Invoice.objects.create(
        owner=alice,
        client=second,
        number="X-3",
        amount=Decimal("800"),
        issued_on=today - timedelta(days=100),
        due_on=today - timedelta(days=70),
        paid_on=today - timedelta(days=10),
        currency="GBP",
    )
    # The skipped one counted from an earlier due date (before a renegotiation).
    for step, state, days_back, basis in (
        (1, "sent", 30, late.due_on),
        (2, "sent", 20, late.due_on),
        (2, "skipped", 18, late.due_on - timedelta(days=10)),
        (3, "proposed", 0, late.due_on),
    ):
        PaymentReminder.objects.create(
            owner=alice,
            invoice=late,
            step=step,
            due_basis=basis,
            due_on=today - timedelta(days=days_back),
            state=state,
            decided_at=now - timedelta(days=days_back) if state != "proposed" else None,
            sent_at=now - timedelta(days=days_back, hours=step) if state == "sent" else None,
        )

    # Conflicts raised by the client (one withdrawn), resolved and open; scope changes in every state.
    ConflictSignal.objects.create(
        client=third, kind="payment", severity=2, observed_on=today - timedelta(days=8), raised_by="client"
    )
    ConflictSignal.objects.create(
        client=third,
        kind="ideas",
        severity=3,
        observed_on=today - timedelta(days=15),
        raised_by="client",
        withdrawn_at=now - timedelta(days=14),
    )
    ConflictSignal.objects.create(
        client=third,
        kind="posture",
        severity=1,
        observed_on=today - timedelta(days=30),
        resolved_on=today - timedelta(days=25),
        state="resolved",
    )
    project = Project.objects.create(
        client=third, title="Refonte", status=Project.Status.ACTIVE, start_on=today - timedelta(days=50)
    )
    for asked_by, freelancer, client_side, price in (
        ("client", "pending", "accepted", None),
        ("client", "accepted", "accepted", None),
        ("freelancer", "accepted", "declined", None),
        ("client", "accepted", "accepted", Decimal("300")),
    ):
        ScopeChange.objects.create(
            client=third,
            project=project,
            asked_on=today - timedelta(days=12),
            asked_by=asked_by,
            description="Une page de plus",
            freelancer_decision=freelancer,
            freelancer_decided_at=None if freelancer == "pending" else now - timedelta(days=11),
            client_decision=client_side,
            client_decided_at=now - timedelta(days=12),
            price_change=price,
        )
    # Check-ins: answered, withdrawn; absences of the client and pauses of its projects.
    for level, days_back, withdrawn in (("good", 3, False), ("poor", 9, True), ("mixed", 40, False)):
        CheckIn.objects.create(
            client=fourth,
            level=level,
            answered_at=now - timedelta(days=days_back),
            withdrawn_at=now - timedelta(days=days_back - 1) if withdrawn else None,
        )
    paused = Project.objects.create(client=fourth, title="Site", status=Project.Status.ACTIVE)
    Project.objects.create(client=fourth, title="Logo", status=Project.Status.DELIVERED)
    Absence.objects.create(
        client=fourth, start_on=today - timedelta(days=30), end_on=today - timedelta(days=20)
    )
    Absence.objects.create(
        client=fourth,
        project=paused,
        kind="paused",
        start_on=today - timedelta(days=5),
        end_on=today + timedelta(days=5),
    )
    return [client.pk for client in clients]


def _rows(ids: list[int], now: Any) -> list[tuple[Any, ...]]:
    return list(health._client_rows(Client.objects.filter(pk__in=ids).order_by("pk"), now))


def test_one_client_is_scored_as_the_per_table_loader_scores_it(book: list[int]) -> None:
    now = timezone.now()
    for client_id in book:
        rows = _rows([client_id], now)
        assert health._compute_batch([client_id], rows, now) == before._compute_batch([client_id], rows, now)


def test_a_book_batch_is_scored_as_the_per_table_loader_scores_it(book: list[int]) -> None:
    now = timezone.now()
    rows = _rows(book, now)
    ids = Client.objects.filter(pk__in=book).order_by().values("pk")
    assert health._compute_batch(ids, rows, now) == before._compute_batch(ids, rows, now)


def _sweep_columns(ids: list[int]) -> tuple[dict[int, Any], dict[int, Any]]:
    clients = dict(Client.objects.filter(pk__in=ids).values_list("pk", "status_update_listed_at"))
    invoices = dict(Invoice.objects.filter(client_id__in=ids).values_list("pk", "next_reminder_at"))
    return clients, invoices


def _stale(ids: list[int]) -> None:
    """Put wrong values in the door's derived columns, so it must write every one of them again."""
    wrong = timezone.now() - timedelta(days=999)
    Client.objects.filter(pk__in=ids).update(
        last_contact_at=wrong, last_status_update_at=None, status_update_listed_at=wrong
    )
    Invoice.objects.filter(client_id__in=ids).update(next_reminder_at=wrong)


@pytest.mark.parametrize("one_by_one", [True, False], ids=["one client at a time", "the whole book at once"])
def test_the_door_writes_what_the_old_reads_give(book: list[int], one_by_one: bool) -> None:
    now = timezone.now()
    _stale(book)
    # Some stored scores off, so health moves are written, folded, and deleted.
    ClientHealth.objects.filter(client_id__in=book[::2]).update(score=1, band="risk")
    for client_id in book if one_by_one else [None]:
        journal_changed([client_id] if one_by_one else book)

    # The clocks as the journal has them.
    clocks = health.latest_contact_times()
    expected_clocks = {
        pk: (contact, update)
        for pk, contact, update in Client.objects.filter(pk__in=book)
        .annotate(contact=clocks["last_contact_at"], update=clocks["last_status_update_at"])
        .values_list("pk", "contact", "update")
    }
    stored_clocks = {
        pk: (contact, update)
        for pk, contact, update in Client.objects.filter(pk__in=book).values_list(
            "pk", "last_contact_at", "last_status_update_at"
        )
    }
    assert stored_clocks == expected_clocks

    # The scores as the per-table loader gives them, from the clocks now stored.
    rows = _rows(book, now)
    expected = {row[0]: row for row in before._compute_batch(book, rows, now)}
    stored = {
        values[0]: tuple(values)
        for values in ClientHealth.objects.filter(client_id__in=book).values_list(*health._COLUMNS)
    }
    assert stored.keys() == expected.keys()
    for client_id, values in expected.items():
        assert stored[client_id] == values, client_id
    assert HealthChange.objects.filter(client_id__in=book[::2]).count() == len(book[::2])

    # The sweep's columns as its own standalone reads give them.
    written = _sweep_columns(book)
    _stale(book)
    Client.objects.filter(pk__in=book).update(**clocks)
    due.refresh_clients(Q(pk__in=book))
    due.refresh_invoices(Q(client_id__in=book))
    assert _sweep_columns(book) == written

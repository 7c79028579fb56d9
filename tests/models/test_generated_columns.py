"""Columns the database keeps itself (GeneratedField): right after any write, including a queryset update that
skips the model, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from clients.models import Client
from crm.models import ClientHealth, Invoice
from crm.models.health import Band
from crm.web.views import board
from tests.factories import make_client, make_invoice

CREATED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
UPDATE_SENT = datetime(2026, 3, 10, 16, 45, tzinfo=UTC)
TODAY = date(2026, 3, 20)


def _fresh(row: Any) -> Any:
    row.refresh_from_db()
    return row


# -- Client.status_update_due_at: (last status update, or creation) + cadence --------------------------------


@pytest.fixture
def created_client(alice: Any) -> Client:
    with time_machine.travel(CREATED, tick=False):
        return make_client(alice, cadence_days=14)


def test_status_update_is_due_a_cadence_after_the_client_was_created(created_client: Client) -> None:
    assert created_client.created_at == CREATED
    assert _fresh(created_client).status_update_due_at == CREATED + timedelta(days=14)


def test_status_update_due_moves_with_a_queryset_update_of_the_last_one(created_client: Client) -> None:
    Client.objects.filter(pk=created_client.pk).update(last_status_update_at=UPDATE_SENT)

    assert _fresh(created_client).status_update_due_at == UPDATE_SENT + timedelta(days=14)


def test_status_update_due_moves_with_the_cadence(created_client: Client) -> None:
    Client.objects.filter(pk=created_client.pk).update(last_status_update_at=UPDATE_SENT, cadence_days=7)
    assert _fresh(created_client).status_update_due_at == UPDATE_SENT + timedelta(days=7)

    created_client.cadence_days = 30
    created_client.save(update_fields=["cadence_days"])
    assert _fresh(created_client).status_update_due_at == UPDATE_SENT + timedelta(days=30)


def test_status_update_due_falls_back_to_the_creation_when_the_last_one_is_cleared(
    created_client: Client,
) -> None:
    Client.objects.filter(pk=created_client.pk).update(last_status_update_at=UPDATE_SENT)
    Client.objects.filter(pk=created_client.pk).update(last_status_update_at=None)

    assert _fresh(created_client).status_update_due_at == CREATED + timedelta(days=14)


def test_status_update_due_counts_whole_days_of_24_hours_across_a_clock_change(
    created_client: Client,
) -> None:
    # Paris moves to summer time on 29 March 2026: the due moment is the same instant a fortnight later in UTC,
    # whatever the time zone of the connection or of the request.
    before_the_change = datetime(2026, 3, 20, 22, 15, tzinfo=UTC)
    with timezone.override("Europe/Paris"):
        Client.objects.filter(pk=created_client.pk).update(last_status_update_at=before_the_change)
        due = _fresh(created_client).status_update_due_at

    assert due == datetime(2026, 4, 3, 22, 15, tzinfo=UTC)


def test_status_update_due_keeps_the_fraction_of_a_second(created_client: Client) -> None:
    sent = datetime(2026, 3, 10, 16, 45, 12, 750000, tzinfo=UTC)
    Client.objects.filter(pk=created_client.pk).update(last_status_update_at=sent)

    assert _fresh(created_client).status_update_due_at == sent + timedelta(days=14)


def test_dashboard_finds_a_status_update_come_due_after_a_queryset_update(
    alice: Any, created_client: Client
) -> None:
    now = datetime(2026, 3, 30, 12, tzinfo=UTC)
    # Sent 13 days ago with a 14-day cadence: due tomorrow, which the dashboard lists already.
    Client.objects.filter(pk=created_client.pk).update(last_status_update_at=now - timedelta(days=13))
    assert list(board.status_updates_due(alice, now.date())) == [created_client]

    # Sent yesterday: due in 13 days.
    Client.objects.filter(pk=created_client.pk).update(last_status_update_at=now - timedelta(days=1))
    assert list(board.status_updates_due(alice, now.date())) == []


# -- Invoice.current_due_on: the renegotiated due date, or the first one -------------------------------------


def test_current_due_date_is_the_renegotiated_one_when_there_is_one(alice: Any) -> None:
    invoice = make_invoice(make_client(alice), issued_on=date(2026, 3, 1), due_on=date(2026, 3, 31))
    assert _fresh(invoice).current_due_on == date(2026, 3, 31)

    Invoice.objects.filter(pk=invoice.pk).update(renegotiated_due_on=date(2026, 4, 30))
    assert _fresh(invoice).current_due_on == date(2026, 4, 30)

    invoice.renegotiated_due_on = None
    invoice.save()
    assert _fresh(invoice).current_due_on == date(2026, 3, 31)


def test_overdue_invoices_are_judged_against_the_current_due_date(alice: Any) -> None:
    client = make_client(alice)
    issued = TODAY - timedelta(days=60)

    def invoice(**fields: Any) -> Invoice:
        return make_invoice(client, issued_on=issued, **fields)

    late = invoice(due_on=TODAY - timedelta(days=1))
    renegotiated_into_the_future = invoice(
        due_on=TODAY - timedelta(days=10), renegotiated_due_on=TODAY + timedelta(days=10)
    )
    renegotiated_into_the_past = invoice(
        due_on=TODAY + timedelta(days=10), renegotiated_due_on=TODAY - timedelta(days=2)
    )
    due_today = invoice(due_on=TODAY)
    renegotiated_to_today = invoice(due_on=TODAY - timedelta(days=5), renegotiated_due_on=TODAY)
    invoice(due_on=TODAY - timedelta(days=5), paid_on=TODAY - timedelta(days=1))  # paid: never overdue

    overdue = set(Invoice.objects.overdue(TODAY))

    assert overdue == {late, renegotiated_into_the_past}
    assert not overdue & {renegotiated_into_the_future, due_today, renegotiated_to_today}
    # Renegotiated later through a queryset update: no longer overdue.
    Invoice.objects.filter(pk=late.pk).update(renegotiated_due_on=TODAY + timedelta(days=3))
    assert set(Invoice.objects.overdue(TODAY)) == {renegotiated_into_the_past}


# -- ClientHealth.rank: worst first ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "rank"),
    [(Band.AT_RISK, 0), (Band.WATCH, 1), (Band.HEALTHY, 2), (Band.INSUFFICIENT, 3)],
)
def test_trust_health_rank_follows_the_band(alice: Any, band: str, rank: int) -> None:
    health = ClientHealth.objects.get(client=make_client(alice))  # written when the client is created
    ClientHealth.objects.filter(pk=health.pk).update(band=band)

    assert _fresh(health).rank == rank


def test_trust_health_rank_follows_a_band_saved_on_the_row(alice: Any) -> None:
    health = ClientHealth.objects.get(client=make_client(alice))
    health.band, health.score = Band.WATCH, 55
    health.save()

    assert _fresh(health).rank == 1


def _ranked(alice: Any, bob: Any, book: list[tuple[str, str, int]]) -> list[str]:
    for name, band, score in book:
        ClientHealth.objects.filter(client=make_client(alice, name=name)).update(band=band, score=score)
    make_client(bob, name="Bob's own")
    return [client.name for client in board.ranked_clients(alice)]


def test_ranked_clients_come_worst_band_first_then_lowest_score_then_name(alice: Any, bob: Any) -> None:
    book = [
        ("Healthy 90", Band.HEALTHY, 90),
        ("New", Band.INSUFFICIENT, 50),
        ("Watch 60", Band.WATCH, 60),
        ("At risk 35 Zed", Band.AT_RISK, 35),
        ("Healthy 75", Band.HEALTHY, 75),
        ("At risk 35 Ada", Band.AT_RISK, 35),
        ("Watch 45", Band.WATCH, 45),
        ("At risk 10", Band.AT_RISK, 10),
    ]

    assert _ranked(alice, bob, book) == [
        "At risk 10",
        "At risk 35 Ada",
        "At risk 35 Zed",
        "Watch 45",
        "Watch 60",
        "Healthy 75",
        "Healthy 90",
        "New",
    ]


def test_ranked_clients_put_a_band_before_a_lower_score_of_a_better_band(alice: Any, bob: Any) -> None:
    # The band decides first: a watched client with 70 comes before a healthy one with 65, and a client without
    # enough history (score 50) after them all.
    book = [
        ("New", Band.INSUFFICIENT, 50),
        ("Healthy", Band.HEALTHY, 65),
        ("Watch", Band.WATCH, 70),
        ("At risk", Band.AT_RISK, 80),
    ]

    assert _ranked(alice, bob, book) == ["At risk", "Watch", "Healthy", "New"]

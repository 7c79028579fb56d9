"""The stored trust health: recompute one client or a whole book, signals, snapshots and the nightly task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, HealthSnapshot, Interaction, Invoice, JobRun, Promise
from crm.trust.door import journal_changed
from crm.trust.health import recompute_book, recompute_client, sparkline_points, write_snapshots
from crm.trust.tasks import snapshot_all_trust_health
from tests.factories import (
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _days(n: int) -> Any:
    return TODAY - timedelta(days=n)


def test_recompute_client_stores_score_band_owner_and_reasons(alice: Any) -> None:
    client = make_client(alice)
    make_promise(client, made_on=_days(30), due_on=_days(20), state="broken", broken_on=_days(18))
    health = recompute_client(client.pk)
    stored = ClientHealth.objects.get(client=client)
    assert stored.owner == alice
    assert stored.score == health.score < 50
    assert stored.band == "at_risk"
    assert stored.reasons[0]["code"] == "promise_broken_silently"
    assert stored.reasons[0]["events"] == [{"type": "promise", "id": client.promises.get().pk}]
    assert stored.components["promises"]["score"] is not None
    assert stored.computed_at == NOW


def test_recompute_client_of_a_deleted_client_returns_none(alice: Any) -> None:
    assert recompute_client(987654) is None


def test_keeping_a_promise_raises_the_score_through_the_door(alice: Any) -> None:
    client = make_client(alice)
    promise = make_promise(client, made_on=_days(20), due_on=_days(1))
    before = ClientHealth.objects.get(client=client).score
    promise.keep(TODAY)
    journal_changed([client.pk])
    after = ClientHealth.objects.get(client=client)
    assert after.score > before
    assert "promise_kept_on_time" in [r["code"] for r in after.reasons]


def test_an_overdue_promise_lowers_the_score_and_explaining_it_softens_the_blow(alice: Any) -> None:
    client = make_client(alice)
    promise = make_promise(client, made_on=_days(20), due_on=_days(10))
    silent = ClientHealth.objects.get(client=client).score
    promise.explain("L'hébergeur est en panne.", at=NOW - timedelta(days=12))
    journal_changed([client.pk])
    assert ClientHealth.objects.get(client=client).score > silent
    assert silent < 50


def test_explained_in_time_is_judged_on_the_freelancers_local_day(alice: Any) -> None:
    # Europe/Paris is UTC+1 in March: 23:30 UTC on the due date is already the next day in Paris.
    client = make_client(alice)
    due = _days(10)
    late = datetime(due.year, due.month, due.day, 23, 30, tzinfo=UTC)
    make_promise(
        client,
        made_on=_days(20),
        due_on=due,
        state="broken",
        broken_on=due,
        clarification="…",
        clarified_at=late,
    )
    # Explained, but after the due date (issue 22: its own state, no longer "broken without a word").
    assert ClientHealth.objects.get(client=client).reasons[0]["code"] == "promise_broken_explained_late"
    Promise.objects.update(clarified_at=late - timedelta(hours=1))
    assert recompute_client(client.pk).reasons[0]["code"] == "promise_broken_explained"


def test_logging_a_status_update_moves_last_contact_and_last_status_update(alice: Any) -> None:
    client = make_client(alice)
    make_project(client)
    sent = NOW - timedelta(hours=2)
    make_interaction(client, kind=Interaction.Kind.STATUS_UPDATE, happened_at=sent)
    make_interaction(
        client, direction=Interaction.Direction.FROM_CLIENT, happened_at=NOW - timedelta(hours=1)
    )
    client.refresh_from_db()
    assert client.last_status_update_at == sent
    assert client.last_contact_at == NOW - timedelta(hours=1)


def test_deleting_the_last_status_update_moves_it_back_and_the_lapse_shows(alice: Any) -> None:
    client = make_client(alice, created_at=NOW - timedelta(days=60))
    make_project(client, start_on=_days(60))
    old = make_interaction(client, kind=Interaction.Kind.STATUS_UPDATE, happened_at=NOW - timedelta(days=30))
    recent = make_interaction(
        client, kind=Interaction.Kind.STATUS_UPDATE, happened_at=NOW - timedelta(days=1)
    )
    assert "status_update_overdue" not in [r["code"] for r in ClientHealth.objects.get(client=client).reasons]
    recent.delete()
    journal_changed([client.pk])
    client.refresh_from_db()
    assert client.last_status_update_at == old.happened_at
    assert ClientHealth.objects.get(client=client).reasons[0]["code"] == "status_update_overdue"


def test_conflict_and_invoice_changes_recompute_the_score(alice: Any) -> None:
    client = make_client(alice)
    make_invoice(client, issued_on=_days(30), due_on=_days(2))  # within the grace period: not late yet
    unpaid = ClientHealth.objects.get(client=client).score
    Invoice.objects.get().mark_paid(TODAY)
    journal_changed([client.pk])
    paid = ClientHealth.objects.get(client=client).score
    signal = make_conflict(client, kind=ConflictSignal.Kind.POSTURE, severity=3, observed_on=_days(2))
    angry = ClientHealth.objects.get(client=client).score
    signal.resolve(TODAY, "We talked it through.")
    journal_changed([client.pk])
    calmer = ClientHealth.objects.get(client=client).score
    assert unpaid < paid
    assert angry < paid
    assert angry < calmer


def test_deleting_a_client_takes_its_history_and_health_with_it(alice: Any) -> None:
    client = make_client(alice)
    make_promise(client)
    make_interaction(client)
    make_conflict(client)
    make_invoice(client)
    assert ClientHealth.objects.filter(client_id=client.pk).exists()
    client.delete()
    assert not ClientHealth.objects.filter(client_id=client.pk).exists()


def test_recompute_client_takes_a_handful_of_queries(alice: Any, django_assert_max_num_queries: Any) -> None:
    client = make_client(alice)
    make_project(client)
    make_promise(client)
    make_invoice(client)
    make_interaction(client)
    # client, its whole history (one read: projects, promises, invoices, conflicts, interactions, snapshots...),
    # upsert, book version
    with django_assert_max_num_queries(4):
        recompute_client(client.pk)


def _book(owner: Any, size: int) -> list[Client]:
    """`size` clients with a few events each, written in bulk (signals off, as the seed does)."""
    clients = Client.objects.bulk_create(
        [Client(owner=owner, name=f"Client {i}", created_at=NOW - timedelta(days=90)) for i in range(size)]
    )
    Promise.objects.bulk_create(
        [Promise(client=c, description="Livrer", made_on=_days(20), due_on=_days(10)) for c in clients]
    )
    Interaction.objects.bulk_create(
        [Interaction(client=c, kind="status_update", happened_at=NOW - timedelta(days=3)) for c in clients]
    )
    Invoice.objects.bulk_create(
        [
            Invoice(
                owner=owner, client=c, number=f"F-{c.pk}", amount=100, issued_on=_days(40), due_on=_days(10)
            )
            for c in clients
        ]
    )
    ConflictSignal.objects.bulk_create(
        [ConflictSignal(client=c, kind="ideas", observed_on=_days(5)) for c in clients]
    )
    return clients


@pytest.mark.parametrize("size", [5, 60])
def test_bulk_recompute_runs_the_same_queries_whatever_the_book_size(
    alice: Any, size: int, django_assert_max_num_queries: Any
) -> None:
    # The same queries per batch (no N+1 over clients): the clients, their history in one read but the
    # interactions, read by themselves (issue 23), 1 upsert + the book version, plus the savepoint of the batch.
    _book(alice, size)
    with django_assert_max_num_queries(7):
        assert recompute_book(owner=alice, now=NOW) == size
    assert ClientHealth.objects.filter(owner=alice).count() == size
    assert set(ClientHealth.objects.values_list("band", flat=True)) == {"at_risk"}


def test_bulk_recompute_works_in_batches_and_only_for_the_owner(alice: Any, bob: Any) -> None:
    _book(alice, 5)
    bobs = _book(bob, 2)
    assert recompute_book(owner=alice, now=NOW, batch_size=2) == 5
    assert ClientHealth.objects.filter(owner=alice).count() == 5
    assert not ClientHealth.objects.filter(client__in=bobs).exists()
    assert recompute_book(now=NOW) == 7


def test_snapshots_are_written_once_per_client_per_day(alice: Any) -> None:
    _book(alice, 3)
    recompute_book(owner=alice, now=NOW)
    assert write_snapshots(TODAY) == 3
    first = list(
        HealthSnapshot.objects.order_by("client_id").values_list("client_id", "day", "score", "band")
    )
    ClientHealth.objects.update(score=99, band="healthy")
    write_snapshots(TODAY)
    again = list(
        HealthSnapshot.objects.order_by("client_id").values_list("client_id", "day", "score", "band")
    )
    assert again == first
    assert HealthSnapshot.objects.count() == 3


def test_week_ago_score_and_sparkline_come_from_the_snapshots(alice: Any) -> None:
    client = make_client(alice)
    HealthSnapshot.objects.create(client=client, day=_days(14), score=80, band="healthy")
    HealthSnapshot.objects.create(client=client, day=_days(7), score=70, band="healthy")
    make_promise(client, made_on=_days(20), due_on=_days(10))
    health = ClientHealth.objects.get(client=client)
    assert health.score_week_ago == 70
    assert health.trend == health.score - 70
    points = health.sparkline_points.split()
    assert len(points) == 3
    assert points[-1].startswith("100,")
    assert points[0] == "81.8,6"  # 14 days ago of 77, score 80: y = 2 + 20 x 20%


def test_sparkline_is_empty_without_history() -> None:
    assert sparkline_points([(0, 50)]) == ""
    assert sparkline_points([(77, 100), (0, 0)]) == "0,2 100,22"


def test_nightly_task_recomputes_the_book_and_writes_todays_snapshots(
    alice: Any, bob: Any, eager_celery: None
) -> None:
    _book(alice, 2)
    _book(bob, 1)
    for _ in range(2):  # a re-run the same day changes nothing
        run = JobRun.objects.get(pk=snapshot_all_trust_health.delay().get())
        assert (run.processed, run.snapshots, run.failed, run.chunks_done) == (3, 3, 0, 1)
    assert HealthSnapshot.objects.filter(day=timezone.localdate()).count() == 3

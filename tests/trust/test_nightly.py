"""The nightly trust health: one bad client never stops everyone's recompute and snapshots (issue 12, finding 2).

The run is cut into chunks that every worker takes a share of; the last chunk writes the snapshots. These tests
run the tasks eagerly (inline); `tests/test_topology.py` runs them through real workers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.utils import timezone

from clients.models import Project
from crm.models import ClientHealth, HealthSnapshot, JobChunk, JobRun
from crm.trust import formula, nightly
from crm.trust.health import recompute_book
from crm.trust.tasks import snapshot_all_trust_health
from tests.factories import make_client, make_project, make_promise, store_unchecked
from tests.reminders.test_reminders_worker import broker_url  # noqa: F401 (the fixture: embedded and Redis)

NOW = datetime(2026, 11, 30, 1, 15, tzinfo=UTC)


def _book(owner: Any, size: int) -> list[Any]:
    # Created before NOW whatever the wall clock says: a night's snapshots only cover clients that existed.
    clients = [make_client(owner, created_at=NOW - timedelta(days=30)) for _ in range(size)]
    for client in clients:
        make_promise(client, made_on=dt.date(2026, 11, 1), due_on=dt.date(2026, 11, 10))
    return clients


def _start_in_year_one(client: Any) -> None:
    """What any signed-up user could store before dates were bounded: a project starting 0001-01-01.

    Written past the checks the database has had since (no validation, no signal), as such a row was."""
    project = make_project(client, start_on=dt.date(2026, 1, 5))
    store_unchecked(Project.objects.filter(pk=project.pk), start_on=dt.date(1, 1, 1))


@pytest.fixture
def poison(monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """Make the formula fail for the clients given, as a row the code cannot handle would.

    Since dates are bounded and their arithmetic clamped, no stored row is known to break the formula; the
    failure is injected where a future one would surface, to show that it stays that client's."""
    poisoned: set[int] = set()
    compute = formula.compute

    def failing_compute(facts: Any, *args: Any, **kwargs: Any) -> Any:
        if facts.id in poisoned:
            raise OverflowError("date value out of range")
        return compute(facts, *args, **kwargs)

    monkeypatch.setattr(formula, "compute", failing_compute)
    return lambda client: poisoned.add(client.pk)


def test_a_project_starting_in_year_one_no_longer_stops_the_nightly_run(
    alice: Any,
    bob: Any,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
    poison: Callable[[Any], None],
) -> None:
    clients = _book(alice, 3) + _book(bob, 2)
    # Before: a year-one project raised OverflowError in crm/trust/health.py `_local_midnight`, and nobody got
    # a snapshot that night. Now its dates are clamped to the window, and any client that still fails fails alone.
    _start_in_year_one(clients[0])
    bad = clients[1]
    poison(bad)
    ClientHealth.objects.filter(pk__in=[c.pk for c in clients]).update(computed_at=NOW - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        run_id = snapshot_all_trust_health.delay().get()
    run = JobRun.objects.get(pk=run_id)
    good = [c.pk for c in clients if c != bad]
    # Every other client recomputed and snapshotted; the bad one reported with its id and error.
    assert set(ClientHealth.objects.filter(computed_at=run.started_at).values_list("pk", flat=True)) == set(
        good
    )
    today = timezone.localdate(run.started_at)
    assert set(HealthSnapshot.objects.filter(day=today).values_list("client_id", flat=True)) == set(good)
    assert (run.processed, run.failed, run.snapshots) == (4, 1, 4)
    assert run.failed_ids == [bad.pk]
    assert run.failures[0]["error"].startswith("OverflowError")
    assert run.finished_at is not None


def test_the_bad_client_is_tried_again_on_the_next_run(
    alice: Any, poison: Callable[[Any], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = _book(alice, 2)
    poison(clients[0])
    assert nightly.run_inline(NOW).failed_ids == [clients[0].pk]
    monkeypatch.undo()  # repaired
    rerun = nightly.run_inline(NOW + timedelta(days=1))
    assert (rerun.processed, rerun.failed, rerun.snapshots) == (2, 0, 2)
    assert HealthSnapshot.objects.filter(client=clients[0]).count() == 1


def test_a_failed_batch_is_done_again_client_by_client(alice: Any, poison: Callable[[Any], None]) -> None:
    clients = _book(alice, 5)
    poison(clients[2])
    failures: dict[int, str] = {}
    # Batches of two: the bad client's batch is retried one by one, its neighbour still recomputed.
    assert recompute_book(now=NOW, batch_size=2, failures=failures) == 4
    assert list(failures) == [clients[2].pk]
    assert ClientHealth.objects.filter(computed_at=NOW).count() == 4


def test_chunks_cover_the_book_and_each_is_counted_once(alice: Any, bob: Any) -> None:
    clients = _book(alice, 4) + _book(bob, 3)
    run, chunk_ids = nightly.plan(NOW, chunk_size=3)
    chunks = list(JobChunk.objects.filter(run=run).values_list("first_pk", "last_pk"))
    ids = sorted(c.pk for c in clients)
    assert chunks == [(ids[0], ids[2]), (ids[3], ids[5]), (ids[6], ids[6])]
    assert [nightly.recompute_chunk(pk) for pk in chunk_ids] == [False, False, True]
    # A redelivered message for a chunk already done counts nothing and closes nothing again.
    assert nightly.recompute_chunk(chunk_ids[0]) is False
    run.refresh_from_db()
    assert (run.chunks, run.chunks_done, run.processed, run.snapshots) == (3, 3, 7, 7)
    assert not JobChunk.objects.exists()  # the countdown is over: the run keeps the counts


def test_an_empty_book_closes_its_run(db: None, eager_celery: None) -> None:
    run = JobRun.objects.get(pk=snapshot_all_trust_health.delay().get())
    assert (run.chunks, run.processed, run.snapshots) == (0, 0, 0)
    assert run.finished_at is not None


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_admin_lists_runs_with_their_failing_ids(
    admin_client: Any,
    alice: Any,
    language: str,
    django_assert_max_num_queries: Any,
    poison: Callable[[Any], None],
) -> None:
    clients = _book(alice, 2)
    poison(clients[1])
    run = nightly.run_inline(NOW)
    assert admin.site.is_registered(JobRun)
    admin_client.cookies["django_language"] = language
    with django_assert_max_num_queries(8):
        page = admin_client.get("/admin/crm/jobrun/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert str(clients[1].pk) in page.content.decode()
    detail = admin_client.get(f"/admin/crm/jobrun/{run.pk}/change/").content.decode()
    assert "OverflowError" in detail


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_chunks_go_through_a_real_worker_and_the_last_one_writes_the_snapshots(
    broker_url: str,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
    poison: Callable[[Any], None],
) -> None:
    from tests.factories import make_user
    from tests.reminders.test_reminders_worker import wait_for, worker_on

    owner = make_user("nightly")
    clients = _book(owner, 5)
    poison(clients[3])
    monkeypatch.setattr(nightly, "CHUNK_SIZE", 2)
    with worker_on(broker_url, monkeypatch):
        snapshot_all_trust_health.delay()
        wait_for(lambda: JobRun.objects.filter(processed__gt=0).exists(), "the run to close")
    run = JobRun.objects.get()
    assert (run.chunks, run.chunks_done, run.processed, run.failed, run.snapshots) == (3, 3, 4, 1, 4)
    assert run.failed_ids == [clients[3].pk]
    assert HealthSnapshot.objects.filter(day=run.day).count() == 4

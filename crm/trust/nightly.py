"""The nightly trust-health run, in chunks that every worker takes a share of.

1. `plan(now)` opens a `JobRun` and cuts the book into `JobChunk`s of at most `CHUNK_SIZE` client ids (a range
   of primary keys, read without holding the ids in memory). The Celery edge (`crm/trust/tasks.py`) hands
   every chunk to the broker at once, so each worker takes one, and adding workers shortens the night.
2. `recompute_chunk(chunk_id)` recomputes its clients (in batches of `health.DEFAULT_BATCH_SIZE`: one batch in
   memory at a time), keeps the ones that failed, and marks the chunk done with a conditional update: a chunk
   done twice (a redelivered message) counts once.
3. The chunk whose update finds every chunk done closes the run (`finish`): it writes today's snapshots for every
   client but the failed ones, records the counts and failures on the `JobRun` (shown in the admin), and
   deletes the chunk rows.

The database, not a Celery result backend, knows which chunks are done: a chord would need one, and a lost
chord counter cannot be seen or repaired. Idempotent: the recompute is a pure function of the stored history
at the run's moment, and a snapshot already written for the day is kept.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clients.models import Client
from crm.models import JobChunk, JobRun
from crm.models.jobs import merge_failures
from crm.trust import health

logger = logging.getLogger(__name__)

# Clients per chunk: about a second of work each, two recompute batches; small enough that many workers share
# the book, large enough that the per-task overhead stays small.
CHUNK_SIZE = 1000


def plan(now: datetime, chunk_size: int | None = None) -> tuple[JobRun, list[int]]:
    """Open the night's run and cut the book into chunks (of CHUNK_SIZE clients unless told); return the run
    and the chunks' ids."""
    chunk_size = chunk_size or CHUNK_SIZE
    run = JobRun.objects.create(job=JobRun.Job.TRUST_NIGHTLY, started_at=now, day=timezone.localdate(now))
    bounds: list[tuple[int, int]] = []
    first = last = None
    # One column of one index, streamed: the plan never holds the book's ids in memory.
    for position, pk in enumerate(Client.objects.order_by("pk").values_list("pk", flat=True).iterator(5000)):
        if position % chunk_size == 0:
            if first is not None:
                bounds.append((first, last))
            first = pk
        last = pk
    if first is not None:
        bounds.append((first, last))
    chunks = JobChunk.objects.bulk_create(
        [JobChunk(run=run, first_pk=first_pk, last_pk=last_pk) for first_pk, last_pk in bounds]
    )
    JobRun.objects.filter(pk=run.pk).update(chunks=len(chunks))
    run.chunks = len(chunks)
    return run, [chunk.pk for chunk in chunks]


def recompute_chunk(chunk_id: int) -> bool:
    """Recompute one chunk's clients and mark it done; return True if this call closed the run."""
    chunk = JobChunk.objects.select_related("run").filter(pk=chunk_id).first()
    if chunk is None or chunk.done_at is not None:
        return False  # gone, or already done by an earlier delivery of the same message
    run = chunk.run
    failures: dict[int, str] = {}
    processed = health.recompute_book(
        now=run.started_at, first_pk=chunk.first_pk, last_pk=chunk.last_pk, failures=failures
    )
    with transaction.atomic():
        marked = JobChunk.objects.filter(pk=chunk.pk, done_at=None).update(
            done_at=timezone.now(),
            processed=processed,
            failures=[{"id": key, "error": error} for key, error in failures.items()],
        )
        if not marked:
            return False
        JobRun.objects.filter(pk=run.pk).update(chunks_done=F("chunks_done") + 1)
    return close_if_done(run.pk)


def close_if_done(run_id: int) -> bool:
    """Write the snapshots and close the run if every chunk is done; True if this call did it."""
    # Only one caller wins the conditional update, however many chunks finish at the same moment.
    won = JobRun.objects.filter(pk=run_id, finished_at=None, chunks_done__gte=F("chunks")).update(
        finished_at=timezone.now()
    )
    if won:
        finish(JobRun.objects.get(pk=run_id))
    return bool(won)


def finish(run: JobRun) -> None:
    """Write the run's snapshots (not for the clients that failed) and record what the run did."""
    chunks = list(run.chunk_rows.values_list("processed", "failures"))
    failures: dict[Any, str] = {}
    for _processed, chunk_failures in chunks:
        failures.update({failure["id"]: failure["error"] for failure in chunk_failures})
    snapshot_failures: dict[int, str] = {}
    snapshots = health.write_snapshots(
        run.day, now=run.started_at, exclude=failures, failures=snapshot_failures
    )
    failures.update(snapshot_failures)
    JobRun.objects.filter(pk=run.pk).update(
        processed=sum(processed for processed, _ in chunks),
        failed=len(failures),
        failures=merge_failures([], failures),
        snapshots=snapshots,
        finished_at=timezone.now(),
    )
    # The chunks were only the run's countdown: its counts and failures now live on the run. A late
    # redelivered chunk message finds no row and does nothing.
    run.chunk_rows.all().delete()
    if failures:
        logger.error("Nightly trust health: %s client(s) failed: %s", len(failures), sorted(failures)[:20])


def run_inline(now: datetime | None = None, chunk_size: int | None = None) -> JobRun:
    """Do the whole night in this process, chunk after chunk (tests, and a book too small for workers)."""
    run, chunk_ids = plan(now or timezone.now(), chunk_size)
    for chunk_id in chunk_ids:
        recompute_chunk(chunk_id)
    if not chunk_ids:
        close_if_done(run.pk)
    run.refresh_from_db()
    return run

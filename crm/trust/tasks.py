"""The nightly trust-health task: recompute every client's score in chunks spread over every worker, then write
today's snapshots (`crm/trust/nightly.py` holds the rules; this module only talks to the broker)."""

from __future__ import annotations

from celery import group, shared_task
from django.utils import timezone

from crm.trust import nightly


@shared_task(name="crm.snapshot_all_trust_health")
def snapshot_all_trust_health() -> int:
    """Plan the night's chunks and hand them all to the workers at once; return the run's id.

    The last chunk to finish writes the snapshots (idempotent: a re-run the same day changes nothing).
    """
    run, chunk_ids = nightly.plan(timezone.now())
    if not chunk_ids:
        nightly.close_if_done(run.pk)
        return run.pk
    # The plan is committed (tasks run in autocommit), so every worker finds its chunk's row.
    group(recompute_trust_chunk.si(chunk_id) for chunk_id in chunk_ids).apply_async()
    return run.pk


@shared_task(
    name="crm.recompute_trust_chunk",
    ignore_result=True,
    acks_late=True,
    # A chunk is about a second of work; the global 60 s limits are for email sends, this allows a slow night.
    soft_time_limit=600,
    time_limit=660,
)
def recompute_trust_chunk(chunk_id: int) -> bool:
    """Recompute one chunk of clients; the last chunk of the run also writes the snapshots."""
    return nightly.recompute_chunk(chunk_id)

"""The nightly trust-health task: recompute every client's score, then write today's snapshot."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from crm.trust.health import recompute_book, write_snapshots


@shared_task(name="crm.snapshot_all_trust_health")
def snapshot_all_trust_health() -> dict[str, int]:
    """Recompute the whole book and write today's snapshots (idempotent: a re-run the same day changes nothing)."""
    now = timezone.now()
    recomputed = recompute_book(now=now)
    snapshots = write_snapshots(timezone.localdate(now), now=now)
    return {"recomputed": recomputed, "snapshots": snapshots}

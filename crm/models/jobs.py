"""What the batch jobs did: one `JobRun` per run (or per day, for the every-minute sweep), with the rows that
failed and why, so one bad row is reported and retried instead of stopping everyone's job.

The nightly trust recompute is split into `JobChunk`s of client ids that every worker takes a share of; the
chunk rows are how the run knows when its last chunk is done (no Celery result backend is needed).
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A run keeps at most this many failures (id and error): enough to act on, bounded whatever goes wrong.
MAX_FAILURES_KEPT = 200


class JobRun(models.Model):
    """One run of a batch job over many rows: how many it did, how many failed, which ones and why."""

    class Job(models.TextChoices):
        TRUST_NIGHTLY = "trust_nightly", _("nightly trust health and snapshots")
        SWEEP = "sweep", _("reminders sweep")
        SEND_DIGESTS = "send_digests", _("reminders sent by hand")

    job = models.CharField(_("job"), max_length=16, choices=Job)
    # The moment the run works as of (every chunk of a nightly run recomputes as of this time).
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The local day the run is about: the snapshots' day, or the sweep's day (one sweep row per day).
    day = models.DateField(_("day"), null=True, blank=True)
    processed = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # [{"id": 12, "error": "OverflowError: date value out of range"}], at most MAX_FAILURES_KEPT.
    failures = models.JSONField(_("failures"), default=list, blank=True)
    snapshots = models.PositiveIntegerField(_("snapshots"), default=0)
    chunks = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]
        indexes = [
            # The admin's list and the sweep's row of the day: WHERE job = ? ORDER BY started_at DESC.
            models.Index(fields=["job", "-started_at"], name="jobrun_job_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.started_at:%Y-%m-%d %H:%M}: {self.processed} done, {self.failed} failed"

    @property
    def failed_ids(self) -> list[Any]:
        return [failure["id"] for failure in self.failures]


class JobChunk(models.Model):
    """A range of client ids of one nightly run, recomputed by whichever worker takes it."""

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="chunk_rows")
    first_pk = models.BigIntegerField()
    last_pk = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    processed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("job chunk")
        verbose_name_plural = _("job chunks")
        ordering = ["run", "first_pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "first_pk"], name="jobchunk_one_per_range"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: clients {self.first_pk}–{self.last_pk}"


def merge_failures(kept: list[dict[str, Any]], new: dict[Any, str]) -> list[dict[str, Any]]:
    """Return `kept` with `new` ({id: error}) merged in, one entry per id (the latest error), bounded."""
    merged = {failure["id"]: failure["error"] for failure in kept}
    merged.update(new)
    return [{"id": key, "error": error} for key, error in list(merged.items())[:MAX_FAILURES_KEPT]]


def note_failures(job: str, day: Any, failures: dict[Any, str], now: Any, processed: int = 0) -> JobRun:
    """Add `failures` ({id: error}) to the day's row of an often-run job (the sweep, sends by hand); return it.

    One row per job and day, written only when something failed, so the every-minute sweep costs nothing
    when all is well and the admin still sees which freelancers failed, how often, and the latest error.
    """
    with transaction.atomic():
        run = JobRun.objects.select_for_update().filter(job=job, day=day).order_by("-started_at").first()
        if run is None:
            run = JobRun.objects.create(job=job, day=day, started_at=now)
        run.processed += processed
        run.failed += len(failures)
        run.failures = merge_failures(run.failures, failures)
        run.finished_at = now
        run.save(update_fields=["processed", "failed", "failures", "finished_at"])
    return run

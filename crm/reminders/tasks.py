"""Reminder tasks: thin wrappers over `crm.reminders.outbox`, which holds the rules (and is tested directly).

The outbox decides which rows are due and marks them queued; only this module talks to the broker.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from crm.core.heartbeat import SWEEP_HEARTBEAT_KEY
from crm.models import JobRun
from crm.models.jobs import note_failures
from crm.reminders import outbox, payment_follow_up

logger = logging.getLogger(__name__)


def enqueue(dispatch_ids: Iterable[int]) -> None:
    """Hand rows already marked queued to the broker, after the transaction commits."""
    for pk in dispatch_ids:
        try:
            send_dispatch.delay_on_commit(pk)
        except Exception:  # broker down: the row stays queued and the next sweeps re-enqueue it
            logger.exception("Could not enqueue dispatch %s; a later sweep will retry", pk)


def enqueue_due_dispatches(now: datetime) -> list[int]:
    """Queue the due pending rows, the retries whose time came and the stuck ones; return the ids handed over."""
    handed = outbox.queue_due_dispatches(now)
    enqueue(handed)
    return handed


def sweep(now: datetime | None = None) -> list[int]:
    """Create what is due and hand it to the workers; return the ids enqueued.

    A freelancer whose reminders cannot be looked at is logged, counted on the day's sweep `JobRun` (shown in
    the admin) and tried again by the next sweep; everyone else's reminders go out.
    """
    now = now or timezone.now()
    failures: dict[int, str] = {}
    outbox.create_due_dispatches(now, failures)
    try:
        payment_follow_up.plan(now)
    except Exception:  # logged and tried again next minute; the digests and nudges still go out
        logger.exception("Payment reminders not planned")
    if failures:
        note_failures(JobRun.Job.SWEEP, timezone.localdate(now), failures, now)
    handed = enqueue_due_dispatches(now)
    try:
        cache.set(SWEEP_HEARTBEAT_KEY, now.timestamp(), timeout=None)
    except Exception:  # the cache is down: the health endpoint says so; the sweep's work is done
        logger.exception("Could not record the sweep's heartbeat")
    return handed


@shared_task(name="crm.sweep_dispatches", ignore_result=True)
def sweep_dispatches() -> int:
    """Create the digests and nudges whose moment has come, and hand due, retried or stuck ones to the workers."""
    return len(sweep())


@shared_task(name="crm.send_dispatch", ignore_result=True, acks_late=True)
def send_dispatch(dispatch_id: int) -> str:
    """Send one digest or nudge, exactly once (the row is claimed in a transaction).

    No Celery retry: a transient failure leaves the row "retrying" with its next attempt's time, which the
    every-minute sweep honours for 48 hours (docs/reminders.md says why not a countdown).
    """
    return outbox.deliver(dispatch_id)


@shared_task(name="crm.purge_broker_messages", ignore_result=True)
def purge_broker_messages() -> int:
    """Delete delivered messages from the embedded SQLAlchemy broker (a no-op on Redis)."""
    return outbox.purge_acknowledged_broker_messages()


def retry_now(dispatch_ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """Send failed or waiting dispatches again now (the admin's action); return the ids handed over."""
    moved = outbox.retry_now(dispatch_ids, now or timezone.now())
    enqueue(moved)
    return moved

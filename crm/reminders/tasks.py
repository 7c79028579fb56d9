"""Reminder tasks: thin wrappers over `crm.reminders.outbox`, which holds the rules (and is tested directly).

The outbox decides which rows are due and marks them queued; only this module talks to the broker.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery import Task, shared_task
from django.utils import timezone

from crm.reminders import outbox

logger = logging.getLogger(__name__)


def enqueue_due_dispatches(now: datetime) -> list[int]:
    """Queue the due pending rows and re-queue the stuck ones; return the ids handed to the broker."""
    handed = outbox.queue_due_dispatches(now)
    for pk in handed:
        try:
            send_dispatch.delay_on_commit(pk)
        except Exception:  # broker down: the row stays queued and the next sweeps re-enqueue it
            logger.exception("Could not enqueue dispatch %s; a later sweep will retry", pk)
    return handed


def sweep(now: datetime | None = None) -> list[int]:
    """Create what is due and hand it to the workers; return the ids enqueued."""
    now = now or timezone.now()
    outbox.create_due_dispatches(now)
    return enqueue_due_dispatches(now)


@shared_task(name="crm.sweep_dispatches", ignore_result=True)
def sweep_dispatches() -> int:
    """Create the digests and nudges whose moment has come, and hand due or stuck ones to the workers."""
    return len(sweep())


@shared_task(
    name="crm.send_dispatch",
    bind=True,
    ignore_result=True,
    acks_late=True,
    # SMTP refusals and network errors: retry after 15 s, 30 s, 60 s... (capped), each drawn at random
    # below that bound (jitter) so a recovering mail server is not hit by every worker at once.
    autoretry_for=outbox.RETRYABLE_ERRORS,
    retry_backoff=15,
    retry_backoff_max=240,
    retry_jitter=True,
    max_retries=5,
)
def send_dispatch(self: Task, dispatch_id: int) -> str:
    """Send one digest or nudge, exactly once (the row is claimed in a transaction)."""
    final = self.request.retries >= (self.max_retries or 0)
    return outbox.deliver(dispatch_id, final_attempt=final)


@shared_task(name="crm.purge_broker_messages", ignore_result=True)
def purge_broker_messages() -> int:
    """Delete delivered messages from the embedded SQLAlchemy broker (a no-op on Redis)."""
    return outbox.purge_acknowledged_broker_messages()

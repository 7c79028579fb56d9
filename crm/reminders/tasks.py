"""Reminder tasks: thin wrappers over `crm.reminders.outbox`, which holds the rules (and is tested directly).

The outbox decides which rows are due and marks them queued; only this module talks to the broker.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.core.mail import get_connection
from django.utils import timezone

from crm.core.heartbeat import SWEEP_HEARTBEAT_KEY
from crm.models import Dispatch, JobRun
from crm.models.jobs import note_failures
from crm.reminders import check_ins, outbox, payment_follow_up

logger = logging.getLogger(__name__)

# Dispatches per broker message: 10,000 digests are 200 messages (docs/scaling.md).
CHUNK_SIZE = 50
CHUNK_BUDGET = 120.0


def enqueue(dispatch_ids: Iterable[int]) -> None:
    """Hand rows already marked queued to the broker, after the transaction commits, in chunks of CHUNK_SIZE
    (one message per chunk; a chunk of one is a plain `crm.send_dispatch`). Workers take chunks as they free
    up, so more workers send a Monday morning sooner."""
    ids = list(dispatch_ids)
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        try:
            if len(chunk) == 1:
                send_dispatch.delay_on_commit(chunk[0])
            else:
                send_dispatch_chunk.delay_on_commit(chunk)
        except Exception:  # broker down: the rows stay queued and the next sweeps re-enqueue them
            logger.exception("Could not enqueue dispatches %s; a later sweep will retry", chunk)


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
    try:
        check_ins.plan(now)
    except Exception:  # logged and tried again next minute, like the payment reminders
        logger.exception("Check-in invitations not planned")
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


# A chunk stops taking rows after CHUNK_BUDGET seconds and hands the rest on as a new chunk, so it ends well
# within its soft limit even when every send waits on a slow mail server (20 s timeout each).
@shared_task(
    name="crm.send_dispatch_chunk", ignore_result=True, acks_late=True, soft_time_limit=240, time_limit=270
)
def send_dispatch_chunk(dispatch_ids: list[int]) -> dict[str, int]:
    """Send a chunk of digests and nudges through one SMTP session, each exactly once (each row is claimed on
    its own: a redelivered chunk sends only what was not sent); return how many ended in each state."""
    outcomes: dict[str, int] = {}
    started = time.monotonic()
    connection = get_connection()
    _open(connection)
    try:
        for n, pk in enumerate(dispatch_ids):
            if time.monotonic() - started > CHUNK_BUDGET:
                enqueue(dispatch_ids[n:])
                outcomes["handed on"] = len(dispatch_ids) - n
                break
            state = outbox.deliver(pk, connection=connection)
            outcomes[state] = outcomes.get(state, 0) + 1
            if state in (Dispatch.State.RETRYING, Dispatch.State.FAILED):
                # The session may be broken: the next row gets a new one.
                with contextlib.suppress(Exception):
                    connection.close()
                _open(connection)
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return outcomes


def _open(connection: Any) -> None:
    """Open the chunk's mail session; a server that is down is left to each send, which records a retry."""
    with contextlib.suppress(Exception):
        connection.open()


@shared_task(name="crm.purge_broker_messages", ignore_result=True)
def purge_broker_messages() -> int:
    """Delete delivered messages from the embedded SQLAlchemy broker (a no-op on Redis)."""
    return outbox.purge_acknowledged_broker_messages()


def retry_now(dispatch_ids: Iterable[int], now: datetime | None = None) -> list[int]:
    """Send failed or waiting dispatches again now (the admin's action); return the ids handed over."""
    moved = outbox.retry_now(dispatch_ids, now or timezone.now())
    enqueue(moved)
    return moved

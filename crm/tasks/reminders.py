"""Reminder tasks: thin wrappers over crm.reminders, which holds the rules (and is tested directly)."""

from __future__ import annotations

from celery import Task, shared_task

from crm import reminders


@shared_task(name="crm.sweep_dispatches", ignore_result=True)
def sweep_dispatches() -> int:
    """Create the digests and nudges whose moment has come, and hand due or stuck ones to the workers."""
    return len(reminders.sweep())


@shared_task(
    name="crm.send_dispatch",
    bind=True,
    ignore_result=True,
    acks_late=True,
    # SMTP refusals and network errors: retry after 15 s, 30 s, 60 s... (capped), each drawn at random
    # below that bound (jitter) so a recovering mail server is not hit by every worker at once.
    autoretry_for=reminders.RETRYABLE_ERRORS,
    retry_backoff=15,
    retry_backoff_max=240,
    retry_jitter=True,
    max_retries=5,
)
def send_dispatch(self: Task, dispatch_id: int) -> str:
    """Send one digest or nudge, exactly once (the row is claimed in a transaction)."""
    final = self.request.retries >= (self.max_retries or 0)
    return reminders.deliver(dispatch_id, final_attempt=final)


@shared_task(name="crm.purge_broker_messages", ignore_result=True)
def purge_broker_messages() -> int:
    """Delete delivered messages from the embedded SQLAlchemy broker (a no-op on Redis)."""
    return reminders.purge_acknowledged_broker_messages()

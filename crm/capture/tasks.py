"""Mailbox sync tasks: thin wrappers over `crm.capture.sync`, which holds the rules (and is tested directly)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from crm.capture import sync


@shared_task(name="crm.sweep_mailboxes", ignore_result=True)
def sweep_mailboxes() -> int:
    """Hand every mailbox whose next sync has come to the workers; the mailbox's lock keeps it to one at a time."""
    due = sync.due_mailboxes(timezone.now())
    for pk in due:
        sync_mailbox.delay(pk)
    return len(due)


# A first sync of a large mailbox takes minutes; the lock (sync.LOCK_FOR) outlasts the hard limit.
@shared_task(name="crm.sync_mailbox", ignore_result=True, soft_time_limit=600, time_limit=660)
def sync_mailbox(mailbox_id: int) -> str:
    """Sync one mailbox (skipped when another worker is syncing it)."""
    return sync.sync_mailbox(mailbox_id)

"""The Celery edge of a large import: claim it, run it (crm/dataio/imports.py), return."""

from __future__ import annotations

from celery import shared_task

from crm.dataio.imports import run
from crm.models import BookImport


@shared_task(name="crm.run_import", acks_late=True)
def run_import(import_id: int) -> str:
    """Run a queued import once: the conditional update decides which worker (if several got it) runs it."""
    claimed = BookImport.objects.filter(pk=import_id, state=BookImport.State.QUEUED).update(
        state=BookImport.State.RUNNING
    )
    if not claimed:
        return "taken"
    return run(BookImport.objects.select_related("owner__profile").get(pk=import_id)).state

"""The nightly purge of the trash: the Celery edge of `crm.trash.snapshot.purge`."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from crm.trash.snapshot import purge


@shared_task(name="crm.purge_trash")
def purge_trash() -> dict[str, int]:
    """Delete for good what has been in the trash for more than 30 days, and the undos past their time."""
    return purge(timezone.now())

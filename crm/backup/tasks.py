"""The nightly backup: the Celery edge of `crm.backup.dumps.backup`."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm.backup.dumps import backup

log = logging.getLogger(__name__)


# A large pg_dump takes longer than the 90 s every other task may run. A message redelivered after a lost worker
# only makes one more file, which the rotation removes in its turn.
@shared_task(name="crm.backup_database", soft_time_limit=3300, time_limit=3600)
def backup_database() -> str:
    """Back the database up into BACKUP_DIR, keeping the BACKUP_KEEP newest files; return the file's path."""
    path = backup(connection, settings.BACKUP_DIR, settings.BACKUP_KEEP, timezone.now())
    log.info("Backup written: %s (%d bytes)", path, path.stat().st_size)
    return str(path)

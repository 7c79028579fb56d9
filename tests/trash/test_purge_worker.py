"""The trash purge through a real Celery worker on the embedded broker (as the reminders' worker tests do)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from crm.models import TrashItem
from crm.models.trash import TRASH_DAYS
from crm.trash.snapshot import to_trash
from crm.trash.tasks import purge_trash
from tests.factories import make_client, make_promise
from tests.reminders.test_reminders_worker import wait_for, worker_on

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_beat_task_purges_through_a_worker(
    alice: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(alice)
    old = to_trash(make_promise(client, description="Supprimée il y a longtemps"), alice)
    recent = to_trash(make_promise(client, description="Supprimée hier"), alice)
    TrashItem.objects.filter(pk=old.pk).update(
        deleted_at=timezone.now() - timedelta(days=TRASH_DAYS, hours=1)
    )
    TrashItem.objects.filter(pk=recent.pk).update(deleted_at=timezone.now() - timedelta(days=1))
    with worker_on(f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite3'}", monkeypatch):
        purge_trash.delay()  # no result backend: the rows say what it did
        wait_for(lambda: not TrashItem.objects.filter(pk=old.pk).exists(), "the purge")
    assert list(TrashItem.objects.values_list("pk", flat=True)) == [recent.pk]

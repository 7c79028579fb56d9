"""The Celery app. Settings come from Django's settings under the CELERY_ namespace."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("confiance")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each concern of the journal keeps its tasks beside its rules (crm/trust/tasks.py, crm/reminders/tasks.py,
# crm/trash/tasks.py).
app.autodiscover_tasks(
    ["crm.trust", "crm.reminders", "crm.trash", "crm.dataio", "crm.capture", "crm.backup", "crm.payments"]
)

"""The Celery app. Settings come from Django's settings under the CELERY_ namespace.

Tasks go to one queue per kind of work, so that a slow kind never waits in front of another: a hanging IMAP
server fills the `capture` workers, never the `mail` ones that send digests at 08:00 (docs/scaling.md).
Each worker is started for chosen queues (`-Q`, deploy/); a worker started without `-Q` consumes them all.
"""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# The kinds of work, each its own queue (the order is the one `make run`'s single worker is given).
QUEUES = ("mail", "capture", "trust", "imports", "default")

app = Celery("confiance")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue its own exchange and routing key: a message routed to `mail` reaches `mail` only.
app.conf.task_queues = [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES]
app.conf.task_default_queue = "default"
app.conf.task_routes = {
    # Digests, nudges and payment reminders, and the every-minute sweep that plans them: time-critical emails.
    "crm.sweep_dispatches": {"queue": "mail"},
    "crm.send_dispatch_chunk": {"queue": "mail"},
    "crm.send_dispatch": {"queue": "mail"},
    # Mailbox syncs wait on outside IMAP servers (up to 11 minutes each): never in front of anything else.
    "crm.sweep_mailboxes": {"queue": "capture"},
    "crm.sync_mailbox": {"queue": "capture"},
    # The nightly trust run: minutes of CPU in chunks.
    "crm.snapshot_all_trust_health": {"queue": "trust"},
    "crm.recompute_trust_chunk": {"queue": "trust"},
    # A freelancer's large import: many database writes at once.
    "crm.run_import": {"queue": "imports"},
    # An evidence pack: seconds of layout (WeasyPrint) for a long history, asked for by one freelancer.
    "crm.build_evidence_pack": {"queue": "imports"},
    # Everything else (the trash purge, the backup, the embedded broker's purge) goes to `default`.
}


@app.on_after_configure.connect
def _name_redbeat_settings(sender: Celery, **kwargs: object) -> None:
    """Hand RedBeat its settings (config/settings.py) under its own names: it reads them without the CELERY_
    namespace, and would otherwise fall back to the broker's URL and a 5-intervals lock."""
    for name in ("redbeat_redis_url", "redbeat_redis_options", "redbeat_lock_timeout"):
        value = sender.conf.get(name)
        if value is not None:
            sender.conf[name.upper()] = value


# Each concern of the journal keeps its tasks beside its rules (crm/trust/tasks.py, crm/reminders/tasks.py,
# crm/trash/tasks.py).
app.autodiscover_tasks(
    [
        "crm.trust",
        "crm.reminders",
        "crm.trash",
        "crm.dataio",
        "crm.capture",
        "crm.backup",
        "crm.payments",
        "crm.evidence",
    ]
)

"""Celery tasks of the relationship journal; autodiscovery imports this package.

Each concern keeps its tasks in its own module; importing them here registers them with the app.
"""

from __future__ import annotations

from crm.tasks.health import snapshot_all_trust_health
from crm.tasks.reminders import purge_broker_messages, send_dispatch, sweep_dispatches

__all__ = ["purge_broker_messages", "send_dispatch", "snapshot_all_trust_health", "sweep_dispatches"]

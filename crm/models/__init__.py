from __future__ import annotations

from crm.models.health import ClientHealth, HealthSnapshot
from crm.models.journal import Interaction, Invoice, Promise
from crm.models.reminders import Dispatch
from crm.models.trash import TrashItem, Undo

__all__ = [
    "ClientHealth",
    "Dispatch",
    "HealthSnapshot",
    "Interaction",
    "Invoice",
    "Promise",
    "TrashItem",
    "Undo",
]

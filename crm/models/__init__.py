from __future__ import annotations

from crm.models.health import ClientHealth, HealthSnapshot
from crm.models.journal import Feeling, Interaction, Invoice, Promise
from crm.models.reminders import Dispatch

__all__ = ["ClientHealth", "Dispatch", "Feeling", "HealthSnapshot", "Interaction", "Invoice", "Promise"]

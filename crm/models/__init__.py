from __future__ import annotations

from crm.models.capture import CapturedMessage, Mailbox, MailFolder, OutgoingStatusUpdate
from crm.models.health import ClientHealth, HealthChange, HealthSnapshot
from crm.models.jobs import JobChunk, JobRun
from crm.models.journal import Feeling, Interaction, Invoice, Promise
from crm.models.reminders import Dispatch
from crm.models.trash import TrashItem, Undo

__all__ = [
    "CapturedMessage",
    "Mailbox",
    "MailFolder",
    "OutgoingStatusUpdate",
    "ClientHealth",
    "Dispatch",
    "Feeling",
    "HealthChange",
    "HealthSnapshot",
    "Interaction",
    "Invoice",
    "JobChunk",
    "JobRun",
    "Promise",
    "TrashItem",
    "Undo",
]

from __future__ import annotations

from crm.models.capture import CapturedMessage, Mailbox, MailFolder, OutgoingStatusUpdate
from crm.models.dataio import BookImport
from crm.models.health import ClientHealth, HealthChange, HealthSnapshot
from crm.models.jobs import JobChunk, JobRun
from crm.models.journal import Feeling, Interaction, Invoice, Promise
from crm.models.payments import LatePaymentRate, PaymentReminder, Rate
from crm.models.portal import ClientPage
from crm.models.recaps import Recap, RecapLine
from crm.models.reminders import Dispatch
from crm.models.trash import TrashItem, Undo

__all__ = [
    "BookImport",
    "CapturedMessage",
    "Mailbox",
    "MailFolder",
    "OutgoingStatusUpdate",
    "ClientHealth",
    "ClientPage",
    "Dispatch",
    "Feeling",
    "HealthChange",
    "HealthSnapshot",
    "Interaction",
    "Invoice",
    "JobChunk",
    "JobRun",
    "LatePaymentRate",
    "PaymentReminder",
    "Promise",
    "Rate",
    "Recap",
    "RecapLine",
    "TrashItem",
    "Undo",
]

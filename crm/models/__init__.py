from __future__ import annotations

from crm.models.capture import CapturedMessage, Mailbox, MailFolder, OutgoingStatusUpdate
from crm.models.dataio import BookImport
from crm.models.evidence import EvidencePack
from crm.models.health import ClientHealth, HealthChange, HealthSnapshot
from crm.models.jobs import JobChunk, JobRun
from crm.models.journal import Feeling, Interaction, Invoice, Promise
from crm.models.payments import LatePaymentRate, PaymentReminder, Rate
from crm.models.portal import ClientPage
from crm.models.recaps import Recap, RecapLine
from crm.models.reminders import Dispatch
from crm.models.scope import ScopeChange
from crm.models.trash import TrashItem, Undo
from crm.models.voice import CheckIn

__all__ = [
    "BookImport",
    "CapturedMessage",
    "CheckIn",
    "Mailbox",
    "MailFolder",
    "OutgoingStatusUpdate",
    "ClientHealth",
    "ClientPage",
    "Dispatch",
    "EvidencePack",
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
    "ScopeChange",
    "Recap",
    "RecapLine",
    "TrashItem",
    "Undo",
]

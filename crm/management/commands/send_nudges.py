from __future__ import annotations

from crm.models import Dispatch
from crm.reminders.command import ReminderCommand


class Command(ReminderCommand):
    help = (
        "Send (or preview with --dry-run) the status-update nudges due now, or one freelancer's with --user."
    )
    kind = Dispatch.Kind.NUDGE

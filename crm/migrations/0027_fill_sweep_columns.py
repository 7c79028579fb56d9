"""Fill the sweep's "next step at" columns for the rows stored before them (crm/payments/due.py keeps them from
now on): each client's `status_update_listed_at` and each unpaid invoice's `next_reminder_at`, from the same
rules (`crm.core.rules.status_update_listed_at`, `crm.payments.schedule.preparation_day`), in batches."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import date
from typing import Any

from django.conf import settings
from django.db import migrations

from crm.core import rules
from crm.core.days import local_day, local_midnight
from crm.payments import schedule

BATCH = 2000


def fill(apps: Any, schema_editor: Any) -> None:
    Client = apps.get_model("clients", "Client")
    Invoice = apps.get_model("crm", "Invoice")
    PaymentReminder = apps.get_model("crm", "PaymentReminder")
    zones: dict[str | None, zoneinfo.ZoneInfo] = {}
    # An owner without a profile yet: the settings' default reminder days.
    names = ("reminder_courteous_days", "reminder_firm_days", "reminder_notice_days")
    defaults = tuple(apps.get_model("clients", "Profile")._meta.get_field(name).default for name in names)

    def zone(name: str | None) -> zoneinfo.ZoneInfo:
        # An owner without a profile yet: the project's zone, as the trust engine reads it.
        if name not in zones:
            zones[name] = zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
        return zones[name]

    clients = Client.objects.order_by("pk").values_list(
        "pk", "owner__profile__time_zone", "created_at", "last_status_update_at", "cadence_days", "away_until", "status"
    )
    batch = []
    for pk, time_zone, created_at, last_update_at, cadence, away_until, status in clients.iterator(BATCH):
        # Away until a day: as an absence covering every day up to it (before absences were dated).
        spans = ((date.min, away_until),) if away_until else ()
        at = rules.status_update_listed_at(
            last_update_at or created_at, cadence, spans, zone(time_zone), active=status == "active"
        )
        batch.append(Client(pk=pk, status_update_listed_at=at))
        if len(batch) >= BATCH:
            Client.objects.bulk_update(batch, ["status_update_listed_at"])
            batch = []
    Client.objects.bulk_update(batch, ["status_update_listed_at"])

    reminders = defaultdict(list)
    for invoice_id, due_basis, step, state, decided_at in PaymentReminder.objects.filter(
        invoice__paid_on__isnull=True
    ).values_list("invoice_id", "due_basis", "step", "state", "decided_at"):
        reminders[invoice_id].append((due_basis, step, state, decided_at))
    invoices = Invoice.objects.filter(paid_on__isnull=True).order_by("pk").values_list(
        "pk",
        "due_on",
        "renegotiated_due_on",
        "owner__profile__time_zone",
        "client__reminder_courteous_days",
        "client__reminder_firm_days",
        "client__reminder_notice_days",
        "owner__profile__reminder_courteous_days",
        "owner__profile__reminder_firm_days",
        "owner__profile__reminder_notice_days",
    )
    batch = []
    for pk, due_on, renegotiated, time_zone, *days in invoices.iterator(BATCH):
        basis = renegotiated or due_on
        steps = tuple(days[:3]) if all(days[:3]) else tuple(days[3:]) if all(days[3:]) else defaults
        mine = [r for r in reminders[pk] if r[0] == basis]
        pending = any(state in ("proposed", "approved") for _b, _s, state, _d in mine)
        decided = {
            step: local_day(at, zone(time_zone))
            for _b, step, state, at in mine
            if state in ("sent", "skipped") and at
        }
        day = schedule.preparation_day(basis, steps, decided, pending=pending)
        at = None if day is None else local_midnight(day, zone(time_zone))
        batch.append(Invoice(pk=pk, next_reminder_at=at))
        if len(batch) >= BATCH:
            Invoice.objects.bulk_update(batch, ["next_reminder_at"])
            batch = []
    Invoice.objects.bulk_update(batch, ["next_reminder_at"])


class Migration(migrations.Migration):
    dependencies = [("crm", "0026_invoice_next_reminder_at")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

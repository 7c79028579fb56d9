"""Seed the late-payment rates with the published values of docs/payments.md (a frozen copy: never edited)."""

from datetime import date
from decimal import Decimal

from django.db import migrations

ECB = "ECB, key ECB interest rates (main refinancing operations), rate in force on that day"
LEGAL = "Arrêté fixing the taux de l'intérêt légal for the half-year (JORF), art. D313-1-A CMF"

RATES = {
    "ecb_mro": (
        ("2022-01-01", "0.00"),
        ("2022-07-01", "0.00"),
        ("2023-01-01", "2.50"),
        ("2023-07-01", "4.00"),
        ("2024-01-01", "4.50"),
        ("2024-07-01", "4.25"),
        ("2025-01-01", "3.15"),
        ("2025-07-01", "2.15"),
        ("2026-01-01", "2.15"),
    ),
    "fr_legal_pro": (
        ("2022-01-01", "0.76"),
        ("2022-07-01", "0.77"),
        ("2023-01-01", "2.06"),
        ("2023-07-01", "4.22"),
        ("2024-01-01", "5.07"),
        ("2024-07-01", "4.92"),
        ("2025-01-01", "3.71"),
        ("2025-07-01", "2.76"),
        ("2026-01-01", "2.62"),
    ),
    "fr_legal_personal": (
        ("2022-01-01", "3.13"),
        ("2022-07-01", "3.15"),
        ("2023-01-01", "4.47"),
        ("2023-07-01", "6.82"),
        ("2024-01-01", "8.01"),
        ("2024-07-01", "8.16"),
        ("2025-01-01", "7.21"),
        ("2025-07-01", "6.65"),
        ("2026-01-01", "6.67"),
    ),
}


def seed(apps, schema_editor):
    LatePaymentRate = apps.get_model("crm", "LatePaymentRate")
    for series, rows in RATES.items():
        source = ECB if series == "ecb_mro" else LEGAL
        for day, percent in rows:
            # get_or_create: a rate already entered by hand is kept as it is.
            LatePaymentRate.objects.get_or_create(
                series=series,
                starts_on=date.fromisoformat(day),
                defaults={"percent": Decimal(percent), "source": source},
            )


class Migration(migrations.Migration):
    dependencies = [("crm", "0013_payment_reminders_and_late_payment_rates")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

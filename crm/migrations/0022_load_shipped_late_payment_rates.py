"""Load the late-payment rates of the shipped file (crm/payments/data/rates.csv) into `LatePaymentRate`.

The file replaces 0014's seed: the ECB's rate becomes its dated changes, and the seeded rows the file does not
confirm (0014's half-year copies of the ECB's rate, the 2026 legal rates) go; a row entered by hand (another
source) is kept. The file is read when the migration runs: a fresh database gets the file of its release.
"""

from django.db import migrations

from crm.payments import ratefile

# 0014's sources: the rows it seeded.
SEEDED_SOURCES = (
    "ECB, key ECB interest rates (main refinancing operations), rate in force on that day",
    "Arrêté fixing the taux de l'intérêt légal for the half-year (JORF), art. D313-1-A CMF",
)


def load(apps, schema_editor):
    LatePaymentRate = apps.get_model("crm", "LatePaymentRate")
    shipped = ratefile.read(ratefile.SHIPPED)
    if shipped.errors:
        raise ValueError("; ".join(shipped.errors))
    keys = set()
    for row in shipped.rows:
        keys.add((row.kind, row.valid_from))
        LatePaymentRate.objects.update_or_create(
            series=row.kind,
            starts_on=row.valid_from,
            defaults={"percent": row.percent, "source": row.source, "checked_on": shipped.checked_on},
        )
    for pk, series, starts_on in LatePaymentRate.objects.filter(source__in=SEEDED_SOURCES).values_list(
        "pk", "series", "starts_on"
    ):
        if (series, starts_on) not in keys:
            LatePaymentRate.objects.filter(pk=pk).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0021_late_payment_rate_checked_on")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

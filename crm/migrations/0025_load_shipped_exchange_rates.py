"""Load the exchange reference rates of the shipped file (crm/payments/data/eurofxref.csv) into `Rate`.

The ECB's euro foreign exchange reference rates, in the ECB's own format: the first reference day of each month
from January 2015 to May 2025 (and 9 May 2025), for 29 currencies. The file is read when the migration runs: a
fresh database gets the file of its release; `manage.py load_exchange_rates FILE` adds every working day from the
ECB's full file. Unloading removes nothing (the rates may have been refreshed since).
"""

from django.db import migrations

from crm.payments import fxfile


def load(apps, schema_editor):
    Rate = apps.get_model("crm", "Rate")
    shipped = fxfile.read(fxfile.SHIPPED)
    if shipped.errors:
        raise ValueError("; ".join(shipped.errors))
    known = set(Rate.objects.values_list("currency", "day"))
    Rate.objects.bulk_create(
        [
            Rate(currency=row.currency, day=row.day, per_euro=row.per_euro)
            for row in shipped.rows
            if (row.currency, row.day) not in known
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [("crm", "0024_exchange_reference_rates")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

import django.db.models.functions.comparison
from django.db import migrations, models

import clients.models


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="client",
            name="status_update_due_at",
            field=models.GeneratedField(
                db_persist=True,
                expression=clients.models.AddDaysUTC(
                    django.db.models.functions.comparison.Coalesce("last_status_update_at", "created_at"),
                    "cadence_days",
                ),
                output_field=models.DateTimeField(),
                verbose_name="next status update due",
            ),
        ),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["owner", "status", "status_update_due_at"], name="client_update_due_idx"),
        ),
    ]

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Existing signals take their client's owner.
FILL_OWNER = """
UPDATE conflicts_conflictsignal SET owner_id =
    (SELECT owner_id FROM clients_client WHERE clients_client.id = conflicts_conflictsignal.client_id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("conflicts", "0001_initial"),
        ("clients", "0002_client_status_update_due_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="conflictsignal",
            name="owner",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(FILL_OWNER, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="conflictsignal",
            name="owner",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="conflictsignal",
            index=models.Index(
                fields=["owner", "state", "-severity", "observed_on"], name="conflict_owner_state_idx"
            ),
        ),
    ]

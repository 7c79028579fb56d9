import django.db.models.deletion
import django.db.models.functions.comparison
from django.conf import settings
from django.db import migrations, models

# Existing promises take their client's owner.
FILL_OWNER = """
UPDATE crm_promise SET owner_id =
    (SELECT owner_id FROM clients_client WHERE clients_client.id = crm_promise.client_id)
"""
# Every client is ranked through its trust health row: clients without one yet get "not enough history"
# (the nightly recompute fills in the details).
ADD_MISSING_HEALTH = """
INSERT INTO crm_clienthealth
    (client_id, owner_id, score, band, components, reasons, evidence_count, sparkline_points, computed_at)
SELECT c.id, c.owner_id, 50, 'insufficient', '{}', '[]', 0, '', c.created_at
FROM clients_client c
WHERE NOT EXISTS (SELECT 1 FROM crm_clienthealth h WHERE h.client_id = c.id)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("clients", "0002_client_status_update_due_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="promise",
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
            model_name="promise",
            name="owner",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="promise",
            index=models.Index(fields=["owner", "state", "due_on"], name="promise_owner_state_due_idx"),
        ),
        migrations.AddField(
            model_name="clienthealth",
            name="rank",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Case(
                    models.When(band="at_risk", then=0),
                    models.When(band="watch", then=1),
                    models.When(band="healthy", then=2),
                    default=3,
                ),
                output_field=models.PositiveSmallIntegerField(),
            ),
        ),
        migrations.RemoveIndex(model_name="clienthealth", name="health_owner_score_idx"),
        migrations.AddIndex(
            model_name="clienthealth",
            index=models.Index(fields=["owner", "rank", "score"], name="health_owner_rank_score_idx"),
        ),
        migrations.RunSQL(ADD_MISSING_HEALTH, migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="invoice", name="invoice_owner_paid_due_idx"),
        migrations.AddField(
            model_name="invoice",
            name="current_due_on",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.comparison.Coalesce("renegotiated_due_on", "due_on"),
                output_field=models.DateField(),
            ),
        ),
        migrations.AddIndex(
            model_name="invoice",
            index=models.Index(fields=["owner", "paid_on", "current_due_on"], name="invoice_owner_paid_due_idx"),
        ),
    ]

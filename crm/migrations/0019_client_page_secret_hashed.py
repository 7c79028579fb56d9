"""The client's page link keeps only the hash of its secret (crm/core/links.py); every link sent keeps working.

The secret was stored in clear; each row now holds its SHA-256 instead. Backwards, the secrets cannot be read
from their hashes: each page gets a new random secret (the links sent before stop working).
"""

import hashlib
import secrets

from django.db import migrations, models


def hash_secrets(apps, schema_editor):
    ClientPage = apps.get_model("crm", "ClientPage")
    for page in ClientPage.objects.only("pk", "secret").iterator():
        digest = hashlib.sha256(page.secret.encode()).hexdigest()
        ClientPage.objects.filter(pk=page.pk).update(secret_hash=digest)


def new_random_secrets(apps, schema_editor):
    ClientPage = apps.get_model("crm", "ClientPage")
    for pk in ClientPage.objects.values_list("pk", flat=True).iterator():
        ClientPage.objects.filter(pk=pk).update(secret=secrets.token_urlsafe(32))


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0018_promise_to_pay_names_its_invoice"),
    ]

    operations = [
        migrations.AddField(
            model_name="clientpage",
            name="secret_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="clientpage",
            name="secret",
            field=models.CharField(editable=False, max_length=43, null=True),
        ),
        migrations.RunPython(hash_secrets, new_random_secrets),
        migrations.RemoveField(model_name="clientpage", name="secret"),
    ]

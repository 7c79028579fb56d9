"""The calendar feed's address becomes a secret link (crm/core/links.py): a key and the hash of a secret. Every
address already subscribed keeps working.

An address was `/calendar/<token>.ics` with a 32-character random token stored in clear. The token is cut in
two: its first 12 characters become the key (72 random bits, unique like the token was) and the rest the secret,
of which only the SHA-256 is kept. The feed reads `<key><secret>` from the same address, so nothing changes for
the calendars subscribed to it. Backwards, the secrets cannot be read back: each profile gets a new random token.
"""

import hashlib
import secrets

from django.db import migrations, models

import clients.models

KEY_LENGTH = 12


def split_and_hash(apps, schema_editor):
    Profile = apps.get_model("clients", "Profile")
    for pk, token in Profile.objects.values_list("pk", "calendar_token").iterator():
        key, secret = token[:KEY_LENGTH], token[KEY_LENGTH:]
        Profile.objects.filter(pk=pk).update(
            calendar_key=key, calendar_secret_hash=hashlib.sha256(secret.encode()).hexdigest()
        )


def new_random_tokens(apps, schema_editor):
    Profile = apps.get_model("clients", "Profile")
    for pk in Profile.objects.values_list("pk", flat=True).iterator():
        Profile.objects.filter(pk=pk).update(calendar_token=secrets.token_urlsafe(24))


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0016_contact_other_emails"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="calendar_key",
            field=models.CharField(editable=False, max_length=12, null=True),
        ),
        migrations.AddField(
            model_name="profile",
            name="calendar_secret_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="profile",
            name="calendar_token",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(split_and_hash, new_random_tokens),
        migrations.RemoveField(model_name="profile", name="calendar_token"),
        migrations.AlterField(
            model_name="profile",
            name="calendar_key",
            field=models.CharField(
                default=clients.models.new_calendar_key, editable=False, max_length=12, unique=True
            ),
        ),
    ]

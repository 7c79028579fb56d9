"""Encrypt every stored mailbox password again with the first of MAILBOX_KEYS (docs/capture.md: rotation)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.capture.secrets import InvalidToken, rotate
from crm.models import Mailbox


class Command(BaseCommand):
    help = "Re-encrypt every mailbox password with the first key of MAILBOX_KEYS (after adding a new key)."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated, unreadable = 0, []
        with transaction.atomic():
            for box in Mailbox.objects.select_for_update().only("pk", "imap_secret", "smtp_secret"):
                try:
                    box.imap_secret = rotate(box.imap_secret)
                    if box.smtp_secret:
                        box.smtp_secret = rotate(box.smtp_secret)
                except InvalidToken:
                    unreadable.append(box.pk)
                    continue
                box.save(update_fields=["imap_secret", "smtp_secret"])
                rotated += 1
        self.stdout.write(f"{rotated} mailboxes re-encrypted with the first key.")
        if unreadable:
            # Never the token: only which mailboxes need their password typed again.
            raise CommandError(
                f"{len(unreadable)} mailboxes could not be read with any key (ids {unreadable[:20]}): keep the old "
                "key in MAILBOX_KEYS, or have their owners enter their password again."
            )

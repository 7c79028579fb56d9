"""`backup [--dir DIR] [--keep N]`: copy the database to a dated file, keep the N newest (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.utils import timezone

from crm.backup.dumps import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back the database up (SQLite online backup, or pg_dump custom format) and remove the oldest backups."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", type=Path, default=None, help="the folder (default: BACKUP_DIR)")
        parser.add_argument(
            "--keep", type=int, default=None, help="how many backups to keep (default: BACKUP_KEEP)"
        )
        parser.add_argument("--database", default="default", help="the database alias (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["dir"] or settings.BACKUP_DIR
        keep = settings.BACKUP_KEEP if options["keep"] is None else options["keep"]
        try:
            path = backup(connections[options["database"]], directory, keep, timezone.now())
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{path} ({path.stat().st_size} bytes)")

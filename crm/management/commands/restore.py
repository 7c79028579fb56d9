"""`restore FILE`: restore a backup made by `backup` into an empty database (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from crm.backup.dumps import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup into the configured database, which must be empty (then run migrate if it is older)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--database", default="default", help="the database alias (default: default)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tables = restore(connections[options["database"]], options["file"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {tables} tables from {options['file']}. A backup of an older release: run migrate next."
        )

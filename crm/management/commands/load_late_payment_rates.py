"""`load_late_payment_rates FILE`: refresh the late-payment rates from a rates file (docs/payments.md).

The file has the shape of the shipped `crm/payments/data/rates.csv`. Every line is checked first and the command
refuses the whole file on any bad line, saying which and why; otherwise it adds and changes rows in one
transaction and prints them. Running it twice with the same file changes nothing. Rows absent from the file are
kept (a file may cover a few years only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.payments import ratefile
from crm.payments.claims import store_rate_file


class Command(BaseCommand):
    help = "Add or update the late-payment rates from a rates file (kind,valid_from,rate_percent,source)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The rates file, like crm/payments/data/rates.csv.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            parsed = ratefile.read(path)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read ({error})") from error
        if parsed.errors:
            raise CommandError(
                f"{path}: nothing was loaded, {len(parsed.errors)} problem(s):\n" + "\n".join(parsed.errors)
            )
        added, changed = store_rate_file(parsed)
        for row in added:
            self.stdout.write(f"added {row.kind} from {row.valid_from}: {row.percent} %")
        for row, before in changed:
            self.stdout.write(f"changed {row.kind} from {row.valid_from}: {before} -> {row.percent} %")
        unchanged = len(parsed.rows) - len(added) - len(changed)
        self.stdout.write(f"{len(added)} added, {len(changed)} changed, {unchanged} unchanged")

"""`load_exchange_rates FILE`: refresh the exchange reference rates from the ECB's eurofxref-hist.csv (or the
shipped `crm/payments/data/eurofxref.csv`, same format); docs/trust-model.md, "Money in several currencies".

Every line is checked first and the command refuses the whole file on any bad line, saying which and why;
otherwise it adds and corrects rates in one transaction and says how many. Running it twice with the same file
changes nothing. Rates absent from the file are kept. It reads a file only: no network call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm.payments import fxfile
from crm.payments.exchange import store_rates


class Command(BaseCommand):
    help = "Add or correct the exchange reference rates from a file in the ECB's eurofxref-hist.csv format."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", type=Path, help="The ECB's eurofxref-hist.csv (unzipped), or a file like it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            parsed = fxfile.read(path)
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: cannot be read ({error})") from error
        if parsed.errors:
            raise CommandError(
                f"{path}: nothing was loaded, {len(parsed.errors)} problem(s):\n" + "\n".join(parsed.errors)
            )
        added, changed = store_rates(parsed)
        unchanged = len(parsed.rows) - added - changed
        self.stdout.write(f"{added} added, {changed} changed, {unchanged} unchanged")

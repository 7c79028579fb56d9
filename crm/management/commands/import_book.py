"""`import_book FILE --user NAME`: import a file into a freelancer's book, as the import page does.

The rows' problems are printed and nothing is written when there are any; `--dry-run` only checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation

from crm.dataio import imports
from crm.dataio.reading import MAX_BYTES, RefusedFile
from crm.models import BookImport

SUFFIXES = {".vcf": "vcard", ".vcard": "vcard", ".json": "book"}


class Command(BaseCommand):
    help = "Import clients and contacts (CSV, vCard), history (CSV) or a Confiance export (JSON) into a book."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", required=True, help="the freelancer's username")
        parser.add_argument(
            "--kind",
            choices=BookImport.Kind.values,
            help="what the file holds (default: from its suffix: .vcf vCard, .json export, else clients CSV)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check the rows, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = get_user_model().objects.filter(username=options["user"]).select_related("profile").first()
        if owner is None:
            raise CommandError(f"No user {options['user']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if path.stat().st_size > MAX_BYTES:
            raise CommandError(f"{path} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        kind = options["kind"] or SUFFIXES.get(path.suffix.lower(), "clients")
        with translation.override(owner.profile.language), transaction.atomic():
            try:
                book_import = imports.receive(owner, kind, path.name, path.read_bytes())
            except RefusedFile as refused:
                raise CommandError(str(refused)) from None
            problems = imports.check(book_import).problems
            for problem in problems:
                self.stderr.write(f"line {problem.line}: {problem.message}")
            if options["dry_run"] or problems:
                transaction.set_rollback(True)
                if problems:
                    raise CommandError(f"{len(problems)} problems: nothing was imported.")
                self.stdout.write(f"{book_import.rows} rows, no problem (dry run: nothing written).")
                return

            def progress(count: int) -> None:
                # -v 2 says how far a long import got (written, not yet committed: all or nothing still holds).
                if options["verbosity"] >= 2:
                    self.stdout.write(f"{count} rows written")

            done = imports.run(book_import, progress=progress)
        if done.state != BookImport.State.DONE:
            raise CommandError(done.error)
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in done.counts.items()))

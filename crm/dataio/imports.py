"""An import from upload to done: the file read and kept (`receive`), its rows checked (`check`), then written
all at once or not at all (`run`), by the request for a small file or by a Celery task for a large one.

Progress is kept in the cache, not in the database: the rows are written in one transaction, which no other
connection sees before it commits, while the page polling the progress must see it move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.dataio import history, people, vcards
from crm.dataio.columns import CLIENT_FIELDS, HISTORY_FIELDS, guess_mapping
from crm.dataio.reading import RefusedFile, Table, decode, read_table
from crm.models import BookImport

# Up to this many rows the request imports the file itself; past it, a Celery task does, with a progress bar.
IN_REQUEST_ROWS = 1000
PROGRESS_KEPT = 24 * 3600
Kind = BookImport.Kind

FIELDS = {Kind.CLIENTS: CLIENT_FIELDS, Kind.HISTORY: HISTORY_FIELDS}


@dataclass
class Checked:
    """A file's rows as the import would write them, and every row's problems (nothing is written if any)."""

    rows: list[Any] = field(default_factory=list)
    problems: list[people.Problem] = field(default_factory=list)
    table: Table | None = None


def receive(owner: Any, kind: str, filename: str, data: bytes) -> BookImport:
    """Read the upload and keep it for its preview; raise RefusedFile when it cannot be a file of `kind`."""
    text = decode(data)
    book_import = BookImport(owner=owner, kind=kind, filename=filename[:200], encoding=text.encoding)
    if kind in FIELDS:
        table = read_table(text.text)
        book_import.delimiter = table.delimiter
        book_import.mapping = guess_mapping(table.header, FIELDS[kind])
        book_import.rows = len(table.rows)
    elif kind == Kind.VCARD:
        book_import.rows = len(vcards.people_from(text.text, []))
    else:
        book_import.rows = len(_book_document(text.text).get("clients", []))
    book_import.text = text.text
    book_import.save()
    return book_import


@dataclass
class Known:
    """A row of the file that is already in the book: the import will skip it (said before anything is written)."""

    line: int
    label: str


def already_there(book_import: BookImport, checked: Checked) -> list[Known]:
    """Return the rows of a checked file that the import would skip as already in the book, by the import's own
    duplicate rule (`people.plan_people`, `history.plan_entries`); none while the file has problems."""
    if checked.problems or not checked.rows:
        return []
    if book_import.kind == Kind.HISTORY:
        return [
            Known(entry.line, _entry_label(entry))
            for entry in history.plan_entries(book_import.owner, checked.rows).skipped
        ]
    if book_import.kind in (Kind.CLIENTS, Kind.VCARD):
        return [
            Known(
                person.line,
                " · ".join(dict.fromkeys(part for part in (person.name, person.client_name) if part)),
            )
            for person in people.plan_people(book_import.owner, checked.rows).skipped
        ]
    return []


def _entry_label(entry: history.Entry) -> str:
    words = entry.fields.get("summary") or entry.fields.get("description") or entry.fields.get("number") or ""
    return f"{entry.day.isoformat()} · {entry.client_ref} · {words}"


# Kinds with no columns to map, whose preview only lists what the file holds: past a size
# (settings.PARSE_IN_WORKER_MB) a worker reads them, not the web process.
READ_BY_WORKER = {Kind.VCARD, Kind.BOOK}


def read_by_worker(kind: str, size: int) -> bool:
    """Whether an upload of `kind` and `size` bytes is read (and imported) by a worker, without a preview."""
    return kind in READ_BY_WORKER and size > settings.PARSE_IN_WORKER_MB * 1024 * 1024


def receive_for_worker(owner: Any, kind: str, filename: str, data: bytes) -> BookImport:
    """Keep a large vCard or JSON book for a worker: decoded (refused if it is no text), not parsed here."""
    text = decode(data)
    return BookImport.objects.create(
        owner=owner,
        kind=kind,
        filename=filename[:200],
        encoding=text.encoding,
        text=text.text,
        state=BookImport.State.QUEUED,
    )


def check(book_import: BookImport) -> Checked:
    """Return the file's rows and problems, with the import's mapping; nothing is written."""
    checked = Checked()
    if book_import.kind in FIELDS:
        checked.table = read_table(book_import.text, book_import.delimiter)
        by_row = (
            (line, _values(row, book_import.mapping, checked.problems, line, len(checked.table.header)))
            for line, row in enumerate(checked.table.rows, start=2)
        )
        parse = people.person_from if book_import.kind == Kind.CLIENTS else history.entry_from
        checked.rows = [
            row for line, values in by_row if (row := parse(line, values, checked.problems)) is not None
        ]
        if book_import.kind == Kind.HISTORY:
            history.resolve_clients(book_import.owner, checked.rows, checked.problems)
        if not any(field == "client" or field.endswith("name") or field == "company"
                   for field in book_import.mapping.values()):  # fmt: skip
            checked.problems.insert(0, people.Problem(1, _("Choose the column that holds the client.")))
    elif book_import.kind == Kind.VCARD:
        checked.rows = vcards.people_from(book_import.text, checked.problems)
    return checked


def _values(
    row: list[str], mapping: dict[str, str], problems: list[people.Problem], line: int, width: int
) -> dict[str, str]:
    if len(row) > width:
        problems.append(people.Problem(line, _("This row has more cells than the header has columns.")))
    return {name: row[int(index)] if int(index) < len(row) else "" for index, name in mapping.items()}


def run(book_import: BookImport, progress: Callable[[int], None] | None = None) -> BookImport:
    """Import the file all at once, or nothing when a row has a problem; return the import, done or failed."""
    progress = progress or (lambda done: set_progress(book_import, done))
    try:
        with transaction.atomic():
            if book_import.kind == Kind.BOOK:
                from crm.dataio.book import import_book

                counts = import_book(book_import.owner, _book_document(book_import.text), progress)
            else:
                checked = check(book_import)
                if checked.problems:
                    raise RefusedFile(
                        _("Nothing was imported: %(count)d rows have problems.")
                        % {"count": len({problem.line for problem in checked.problems})}
                    )
                if book_import.kind == Kind.HISTORY:
                    counts = history.import_entries(book_import.owner, checked.rows, progress)
                else:
                    counts = people.import_people(book_import.owner, checked.rows, progress)
    except RefusedFile as refused:
        book_import.state, book_import.error = BookImport.State.FAILED, str(refused)
    else:
        book_import.state, book_import.counts = BookImport.State.DONE, counts
    book_import.finished_at = timezone.now()
    book_import.save(update_fields=["state", "error", "counts", "finished_at"])
    set_progress(book_import, book_import.rows)
    return book_import


def _book_document(text: str) -> dict[str, Any]:
    from crm.dataio.book import read_document

    return read_document(text)


def progress_key(book_import: BookImport) -> str:
    return f"dataio:import:{book_import.pk}:done"


def set_progress(book_import: BookImport, done: int) -> None:
    cache.set(progress_key(book_import), done, PROGRESS_KEPT)


def progress_of(book_import: BookImport) -> int:
    """Return how many rows are done (all of them once finished), as a percentage."""
    if book_import.finished:
        return 100
    done = cache.get(progress_key(book_import), 0)
    return min(99, int(100 * done / book_import.rows)) if book_import.rows else 0

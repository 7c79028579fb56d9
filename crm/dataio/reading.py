"""Reading an uploaded file: its encoding, its delimiter, its rows, and the cells a spreadsheet would run.

Everything a file can do wrong is refused here with a `RefusedFile` saying what to do, before any row is looked
at: too large, empty, binary, not text in UTF-8 or Windows-1252, quoting that does not close.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

# 10,000 rows of a client book are about 2 MB; anything past this is not a book.
MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000


def upload_limit(kind: str) -> int:
    """Return the largest upload of `kind` in bytes (settings.UPLOAD_MAX_MB, documented in docs)."""
    return settings.UPLOAD_MAX_MB[kind] * 1024 * 1024


DELIMITERS = [";", ",", "\t", "|"]
BOM = "\ufeff"
# Control characters never found in a text file (tab, line feed and carriage return are fine).
BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A cell a spreadsheet would run as a formula. "+33 6 12…" and "-12.50" are a phone and an amount, not formulas.
FORMULA = re.compile(r"^[=@\t\r]|^[+\-](?![\d\s().,]*$)")


class RefusedFile(Exception):
    """The file cannot be read as a book: the message says why, and what to do."""


@dataclass(frozen=True)
class Text:
    text: str
    encoding: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]  # without the header
    delimiter: str


def decode(data: bytes) -> Text:
    """Return the upload as text: UTF-8 (with or without BOM), else Windows-1252, as spreadsheets write them."""
    if len(data) > MAX_BYTES:
        raise RefusedFile(
            _("The file is larger than %(size)d MB: split it, or export fewer columns.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise RefusedFile(_("The file is empty."))
    try:
        text, encoding = data.decode("utf-8"), "UTF-8"
        if text.startswith(BOM):
            text, encoding = text[1:], "UTF-8 (BOM)"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            raise RefusedFile(_("This is not a text file: export it as CSV (UTF-8).")) from None
    if BINARY.search(text):
        raise RefusedFile(_("This is not a text file: export it as CSV (UTF-8)."))
    return Text(text, encoding)


def guess_delimiter(text: str) -> str:
    """Return the delimiter that cuts the first lines into the most columns, the same number each line."""
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    best, best_columns = ",", 1
    for delimiter in DELIMITERS:
        try:
            widths = {len(row) for row in csv.reader(lines, delimiter=delimiter)}
        except csv.Error:
            continue
        columns = min(widths) if widths else 1
        if columns > best_columns and len(widths) <= 2:
            best, best_columns = delimiter, columns
    return best


def read_table(text: str, delimiter: str | None = None) -> Table:
    """Return the CSV's header and rows; refuse quoting that does not close, and files of one line."""
    delimiter = delimiter or guess_delimiter(text)
    reader = csv.reader(text.splitlines(keepends=True), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append([cell.strip() for cell in row])
            if len(rows) > MAX_ROWS + 1:
                raise RefusedFile(
                    _("The file has more than %(rows)d rows: split it in several files.") % {"rows": MAX_ROWS}
                )
    except csv.Error as error:
        raise RefusedFile(
            _("Line %(line)d: the quotes do not close (%(error)s). Save the file as CSV again.")
            % {"line": reader.line_num, "error": error}
        ) from None
    if len(rows) < 2:
        raise RefusedFile(_("The file has a header but no rows below it."))
    return Table(rows[0], rows[1:], delimiter)


def looks_like_a_formula(cell: str) -> bool:
    return bool(FORMULA.match(cell))


def neutralised(cell: str) -> str:
    """Return `cell` as a spreadsheet shows it and never runs it: a formula gets a leading apostrophe."""
    return f"'{cell}" if cell and cell[0] in "=+-@\t\r" else cell


def normalised_header(text: str) -> str:
    """Return a header cell without accents, case or punctuation: "Téléphone (mobile)" -> "telephone mobile"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())

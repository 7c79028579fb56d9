"""The whole book out and back in: a ZIP of CSVs (one per kind, spreadsheet-safe), one versioned JSON document,
and the import of that document into an empty book.

Both exports are streamed: clients are read a batch at a time (each kind of record one query per batch), so a
20,000-client book never sits in memory. The JSON keeps every stored value of every record (ids only as
references between records), so its import writes the same records, and trust health computed from them is the
same: the round trip is tested (tests/dataio/test_export.py).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from zipstream import ZipStream

from clients.models import IDENTITY_FIELDS, Absence, Client, Contact, Profile, Project
from conflicts.models import ConflictSignal
from crm.dataio.reading import RefusedFile, neutralised
from crm.models import (
    CheckIn,
    Feeling,
    HealthChange,
    HealthSnapshot,
    Interaction,
    Invoice,
    Promise,
    Recap,
    RecapLine,
    ScopeChange,
)
from crm.trash.kinds import ExactJSONEncoder
from crm.trust.door import journal_changed

FORMAT = "confiance-book"
VERSION = 1
CLIENTS_PER_BATCH = 500


@dataclass(frozen=True)
class Section:
    """One kind of record of the book: its name in the exports, its model, and the records it refers to."""

    name: str
    model: type[models.Model]
    references: tuple[str, ...] = ()  # foreign keys to other records of the book (besides the client)


# In the order an import writes them: what a record refers to is written before it.
SECTIONS = [
    Section("contacts", Contact),
    Section("projects", Project),
    Section("absences", Absence, ("project",)),
    Section("interactions", Interaction, ("project", "contact", "answers")),
    Section("invoices", Invoice, ("project",)),
    Section("promises", Promise, ("project", "invoice")),
    # A call's recap and its lines, each line a promise of the journal with the client's answer (crm/recaps).
    Section("recaps", Recap, ("interaction",)),
    Section("recap_lines", RecapLine, ("recap", "promise", "correction_interaction")),
    Section("conflict_signals", ConflictSignal),
    Section("scope_changes", ScopeChange, ("project",)),
    Section("feelings", Feeling),
    Section("check_ins", CheckIn),  # the client's own word on their page (issue 26)
    Section("health_snapshots", HealthSnapshot),
    Section("health_changes", HealthChange),
]


# Which section each reference points into (its records are written first: see SECTIONS).
REFERRED = {
    "project": "projects",
    "contact": "contacts",
    "answers": "interactions",
    "interaction": "interactions",
    "correction_interaction": "interactions",
    "invoice": "invoices",
    "promise": "promises",
    "recap": "recaps",
}


# The sweep's "next step at" columns: derived from the rows by the journal's door (crm/payments/due.py), which an
# import passes, so a book carries none of them.
DERIVED = frozenset({"status_update_listed_at", "next_reminder_at"})


def stored_fields(model: type[models.Model]) -> list[models.Field]:
    """Return the fields an export keeps: every stored value but the id, the owner and the client (implied),
    the columns the database computes and those the journal's door derives."""
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and field.name not in {"owner", "client"}
        and field.name not in DERIVED
        and not isinstance(field, models.GeneratedField)
    ]


def _column(field: models.Field) -> str:
    return field.attname if field.is_relation else field.name


def _name(field: models.Field) -> str:
    return field.name


def _client_batches(owner: Any) -> Iterator[list[dict[str, Any]]]:
    """Yield the owner's clients as dicts of their stored values, a batch at a time, in id order."""
    columns = ["pk", *(_column(f) for f in stored_fields(Client))]
    after = 0
    while True:
        batch = list(
            Client.objects.filter(owner=owner, pk__gt=after)
            .order_by("pk")
            .values(*columns)[:CLIENTS_PER_BATCH]
        )
        if not batch:
            return
        yield batch
        after = batch[-1]["pk"]


def _children(section: Section, client_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Return the section's records of these clients, by client id (one query)."""
    fields = stored_fields(section.model)
    rows = (
        section.model.objects.filter(client_id__in=client_ids)
        .order_by("pk")
        .values("pk", "client_id", *(_column(f) for f in fields))
    )
    by_client: dict[int, list[dict[str, Any]]] = {pk: [] for pk in client_ids}
    for row in rows:
        by_client[row.pop("client_id")].append(_named(row, fields))
    return by_client


def _named(row: dict[str, Any], fields: list[models.Field]) -> dict[str, Any]:
    """Return a row with the export's names: `id` for its reference, `project` (not `project_id`)..."""
    named = {"id": row["pk"]}
    for field in fields:
        named[field.name] = row[_column(field)]
    return named


# -- JSON ------------------------------------------------------------------------------------------------------


def identity_of(profile: Profile) -> dict[str, str]:
    """Return the freelancer's business identity as the exports carry it (the logo stays out: an image)."""
    return {name: str(getattr(profile, name) or "") for name in IDENTITY_FIELDS}


def import_identity(profile: Profile, data: Any) -> None:
    """Fill the profile's empty identity fields from an export's, each checked by its field; what the freelancer
    typed already is kept."""
    if data is None:
        return
    if not isinstance(data, dict):
        raise RefusedFile(_("The export's business identity is not an object."))
    changed = []
    for name in IDENTITY_FIELDS:
        field = Profile._meta.get_field(name)
        if getattr(profile, name) or not data.get(name):
            continue
        try:
            setattr(profile, name, field.clean(data[name], profile))
        except (ValidationError, TypeError) as error:
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            raise RefusedFile(
                _("%(kind)s “%(field)s”: %(error)s")
                % {"kind": Profile._meta.verbose_name, "field": name, "error": message[:200]}
            ) from None
        changed.append(name)
    if changed:
        profile.save(update_fields=changed)


def json_document(owner: Any) -> Iterator[str]:
    """Yield the book as one JSON document, client by client."""
    head = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now(),
        "profile": {"language": owner.profile.language, "time_zone": owner.profile.time_zone},
        "identity": identity_of(owner.profile),
    }
    yield json.dumps(head, cls=ExactJSONEncoder)[:-1] + ', "clients": ['
    first = True
    for batch in _client_batches(owner):
        ids = [row["pk"] for row in batch]
        children = {section.name: _children(section, ids) for section in SECTIONS}
        for row in batch:
            client = _named(row, stored_fields(Client))
            for section in SECTIONS:
                client[section.name] = children[section.name][row["pk"]]
            yield ("" if first else ",\n") + json.dumps(client, cls=ExactJSONEncoder, ensure_ascii=False)
            first = False
    yield "]}\n"


# No stored number of the book needs more: a 64-bit integer (BigAutoField, the largest column) has 19 digits.
LARGEST_INTEGER = 2**63 - 1
# A decimal amount's digits, with sign and point (the widest DecimalField is far narrower): longer is refused.
LONGEST_NUMBER = 40


class OutOfRange(str):
    """A number of the file too large for any column, kept as its text: the record holding it is refused."""

    def __str__(self) -> str:
        text = super().__str__()
        return text if len(text) <= 20 else f"{text[:12]}… ({len(text)} digits)"


def _integer(text: str) -> int | OutOfRange:
    # Never int() a long text: Python refuses one over 4,300 digits with a ValueError (a 500), and any number
    # past 64 bits would only fail later, at the database.
    if len(text) > 20 or abs(value := int(text)) > LARGEST_INTEGER:
        return OutOfRange(text)
    return value


def _decimal(text: str) -> float | OutOfRange:
    value = float(text)
    if len(text) > LONGEST_NUMBER or not math.isfinite(value):
        return OutOfRange(text)
    return value


def _constant(text: str) -> OutOfRange:
    return OutOfRange(text)  # NaN, Infinity, -Infinity: not numbers any column holds


def read_document(text: str) -> dict[str, Any]:
    """Return the export document; refuse what is not one, or of a version this code cannot read.

    Every number is range-checked as it is parsed (`_integer`, `_decimal`): one no column can hold is kept as
    an `OutOfRange` text, which the record holding it refuses with its field's name (`_record`).
    """
    try:
        document = json.loads(text, parse_int=_integer, parse_float=_decimal, parse_constant=_constant)
    except (json.JSONDecodeError, RecursionError):
        raise RefusedFile(
            _("This is not a JSON document: choose the .json file of a Confiance export.")
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RefusedFile(_("This JSON document is not a Confiance export."))
    if document.get("version") != VERSION:
        raise RefusedFile(
            _("This export is of version %(version)s; this Confiance reads version %(known)s.")
            % {"version": str(document.get("version"))[:10], "known": VERSION}
        )
    if not isinstance(document.get("clients"), list):
        raise RefusedFile(_("This export has no list of clients."))
    return document


def _record(model: type[models.Model], data: Any, **known: Any) -> models.Model:
    """Return an unsaved record from the export's values, each checked by its field (window, choices, length)."""
    if not isinstance(data, dict):
        raise RefusedFile(_("A record of the export is not an object."))
    values: dict[str, Any] = {}
    for field in stored_fields(model):
        if field.is_relation or field.name not in data:
            continue
        try:
            if isinstance(data[field.name], OutOfRange):
                raise ValidationError(
                    _("The number %(number)s is out of range.") % {"number": str(data[field.name])}
                )
            values[field.attname] = field.clean(data[field.name], None)
        except (ValidationError, TypeError) as error:
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            raise RefusedFile(
                _("%(kind)s “%(field)s”: %(error)s")
                % {"kind": model._meta.verbose_name, "field": field.name, "error": message[:200]}
            ) from None
    return model(**values, **known)


def import_book(owner: Any, document: dict[str, Any], progress: Callable[[int], None]) -> dict[str, int]:
    """Write the export's records into the owner's empty book, in one transaction; return what was written."""
    if Client.objects.filter(owner=owner).exists():
        raise RefusedFile(_("A Confiance export is imported into an empty book only: this one has clients."))
    counts = {"clients": 0}
    try:
        with transaction.atomic():
            for done, data in enumerate(document["clients"], start=1):
                try:
                    _client_of(owner, data, counts)
                except RefusedFile as refused:
                    # Say which client of the file, as a CSV import names its row.
                    raise RefusedFile(
                        _("Client %(number)d of the file: %(problem)s") % {"number": done, "problem": refused}
                    ) from None
                counts["clients"] += 1
                if done % 100 == 0:
                    progress(done)
            import_identity(owner.profile, document.get("identity"))
            # Every client imported, through the journal's door once: contact clocks, trust health, book version.
            journal_changed(Client.objects.filter(owner=owner).values_list("pk", flat=True))
    except IntegrityError as error:
        raise RefusedFile(
            _("The export contradicts itself (%(error)s).") % {"error": str(error)[:200]}
        ) from None
    return counts


def _client_of(owner: Any, data: Any, counts: dict[str, int]) -> None:
    """Insert one client of the export and its records."""
    client = _record(Client, data, owner=owner)
    changed_at = client.updated_at
    # Inserted as it was: no save() (it would give the client a primary contact of its own address, and the
    # export has it) and no signals (the whole book is rescored once, by import_book).
    Client.objects.bulk_create([client])
    if changed_at is not None:  # `auto_now` wrote the time of the import: put back the export's
        Client.objects.filter(pk=client.pk).update(updated_at=changed_at)
    if data.get("away_until") and "absences" not in data:
        # An export written before absences were dated had the current one as `away_until`: a holiday up to
        # that day, from the last status update on (as the migration that made them dated wrote it).
        since = client.last_status_update_at or client.created_at
        end = _record(Absence, {"end_on": data["away_until"]}).end_on
        data = {**data, "absences": [{"kind": "holiday", "start_on": min(since.date(), end), "end_on": end}]}
    _children_of(client, data, counts)


def _children_of(client: Client, data: dict[str, Any], counts: dict[str, int]) -> None:
    """Insert a client's records (bulk, without signals), their references pointed at the new ids."""
    new_ids: dict[str, dict[int, int]] = {section: {} for section in set(REFERRED.values())}
    answers: list[tuple[Interaction, Any]] = []
    for section in SECTIONS:
        rows = data.get(section.name, [])
        if not isinstance(rows, list):
            raise RefusedFile(_("“%(name)s” of a client is not a list.") % {"name": section.name})
        records = []
        for row in rows:
            record = _record(section.model, row, client=client)
            for reference in section.references:
                target = row.get(reference)
                if reference == "answers":
                    answers.append((record, target))
                elif target is not None:
                    setattr(record, f"{reference}_id", _new_id(new_ids[REFERRED[reference]], target))
                elif not section.model._meta.get_field(reference).null:  # a scope change names its project
                    raise RefusedFile(
                        _("%(kind)s “%(field)s”: %(error)s")
                        % {
                            "kind": section.model._meta.verbose_name,
                            "field": reference,
                            "error": _("This field cannot be blank."),
                        }
                    )
            if any(field.name == "owner" for field in section.model._meta.concrete_fields):
                record.owner_id = client.owner_id  # the importing freelancer's, never the export's
            records.append(record)
        auto_now = [f.name for f in section.model._meta.concrete_fields if getattr(f, "auto_now", False)]
        kept = [[getattr(record, name) for name in auto_now] for record in records]
        section.model.objects.bulk_create(records)
        if auto_now and records:
            # `auto_now` wrote the time of the import: put back the export's (bulk_update leaves them as set).
            for record, values in zip(records, kept, strict=True):
                for name, value in zip(auto_now, values, strict=True):
                    setattr(record, name, value)
            section.model.objects.bulk_update(records, auto_now)
        counts[section.name] = counts.get(section.name, 0) + len(records)
        if section.name in new_ids:
            new_ids[section.name].update(
                {row.get("id"): record.pk for row, record in zip(rows, records, strict=True)}
            )
    for record, target in answers:
        if target is not None:
            record.answers_id = _new_id(new_ids["interactions"], target)
    Interaction.objects.bulk_update([record for record, target in answers if target is not None], ["answers"])


def _new_id(ids: dict[int, int], old: Any) -> int:
    if old not in ids:
        raise RefusedFile(
            _("A record refers to another that is not in the export (id %(id)s).") % {"id": str(old)[:20]}
        )
    return ids[old]


# -- the ZIP of CSVs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvStyle:
    """How a spreadsheet of one locale reads a CSV: a French Excel or LibreOffice splits on ";" (the comma is its
    decimal mark) and reads "1234,56" as a number; an English one splits on "," and reads "1234.56"."""

    delimiter: str
    decimal_mark: str


CSV_STYLES = {"comma": CsvStyle(",", "."), "semicolon": CsvStyle(";", ",")}


def csv_style_for(language: str) -> str:
    """Return the CSV style a spreadsheet in `language` opens as columns without an import dialog."""
    return "semicolon" if language.split("-")[0] == "fr" else "comma"


def _csv_lines(header: list[str], rows: Iterable[Iterable[Any]], style: CsvStyle) -> Iterator[bytes]:
    """Yield CSV bytes (UTF-8 with BOM, so spreadsheets read the accents), every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=style.delimiter)
    buffer.write("\ufeff")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralised(_cell(value, style)) for value in row])
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _cell(value: Any, style: CsvStyle) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", style.decimal_mark)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _client_rows(owner: Any) -> Iterator[list[Any]]:
    fields = stored_fields(Client)
    for batch in _client_batches(owner):
        for row in batch:
            yield [row["pk"], *(row[_column(f)] for f in fields)]


def _section_rows(owner: Any, section: Section) -> Iterator[list[Any]]:
    fields = stored_fields(section.model)
    rows = (
        section.model.objects.filter(client__owner=owner)
        .order_by("pk")
        .values_list("pk", "client_id", "client__name", *(_column(f) for f in fields))
    )
    yield from rows.iterator(chunk_size=2000)


def zip_of_csvs(owner: Any, style: str = "comma") -> ZipStream:
    """Return the book as a ZIP streamed as it is read: clients.csv, contacts.csv, ... (one CSV per kind), in
    one of `CSV_STYLES`."""
    chosen = CSV_STYLES[style]
    archive = ZipStream(sized=False)
    client_header = ["id", *(_name(f) for f in stored_fields(Client))]
    archive.add(_csv_lines(client_header, _client_rows(owner), chosen), "clients.csv")
    identity = identity_of(owner.profile)
    archive.add(_csv_lines(list(identity), [list(identity.values())], chosen), "identity.csv")
    for section in SECTIONS:
        header = ["id", "client_id", "client", *(_name(f) for f in stored_fields(section.model))]
        archive.add(_csv_lines(header, _section_rows(owner, section), chosen), f"{section.name}.csv")
    return archive

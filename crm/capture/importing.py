"""The one-off import of an `.mbox` or `.eml` file, by the same rules as the sync: the privacy sieve, one
interaction per Message-ID per freelancer, answers linked, trust rescored. Read with the standard library
(`mailbox.mbox`, the `email` parser), in batches, so a large export is never held in memory whole.
"""

from __future__ import annotations

import mailbox as mailboxes
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.utils import timezone

from crm.capture import journal
from crm.capture.messages import read
from crm.capture.privacy import Sieve
from crm.models import Mailbox

BATCH_SIZE = 500


@dataclass
class ImportResult:
    read: int = 0
    kept: int = 0
    logged: int = 0


def sieve_for(owner: Any) -> tuple[Sieve, str, bool]:
    """Return the owner's privacy sieve, status-update keyword and snippet choice (their mailbox's, if any)."""
    box = Mailbox.objects.filter(owner=owner).first()
    own = {owner.email, *([box.address, box.imap_user] if box else [])}
    if box is None:
        return Sieve.for_owner(owner, own=own), "", False
    sieve = Sieve.for_owner(owner, own=own, match_domains=box.match_domains, excluded=box.excluded_entries())
    return sieve, box.status_keyword, box.keep_snippet


def _raw_messages(upload: IO[bytes], name: str) -> Iterator[bytes]:
    if name.lower().endswith(".eml"):
        yield upload.read()
        return
    # `mailbox.mbox` reads a path: spool the upload to a private temporary file first.
    with tempfile.TemporaryDirectory(prefix="confiance-import-") as folder:
        path = Path(folder) / "import.mbox"
        with path.open("wb") as spool:
            for chunk in iter(lambda: upload.read(1024 * 1024), b""):
                spool.write(chunk)
        box = mailboxes.mbox(path, create=False)
        try:
            for key in box.iterkeys():
                yield box.get_bytes(key)
        finally:
            box.close()


def import_messages(owner: Any, raws: Iterable[bytes], *, now: datetime | None = None) -> ImportResult:
    """Log the kept messages of `raws` in `owner`'s journal; return what was read, kept and logged."""
    now = now or timezone.now()
    sieve, keyword, with_snippet = sieve_for(owner)
    result = ImportResult()
    batch: list[journal.Placed] = []
    for raw in raws:
        result.read += 1
        facts = read(raw, with_snippet=with_snippet)
        spot = sieve.place(facts) if facts else None
        if facts and spot:
            batch.append(journal.Placed(facts, *spot))
        if len(batch) >= BATCH_SIZE:
            result.kept += len(batch)
            result.logged += journal.record(owner, batch, status_keyword=keyword, now=now)
            batch = []
    if batch:
        result.kept += len(batch)
        result.logged += journal.record(owner, batch, status_keyword=keyword, now=now)
    return result


def import_file(owner: Any, upload: IO[bytes], name: str, *, now: datetime | None = None) -> ImportResult:
    """Import an uploaded `.mbox` or `.eml` file (see `import_messages`)."""
    return import_messages(owner, _raw_messages(upload, name), now=now)

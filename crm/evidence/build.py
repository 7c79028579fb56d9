"""Build an evidence pack: its sections drawn into one HTML document, laid out as a PDF by WeasyPrint, and a ZIP
of the PDF with its sources.

1. Read the book as it stands now, section by section (`crm/evidence/sections.py`), in the freelancer's language
   and time zone; each section reads a bounded number of rows for the PDF.
2. Lay the document out as a PDF. WeasyPrint fetches nothing from outside: only `data:` URLs (the logo) load.
3. Write the ZIP to a temporary file: the PDF, then each section's records streamed from the database as CSV
   and JSON, then the emails sent to the client (the payment reminders and the status updates sent from the
   app) as .eml files.
4. Keep both on the pack's row and drop the client's packs older than the newest `KEEP_PER_CLIENT`.

Progress is kept in the cache, like an import's (crm/dataio/imports.py): the page polling it reads it while the
worker writes.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crm.dataio.book import csv_style_for
from crm.dataio.reading import neutralised
from crm.evidence.sections import SECTIONS, Pack, plain
from crm.models import EvidencePack, OutgoingStatusUpdate, PaymentReminder
from crm.models.evidence import KEEP_PER_CLIENT
from crm.payments.claims import load_rates
from crm.reminders.emails import render_email
from crm.reminders.payment_follow_up import email_context

logger = logging.getLogger(__name__)

PROGRESS_KEPT = 60 * 60
# The steps a pack's progress counts: each section, the PDF's layout, the ZIP.
STEPS = len(SECTIONS) + 2


def progress_key(pack: EvidencePack) -> str:
    return f"evidence-pack-progress:{pack.pk}"


def set_progress(pack: EvidencePack, done: int) -> None:
    cache.set(progress_key(pack), done, PROGRESS_KEPT)


def progress_of(pack: EvidencePack) -> int:
    """Return the pack's progress in percent (100 once finished)."""
    if pack.finished:
        return 100
    return min(99, round(100 * cache.get(progress_key(pack), 0) / STEPS))


def file_stem(pack: EvidencePack) -> str:
    """Return the files' name: the client and the day the pack was drawn up (in the freelancer's zone)."""
    day = timezone.localtime(pack.built_at or pack.created_at, pack.owner.profile.zone).date()
    return f"{_('evidence')}-{slugify(pack.client.name) or pack.client_id}-{day.isoformat()}"


def build(
    pack: EvidencePack, now: datetime | None = None, progress: Callable[[int], None] | None = None
) -> None:
    """Build `pack` (steps 1 to 4 above); a failure is kept on the row, in words, and logged."""
    progress = progress or (lambda done: set_progress(pack, done))
    profile = pack.owner.profile
    context = Pack(client=pack.client, profile=profile, now=now or timezone.now())
    try:
        with translation.override(pack.language), timezone.override(profile.zone):
            pdf = render_pdf(context, progress)
            progress(len(SECTIONS) + 1)
            pack.built_at = context.now
            archive = write_archive(context, pdf, file_stem(pack))
    except Exception:
        logger.exception("evidence pack %s could not be built", pack.pk)
        with translation.override(pack.language):
            pack.error = _("The pack could not be built. Try again; if it fails again, tell us.")
        pack.state = EvidencePack.State.FAILED
        pack.save(update_fields=["state", "error"])
        return
    pack.pdf, pack.archive = pdf, archive
    pack.pdf_bytes, pack.archive_bytes = len(pdf), len(archive)
    pack.state = EvidencePack.State.DONE
    pack.save(update_fields=["pdf", "archive", "pdf_bytes", "archive_bytes", "state", "built_at"])
    progress(STEPS)
    older = EvidencePack.objects.filter(client_id=pack.client_id).values_list("pk", flat=True)[
        KEEP_PER_CLIENT:
    ]
    EvidencePack.objects.filter(pk__in=list(older)).delete()


def render_html(context: Pack, progress: Callable[[int], None] = lambda done: None) -> str:
    """Return the pack as one HTML document, in the active language and time zone."""
    parts = []
    for done, section in enumerate(SECTIONS, start=1):
        parts.append((section, render_to_string(section.template, section.build(context))))
        progress(done)
    return render_to_string(
        "evidence/document.html",
        {
            "sections": parts,
            "client": context.client,
            "identity": context.profile,
            "drawn_up_at": context.local(context.now),
        },
    )


def render_pdf(context: Pack, progress: Callable[[int], None] = lambda done: None) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, which only the workers that build packs need.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = render_html(context, progress)
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def write_archive(context: Pack, pdf: bytes, stem: str) -> bytes:
    """Return the ZIP of the PDF, the records and the emails, written through a temporary file."""
    delimiter = ";" if csv_style_for(translation.get_language() or "en") == "semicolon" else ","
    with tempfile.TemporaryFile() as spool:
        with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{stem}.pdf", pdf)
            for section in SECTIONS:
                if section.records is None:
                    continue
                _write_csv(archive, f"records/{section.name}.csv", section.records(context), delimiter)
                _write_json(archive, f"records/{section.name}.json", section.records(context))
            for name, message in sent_emails(context):
                archive.writestr(f"emails/{name}", message)
        spool.seek(0)
        return spool.read()


def _write_csv(archive: zipfile.ZipFile, name: str, rows: Iterator[dict[str, Any]], delimiter: str) -> None:
    """Stream `rows` into the ZIP as a CSV (UTF-8 with BOM for spreadsheets; cells neutralised against
    formulas); the header is the first row's keys."""
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
        writer = csv.writer(text, delimiter=delimiter)
        header: list[str] | None = None
        for row in rows:
            if header is None:
                header = list(row)
                writer.writerow(header)
            writer.writerow([neutralised(str(plain(row[key]))) for key in header])


def _write_json(archive: zipfile.ZipFile, name: str, rows: Iterable[dict[str, Any]]) -> None:
    """Stream `rows` into the ZIP as one JSON array, a row at a time."""
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        text.write("[")
        for count, row in enumerate(rows):
            text.write(
                ("," if count else "")
                + "\n"
                + json.dumps({k: plain(v) for k, v in row.items()}, ensure_ascii=False)
            )
        text.write("\n]\n")


def sent_emails(context: Pack) -> Iterator[tuple[str, bytes]]:
    """Yield (file name, RFC 5322 message) for each email the app sent the client: its payment reminders, drawn
    again from what they said on the day they left (the reminder's record holds no copy of the text), and the
    status updates sent from the app, as stored."""
    reminders = (
        PaymentReminder.objects.filter(invoice__client=context.client, state=PaymentReminder.State.SENT)
        .exclude(sent_at=None)
        .select_related("invoice__client", "owner__profile")
        .order_by("sent_at", "pk")
    )
    client = context.client
    rates = None
    for reminder in reminders.iterator(chunk_size=100):
        # Read once for every reminder (and not at all without one): the letter's claim reads the dated rates.
        rates = load_rates() if rates is None else rates
        with translation.override(client.language):
            email = render_email(
                "payment-reminder",
                email_context(reminder, reminder.sent_at, rates),
                to=[client.email],
                from_email=context.profile.sender(settings.DEFAULT_FROM_EMAIL),
            )
        email.extra_headers["Date"] = format_datetime(reminder.sent_at)
        email.extra_headers["Message-ID"] = make_msgid("payment-reminder")
        day = context.local(reminder.sent_at).date().isoformat()
        yield (
            f"{day}-{_('payment-reminder')}-{reminder.invoice.number}-{reminder.step}.eml",
            email.message().as_bytes(),
        )
    updates = (
        OutgoingStatusUpdate.objects.filter(client=client, dispatch__state="sent")
        .select_related("dispatch")
        .order_by("dispatch__sent_at", "pk")
    )
    sender = context.profile.sender(context.profile.business_email or settings.DEFAULT_FROM_EMAIL)
    for update in updates.iterator(chunk_size=100):
        sent_at = update.dispatch.sent_at or update.dispatch.due_at
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, update.to, update.subject
        message["Date"] = format_datetime(sent_at)
        message["Message-ID"] = update.message_id
        message.set_content(update.body)
        yield (
            f"{context.local(sent_at).date().isoformat()}-{_('status-update')}-{update.pk}.eml",
            message.as_bytes(),
        )

"""The import and export pages: upload, preview and mapping, progress; the exports, streamed."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from clients.models import Contact
from crm.core.ownership import owned_or_404
from crm.dataio import book, imports, vcards
from crm.dataio.forms import MappingForm, UploadForm
from crm.dataio.reading import RefusedFile, upload_limit
from crm.models import BookImport

SAMPLES = Path(__file__).resolve().parent / "samples"
SAMPLE_FILES = {"clients": "clients.csv", "history": "history.csv", "vcard": "contacts.vcf"}
RECENT = 10


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a file: refused with a clear message, or kept for its preview."""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload, kind = form.cleaned_data["file"], form.cleaned_data["kind"]
        try:
            if upload.size > upload_limit(kind):  # refused before it is read into memory
                raise RefusedFile(
                    _("The file is larger than %(size)d MB: split it, or export fewer columns.")
                    % {"size": settings.UPLOAD_MAX_MB[kind]}
                )
            if imports.read_by_worker(kind, upload.size):
                book_import = imports.receive_for_worker(request.user, kind, upload.name, upload.read())
                return _queue(book_import)
            book_import = imports.receive(request.user, kind, upload.name, upload.read())
        except RefusedFile as refused:
            form.add_error("file", str(refused))
        else:
            return redirect("web:import_preview", import_id=book_import.pk)
    recent = BookImport.objects.filter(owner=request.user).defer("text")[:RECENT]
    context = {"form": form, "recent": recent, "samples": SAMPLE_FILES}
    return render(request, "crm/import.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, import_id: int) -> HttpResponse:
    """Show what the file would import, every row's problems and the rows already in the book; map its columns;
    run it (a file whose every row is already there imports nothing, so it is not run)."""
    book_import = owned_or_404(BookImport, request.user, pk=import_id)
    if book_import.state != BookImport.State.PREVIEW:
        return redirect("web:import_progress", import_id=book_import.pk)
    checked = imports.check(book_import)
    already = imports.already_there(book_import, checked)
    nothing_new = bool(checked.rows) and len(already) == len(checked.rows)
    header = checked.table.header if checked.table else []
    form = MappingForm(request.POST or None, book_import=book_import, header=header)
    if request.method == "POST" and form.is_valid():
        if form.mapping() != book_import.mapping or request.POST.get("action") != "import":
            book_import.mapping = form.mapping()
            book_import.save(update_fields=["mapping"])
            return redirect("web:import_preview", import_id=book_import.pk)
        if not checked.problems and not nothing_new:
            return _start(request, book_import)
    context = {
        "book_import": book_import,
        "form": form,
        "header": header,
        "sample": checked.table.rows[:20] if checked.table else [],
        "people": checked.rows[:20] if not checked.table else [],
        "problems": checked.problems[:500],
        "problem_count": len(checked.problems),
        "already": already[:500],
        "already_count": len(already),
        "nothing_new": nothing_new,
    }
    return render(request, "crm/import_preview.html", context)


def _start(request: HttpRequest, book_import: BookImport) -> HttpResponse:
    """Import a small file now; queue a large one for a worker (after this transaction commits)."""
    if book_import.rows <= imports.IN_REQUEST_ROWS:
        imports.run(book_import)
    else:
        book_import.state = BookImport.State.QUEUED
        book_import.save(update_fields=["state"])
        return _queue(book_import)
    return redirect("web:import_progress", import_id=book_import.pk)


def _queue(book_import: BookImport) -> HttpResponse:
    """Send a queued import to a worker once this transaction commits; show its progress."""
    from crm.dataio.tasks import run_import

    transaction.on_commit(lambda: run_import.delay(book_import.pk))
    return redirect("web:import_progress", import_id=book_import.pk)


@login_required
@require_GET
def import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """Show the import's progress (htmx polls the bar until it is done), then what it did."""
    book_import = owned_or_404(BookImport.objects.defer("text"), request.user, pk=import_id)
    template = (
        "crm/import_progress.html#progress"
        if request.headers.get("HX-Request")
        else "crm/import_progress.html"
    )
    context = {"book_import": book_import, "percent": imports.progress_of(book_import)}
    return render(request, template, context)


@login_required
@require_GET
def import_sample(request: HttpRequest, kind: str) -> FileResponse:
    if kind not in SAMPLE_FILES:
        raise Http404
    name = SAMPLE_FILES[kind]
    return FileResponse((SAMPLES / name).open("rb"), as_attachment=True, filename=f"confiance-{name}")


@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    # The spreadsheet style of the user's language comes first: it opens as columns without a dialog.
    styles = (
        ["semicolon", "comma"]
        if book.csv_style_for(get_language()) == "semicolon"
        else ["comma", "semicolon"]
    )
    return render(request, "crm/export.html", {"csv_styles": styles})


def _download(stream: object, content_type: str, extension: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type=content_type)
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="confiance-{day}.{extension}"'
    return response


@login_required
@require_GET
def export_zip(request: HttpRequest) -> HttpResponse:
    style = request.GET.get("style") or book.csv_style_for(get_language())
    if style not in book.CSV_STYLES:
        return HttpResponseBadRequest(
            _("Unknown spreadsheet style “%(style)s”: choose one on the export page.") % {"style": style[:40]}
        )
    return _download(book.zip_of_csvs(request.user, style), "application/zip", "zip")


@login_required
@require_GET
def export_json(request: HttpRequest) -> StreamingHttpResponse:
    stream = (part.encode() for part in book.json_document(request.user))
    return _download(stream, "application/json", "json")


@login_required
@require_GET
def export_vcards(request: HttpRequest) -> StreamingHttpResponse:
    contacts = Contact.objects.for_owner(request.user).select_related("client").order_by("client__name", "pk")
    return _download(vcards.vcards(contacts.iterator(chunk_size=1000)), "text/vcard", "vcf")

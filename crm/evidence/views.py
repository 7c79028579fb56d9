"""The evidence pack's pages: a client's packs and the one-click build, a pack's progress, its downloads."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clients.models import Client
from crm.core.ownership import owned_or_404
from crm.evidence.build import file_stem, progress_of
from crm.models import EvidencePack
from crm.models.evidence import KEEP_PER_CLIENT

# A second click within this time, while the first pack is still being built, shows that pack: no second build.
SAME_REQUEST_WITHIN = timedelta(minutes=5)


@login_required
@require_GET
def client_evidence_packs(request: HttpRequest, client_id: int) -> HttpResponse:
    """List the client's packs (newest first) under the button that builds a new one."""
    client = owned_or_404(Client, request.user, pk=client_id)
    packs = EvidencePack.objects.without_files().filter(client=client)[:KEEP_PER_CLIENT]
    return render(request, "evidence/packs.html", {"client": client, "packs": packs})


@login_required
@require_POST
def client_evidence_pack_new(request: HttpRequest, client_id: int) -> HttpResponse:
    """Queue a new pack for a worker (after this transaction commits) and show its progress."""
    client = owned_or_404(Client.objects.select_for_update(), request.user, pk=client_id)
    pending = (
        EvidencePack.objects.without_files()
        .filter(
            client=client,
            state__in=[EvidencePack.State.QUEUED, EvidencePack.State.RUNNING],
            created_at__gte=timezone.now() - SAME_REQUEST_WITHIN,
        )
        .first()
    )
    if pending is not None:
        return redirect("web:evidence_pack", pack_id=pending.pk)
    pack = EvidencePack.objects.create(client=client, language=request.user.profile.language)
    from crm.evidence.tasks import build_evidence_pack

    transaction.on_commit(lambda: build_evidence_pack.delay(pack.pk))
    return redirect("web:evidence_pack", pack_id=pack.pk)


@login_required
@require_GET
def evidence_pack(request: HttpRequest, pack_id: int) -> HttpResponse:
    """Show the pack's progress (htmx polls it until it is built), then its downloads."""
    pack = owned_or_404(
        EvidencePack.objects.without_files().select_related("client"), request.user, pk=pack_id
    )
    template = "evidence/pack.html#progress" if request.headers.get("HX-Request") else "evidence/pack.html"
    return render(request, template, {"pack": pack, "client": pack.client, "percent": progress_of(pack)})


def _download(
    request: HttpRequest, pack_id: int, field: str, content_type: str, extension: str
) -> HttpResponse:
    """Return the pack's PDF or ZIP (`field`), read alone from its row; a pack not yet built shows its progress."""
    other = "archive" if field == "pdf" else "pdf"
    packs = EvidencePack.objects.defer(other).select_related("client", "owner__profile")
    pack = owned_or_404(packs, request.user, pk=pack_id)
    if pack.state != EvidencePack.State.DONE:
        return redirect("web:evidence_pack", pack_id=pack.pk)
    response = HttpResponse(bytes(getattr(pack, field)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_stem(pack)}.{extension}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def evidence_pack_pdf(request: HttpRequest, pack_id: int) -> HttpResponse:
    return _download(request, pack_id, "pdf", "application/pdf", "pdf")


@login_required
@require_GET
def evidence_pack_zip(request: HttpRequest, pack_id: int) -> HttpResponse:
    return _download(request, pack_id, "archive", "application/zip", "zip")

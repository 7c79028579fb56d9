"""Prepare a status update from the draft, and log it as sent (which restarts the client's cadence)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from clients.models import Client
from crm.forms_reminders import StatusUpdateForm
from crm.status_updates import log_status_update, mailto_link, status_update_draft

TEMPLATE = "crm/status_update.html"


def _client_for(request: HttpRequest, client_id: int) -> Client:
    return get_object_or_404(Client, pk=client_id, owner=request.user)


def _workspace_url(client: Client) -> str:
    try:
        return reverse("crm:client", kwargs={"client_id": client.pk})
    except NoReverseMatch:  # the workspace page is another module's; fall back to the dashboard
        return reverse("crm:dashboard")


@login_required
@require_GET
def prepare_status_update(request: HttpRequest, client_id: int) -> HttpResponse:
    """Show the prepared draft, editable, with a mailto: link and a "mark as sent" button."""
    client = _client_for(request, client_id)
    subject, body = status_update_draft(client, timezone.now())
    form = StatusUpdateForm(initial={"subject": subject, "body": body})
    context = {
        "client": client,
        "form": form,
        "mailto": mailto_link(client.email, subject, body),
        "workspace_url": _workspace_url(client),
    }
    template = TEMPLATE + "#draft" if getattr(request, "htmx", False) else TEMPLATE
    return render(request, template, context)


@login_required
@require_POST
def mark_status_update_sent(request: HttpRequest, client_id: int) -> HttpResponse:
    """Log the (edited) status update as sent to the client, then go back to the client's workspace."""
    client = _client_for(request, client_id)
    form = StatusUpdateForm(request.POST)
    if not form.is_valid():
        context = {"client": client, "form": form, "workspace_url": _workspace_url(client)}
        template = TEMPLATE + "#draft" if getattr(request, "htmx", False) else TEMPLATE
        return render(request, template, context, status=400)
    log_status_update(client, form.cleaned_data["subject"], form.cleaned_data["body"], timezone.now())
    if getattr(request, "htmx", False):
        return render(
            request, TEMPLATE + "#sent", {"client": client, "workspace_url": _workspace_url(client)}
        )
    messages.success(request, _("Status update logged for %(client)s.") % {"client": client.name})
    return redirect(_workspace_url(client))

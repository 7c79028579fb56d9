"""Edit and delete anything logged: interactions, promises, invoices, conflict signals, projects and clients.

An edit is a page of its own (no JS) or, from htmx, the item swapped in place for its form and back. A delete asks
first on a page of its own (a client's says what goes with it), or from htmx goes at once with an "Undo" toast:
everything deleted goes to the trash (crm.trash), restorable for 30 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from conflicts.forms import ConflictSignalEditForm
from crm.core.ownership import owned_or_404
from crm.trash.snapshot import client_summary, to_trash
from crm.trash.undo import remember_deleted
from crm.trust.door import journal_changed
from crm.web.forms import InteractionEditForm, InvoiceEditForm, PromiseEditForm
from crm.web.views.common import (
    CLIENTS,
    CONTACTS,
    INTERACTIONS,
    INVOICES,
    PROJECTS,
    PROMISES,
    SIGNALS,
    HtmxHttpRequest,
    answer_with_undo,
    next_url,
    refresh_regions,
    workspace_url,
)


@dataclass(frozen=True)
class Editable:
    """One kind of journal item: what to fetch it from (for its owner), its edit form, its URLs' id and its words."""

    source: str
    records: Any
    form_class: type[forms.ModelForm]
    id_kwarg: str
    title: LazyText
    saved: LazyText
    deleted: LazyText


EDITABLE = {
    "interaction": Editable(
        "interaction",
        INTERACTIONS,
        InteractionEditForm,
        "interaction_id",
        _("Edit the interaction"),
        _("Interaction saved."),
        _("Interaction deleted."),
    ),
    "promise": Editable(
        "promise",
        PROMISES,
        PromiseEditForm,
        "promise_id",
        _("Edit the promise"),
        _("Promise saved."),
        _("Promise deleted."),
    ),
    "invoice": Editable(
        "invoice",
        INVOICES,
        InvoiceEditForm,
        "invoice_id",
        _("Edit the invoice"),
        _("Invoice saved."),
        _("Invoice deleted."),
    ),
    "conflict": Editable(
        "conflict",
        SIGNALS,
        ConflictSignalEditForm,
        "signal_id",
        _("Edit the conflict signal"),
        _("Conflict signal saved."),
        _("Conflict signal deleted."),
    ),
}


def _urls(kind: Editable, item: Any, show_client: bool) -> dict[str, str]:
    kwargs = {kind.id_kwarg: item.pk}
    detail = reverse(f"web:{kind.source}", kwargs=kwargs)
    return {
        "action": reverse(f"web:{kind.source}_edit", kwargs=kwargs),
        "cancel": f"{detail}?show_client=1" if show_client else detail,
        "detail": detail,
    }


@login_required
@require_http_methods(["GET", "POST"])
def edit_item(request: HtmxHttpRequest, kind: str, **ids: int) -> HttpResponse:
    """Show an item's edit form (a page, or in place for htmx); save a valid one and show the item again."""
    editable = EDITABLE[kind]
    item = owned_or_404(
        editable.records, request.user, pk=ids[editable.id_kwarg], for_update=request.method == "POST"
    )
    show_client = request.GET.get("show_client") == "1" or request.POST.get("show_client") == "1"
    form = editable.form_class(request.POST or None, instance=item, owner=request.user)
    form.auto_id = f"edit-{kind}-{item.pk}-%s"  # several items may be edited on one page
    was_client = item.client_id  # an item moved to another client changes both journals
    if request.method == "POST":
        # A repeat of a post already saved (a double click) saves nothing and answers as the first one did; a
        # change made elsewhere since the form was drawn is shown, not overwritten (VersionedFormMixin).
        # The door recomputes the clients' trust health in the request's transaction (clients.middleware).
        if form.is_valid():
            saved, url = form.save_once(
                request.user, lambda obj: next_url(request, workspace_url(obj.client_id))
            )
            if saved is not None:
                journal_changed([was_client, saved.client_id])
        else:
            saved, url = None, form.earlier_submission(request.user)
        if url is not None:
            if request.htmx:
                item = saved or owned_or_404(editable.records, request.user, pk=ids[editable.id_kwarg])
                context = {"item": item, "today": timezone.localdate(), "show_client": show_client}
                return refresh_regions(render(request, f"crm/items.html#{kind}", context))
            messages.success(request, editable.saved)
            return redirect(url)
    context = {
        "form": form,
        "item": item,
        "source": kind,
        "show_client": show_client,
        "title": editable.title,
        "back": workspace_url(item.client_id),
        **_urls(editable, item, show_client),
    }
    template = "crm/edit_form.html#form" if request.htmx else "crm/edit_form.html"
    return render(request, template, context)


def _delete(
    request: HtmxHttpRequest, item: Any, text: Any, fallback: str, context: dict[str, Any]
) -> HttpResponse:
    """Ask before deleting (GET), or move `item` and what goes with it to the trash and offer to undo (POST)."""
    if request.method != "POST":
        return render(request, "crm/delete.html", {"item": item, **context})
    with transaction.atomic(savepoint=False):  # nothing to catch: a failure rolls the request back
        undo = remember_deleted(request.user, to_trash(item, request.user))
    # After a plain POST, never go back to the page of what no longer exists.
    gone = next_url(request, fallback).split("?")[0] == context.get("detail")
    return answer_with_undo(request, str(text), undo, fallback, follow_next=not gone)


@login_required
@require_http_methods(["GET", "POST"])
def delete_item(request: HtmxHttpRequest, kind: str, **ids: int) -> HttpResponse:
    editable = EDITABLE[kind]
    item = owned_or_404(editable.records, request.user, pk=ids[editable.id_kwarg])
    urls = _urls(editable, item, False)
    context = {"source": kind, "back": urls["detail"], "detail": urls["detail"]}
    return _delete(request, item, editable.deleted, workspace_url(item.client_id), context)


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project = owned_or_404(PROJECTS, request.user, pk=project_id)
    context = {"source": "project", "back": workspace_url(project.client_id)}
    return _delete(request, project, _("Project deleted."), workspace_url(project.client_id), context)


@login_required
@require_http_methods(["GET", "POST"])
def client_delete(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Say what goes with the client (its projects and journal) before deleting it; then go to the dashboard."""
    client = owned_or_404(CLIENTS, request.user, pk=client_id)
    workspace = workspace_url(client.pk)
    context = {"source": "client", "back": workspace, "detail": workspace}
    if request.method != "POST":
        context["summary"] = client_summary(client)
    text = _("%(client)s deleted, with everything that went with it.") % {"client": client.name}
    return _delete(request, client, text, reverse("web:dashboard"), context)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HtmxHttpRequest, contact_id: int) -> HttpResponse:
    contact = owned_or_404(CONTACTS, request.user, pk=contact_id)
    context = {"source": "contact", "back": workspace_url(contact.client_id)}
    return _delete(request, contact, _("Contact deleted."), workspace_url(contact.client_id), context)

"""Take an action back (the toast's "Undo"), and the trash: what was deleted, restorable for 30 days."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from crm.core.ownership import owned_or_404
from crm.models import TrashItem
from crm.trash.snapshot import RestoreError, restore
from crm.trash.undo import UndoError, take_back
from crm.web.views.common import (
    UNDOS,
    HtmxHttpRequest,
    answer_with_undo,
    paginate,
    workspace_url,
)


@login_required
@require_POST
def undo(request: HtmxHttpRequest, undo_id: int) -> HttpResponse:
    """Put back what the action recorded in this undo changed (or restore what it deleted)."""
    # Read under its row's lock, so `take_back` checks its expiry as read: a double click waits, then finds it gone.
    pending = owned_or_404(UNDOS, request.user, for_update=True, pk=undo_id)
    fallback = reverse("web:dashboard")
    try:
        take_back(pending)
    except UndoError as error:
        return answer_with_undo(request, str(error), None, fallback, level=messages.ERROR)
    return answer_with_undo(request, _("Undone."), None, fallback)


@login_required
def trash_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the owner's deleted records that can still be restored, newest first."""
    items = TrashItem.objects.for_owner(request.user).restorable(timezone.now()).defer("rows", "relinks")
    return render(request, "crm/trash.html", {"page": paginate(request, items)})


@login_required
@require_POST
def trash_restore(request: HtmxHttpRequest, trash_id: int) -> HttpResponse:
    """Bring a deleted record back, with the same ids and everything that went with it."""
    item = owned_or_404(TrashItem, request.user, pk=trash_id)
    try:
        client = restore(item)
    except RestoreError as error:
        messages.error(request, str(error))
        return redirect("web:trash")
    messages.success(request, _("%(what)s restored.") % {"what": item.label})
    return redirect(workspace_url(client.pk))


@login_required
@require_http_methods(["GET", "POST"])
def trash_delete(request: HtmxHttpRequest, trash_id: int) -> HttpResponse:
    """Ask first (this cannot be undone), then delete a trash item for good."""
    item = owned_or_404(TrashItem, request.user, pk=trash_id)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        item.delete()
        messages.success(request, _("%(what)s deleted for good.") % {"what": item.label})
        return redirect("web:trash")
    return render(request, "crm/trash.html", {"confirming": item})

"""A client's contacts in its workspace: the list (a named partial of the workspace) and making one primary.

Adding, editing and deleting a contact are pages like a project's (crm/web/views/pages.py and edits.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.ownership import owned_or_404
from crm.web.views.common import CONTACTS, HtmxHttpRequest, workspace_url


@login_required
@require_POST
def contact_make_primary(request: HtmxHttpRequest, contact_id: int) -> HttpResponse:
    """Make the contact its client's primary one; htmx gets the workspace's contacts again, others the page."""
    contact = owned_or_404(CONTACTS, request.user, pk=contact_id)
    with transaction.atomic(savepoint=False):  # nothing to catch: a failure rolls the request back
        contact.make_primary()
    client = contact.client
    if request.htmx:
        context = {"client": client, "contacts": client.contacts.all()}
        return render(request, "crm/client.html#contacts", context)
    messages.success(request, _("%(contact)s is now the primary contact.") % {"contact": contact.name})
    return redirect(workspace_url(client.pk))

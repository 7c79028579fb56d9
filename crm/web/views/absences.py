"""A client's absences (holidays, illness, pauses) and its projects' pauses: one-click actions from its workspace.

Adding and editing an absence are pages like a contact's (crm/web/views/pages.py). Each change goes through the
journal's door: an absence moves the status-update cadence, so the score.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.models import Absence
from crm.core.ownership import owned_or_404, shared
from crm.trust.door import journal_changed
from crm.web.views.common import PROJECTS, HtmxHttpRequest, workspace_url

ABSENCES = shared(Absence.objects.select_related("client", "project"))


def _changed(request: HtmxHttpRequest, client_id: int, done: str) -> HttpResponse:
    """Take the client through the journal's door (its status updates and score follow the absence), say what
    was done and go back to its workspace."""
    journal_changed([client_id])
    messages.success(request, done)
    return redirect(workspace_url(client_id))


@login_required
@require_POST
def absence_end(request: HtmxHttpRequest, absence_id: int) -> HttpResponse:
    """End the absence today (the client is back): from tomorrow on, status updates fall due again."""
    absence = owned_or_404(ABSENCES, request.user, pk=absence_id)
    absence.end(timezone.localdate())
    return _changed(request, absence.client_id, _("Absence ended today."))


@login_required
@require_POST
def absence_delete(request: HtmxHttpRequest, absence_id: int) -> HttpResponse:
    """Delete an absence entered by mistake: the silence during it counts again."""
    absence = owned_or_404(ABSENCES, request.user, pk=absence_id)
    client_id = absence.client_id
    absence.delete()
    return _changed(request, client_id, _("Absence deleted."))


@login_required
@require_POST
def project_pause(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    """Pause the project from today: while every active project of the client is paused, no update is owed."""
    project = owned_or_404(PROJECTS, request.user, pk=project_id)
    project.pause(timezone.localdate())
    return _changed(request, project.client_id, _("%(project)s is paused.") % {"project": project.title})


@login_required
@require_POST
def project_resume(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    """Resume the project today."""
    project = owned_or_404(PROJECTS, request.user, pk=project_id)
    project.resume(timezone.localdate())
    return _changed(request, project.client_id, _("%(project)s is resumed.") % {"project": project.title})

"""A project's scope: what was agreed (goals, deliverables, budget, due date) and the dated log of its changes,
each logged by the freelancer and decided by each side (the client decides on the client's page, crm/portal/).

Every change goes through the journal's door: unpriced changes weigh on the trust health (scope drift).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import Project
from crm.core.ownership import owned_or_404, shared
from crm.models import ScopeChange
from crm.models.scope import agreed_scope
from crm.trust.door import journal_changed
from crm.web.forms import ScopeChangeForm
from crm.web.views.common import PROJECTS, HtmxHttpRequest

SCOPE_CHANGES = shared(ScopeChange.objects.select_related("project", "client"))
PAGE = "crm/project.html"


def project_url(project_id: int) -> str:
    return reverse("web:project", kwargs={"project_id": project_id})


def _page(
    request: HtmxHttpRequest, project: Project, form: ScopeChangeForm | None = None, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    changes = list(project.scope_changes.order_by("-asked_on", "-pk"))
    for change in changes:
        change.project = project  # the log's rows read their project from here: no query per row
    if form is None:
        form = ScopeChangeForm(initial={"asked_on": today, "asked_by": ScopeChange.Side.CLIENT}, today=today)
    context = {
        "project": project,
        "client": project.client,
        "changes": changes,
        "agreed": agreed_scope(project, changes),
        "pending": sum(1 for change in changes if change.state == ScopeChange.Decision.PENDING),
        "form": form,
    }
    return render(request, PAGE, context, status=status)


@login_required
def project_detail(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    """Show the project's agreed scope, its current budget and due date, and the log of its changes."""
    return _page(request, owned_or_404(PROJECTS, request.user, pk=project_id))


@login_required
def scope_change_detail(request: HtmxHttpRequest, scope_change_id: int) -> HttpResponse:
    """Go to the change in its project's log (where a trust reason's evidence links)."""
    change = owned_or_404(ScopeChange, request.user, pk=scope_change_id)
    return redirect(f"{project_url(change.project_id)}#scope-change-{change.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def scope_change_new(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    """Log a change of the project's scope (the side that asks agrees to it by asking)."""
    project = owned_or_404(PROJECTS, request.user, pk=project_id)
    if request.method == "GET":
        return redirect(project_url(project.pk) + "#scope-change-new")
    now = timezone.now()
    instance = ScopeChange(client=project.client, project=project)
    form = ScopeChangeForm(request.POST, instance=instance, today=timezone.localdate())
    if not form.is_valid():
        earlier = form.earlier_submission(request.user)
        if earlier:
            return redirect(earlier)
        return _page(request, project, form, status=400)

    def save() -> ScopeChange:
        change = form.save(commit=False)
        change.ask(now)
        change.save()
        return change

    saved, url = form.save_once(request.user, project_url(project.pk), save=save)
    if saved is None:
        messages.info(request, _("This form was already sent: nothing was saved twice."))
    else:
        journal_changed([project.client_id])  # in the request's transaction (clients.middleware)
        messages.success(request, _("Scope change logged."))
    return redirect(url)


@login_required
@require_POST
def scope_change_decide(request: HtmxHttpRequest, scope_change_id: int, accepted: bool) -> HttpResponse:
    """Accept or decline, as the freelancer, a change the client asked for; accepted by both, it moves the
    project's budget and due date."""
    change = owned_or_404(SCOPE_CHANGES, request.user, pk=scope_change_id)
    try:
        change.decide(ScopeChange.Side.FREELANCER, accepted, timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        journal_changed([change.client_id])
        messages.success(request, _("Scope change accepted.") if accepted else _("Scope change declined."))
    return redirect(project_url(change.project_id))

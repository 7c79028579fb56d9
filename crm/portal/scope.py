"""The client's decision on a scope change, from the client's page: accept or decline a change the freelancer
logged (crm/web/views/scope.py). The link is the only credential, as for the payment date (crm/portal/views.py):
CSRF, the token pages' rate limit, a one-time form token against double submits, and the journal's door."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from crm.core.ratelimit import rate_limit
from crm.models import ClientPage, ScopeChange
from crm.portal.forms import ScopeDecisionForm
from crm.portal.views import no_page, render_page
from crm.trust.door import journal_changed


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def scope_change_decide(request: HttpRequest, token: str, accepted: bool) -> HttpResponse:
    """Record the client's decision on one of their scope changes (the `scope_change` posted), once, and show the
    page again (POST/redirect/GET)."""
    page = ClientPage.objects.for_token(token)  # first: a wrong link is a 404 whatever the method
    if page is None:
        return no_page(request, token)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    client = page.client
    decision = ScopeChange.Decision.ACCEPTED if accepted else ScopeChange.Decision.DECLINED
    with translation.override(client.language):
        form = ScopeDecisionForm(request.POST, client=client, answerable=page.show_projects)
        earlier = form.earlier_submission(client.owner)
        if earlier:  # a double click: the first one decided
            return redirect(earlier)
        if not form.is_valid():
            errors = [error for errors in form.errors.values() for error in errors]
            return render_page(request, page, preview=False, status=400, errors=errors)
        change = form.cleaned_data["scope_change"]
        done_url = (
            f"{reverse('portal:page', kwargs={'token': token})}?scope={decision}#scope-change-{change.pk}"
        )

        def save() -> ScopeChange:
            change.decide(ScopeChange.Side.CLIENT, accepted, timezone.now())
            return change

        saved, url = form.save_once(client.owner, done_url, save=save)
        if saved is not None:
            journal_changed([client.pk])  # in the request's transaction (clients.middleware)
        return redirect(url)

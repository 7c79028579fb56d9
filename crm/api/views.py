"""Settings → API tokens (`web:api_tokens`): make a token (its value shown once), see when each was last used,
revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import AccessToken
from crm.api.forms import AccessTokenForm
from crm.core.ownership import owned_or_404

TEMPLATE = "crm/api_tokens.html"


def _page(request: HttpRequest, form: AccessTokenForm, **context: object) -> HttpResponse:
    tokens = AccessToken.objects.for_owner(request.user)
    return render(request, TEMPLATE, {"form": form, "tokens": tokens, **context})


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the tokens; on a valid post, make one and show its value, this once (only its hash is kept)."""
    form = AccessTokenForm(request.POST or None, instance=AccessToken(owner=request.user))
    if request.method != "POST":
        return _page(request, form)
    if form.earlier_submission(request.user) is not None:
        # A double click: the first post made the token and showed it; this one makes nothing.
        messages.info(
            request, _("That token was already made. If you did not copy it, revoke it and make another.")
        )
        return redirect("web:api_tokens")
    if not form.is_valid():
        return _page(request, form)
    issued: dict[str, str] = {}

    def issue() -> AccessToken:
        token, issued["raw"] = AccessToken.issue(
            request.user, form.cleaned_data["name"], form.cleaned_data["scope"]
        )
        return token

    token, _next = form.save_once(request.user, reverse("web:api_tokens"), issue)
    return _page(request, AccessTokenForm(), new_token=token, raw_token=issued.get("raw"))


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = owned_or_404(AccessToken, request.user, pk=token_id)
    token.revoke()
    messages.success(
        request, _("Token “%(name)s” revoked: it no longer opens the API.") % {"name": token.name}
    )
    return redirect("web:api_tokens")

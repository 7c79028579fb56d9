"""The client's page, opened by its private link (no login), and the freelancer's panel that manages it.

The page answers the link's holder and the freelancer's preview from one template: the preview adds its banner,
nothing else. Every page is `noindex`, never cached, and sends its address (the credential) as a referrer to
this site only: `same-origin`, not `no-referrer`, under which browsers post forms with `Origin: null`, which
Django's CSRF check refuses.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_http_methods, require_POST

from clients.models import BusinessLogo, Client
from clients.views import logo_response
from crm.core.ownership import owned_or_404
from crm.core.ratelimit import rate_limit
from crm.models import ClientPage
from crm.models.portal import CheckInCadence
from crm.portal.forms import ClientPageForm, PaymentDateForm
from crm.portal.page import page_sections, voice_section
from crm.portal.voice_forms import bound_forms
from crm.trust.door import journal_changed

PAGE = "portal/page.html"
GONE = "portal/no_page.html"
PANEL = "portal/panel.html"


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def _payment_form(page: ClientPage, invoice_id: int, today: Any, data: Any = None) -> PaymentDateForm:
    return PaymentDateForm(
        data,
        client=page.client,
        today=today,
        initial={"invoice": invoice_id},
        auto_id=f"id_%s_{invoice_id}",
    )


def _render_page(
    request: HttpRequest,
    page: ClientPage,
    *,
    preview: bool,
    answered: PaymentDateForm | None = None,
    status: int = 200,
    errors: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """Draw `page` in the client's language, dates in the freelancer's time zone (the page's one clock)."""
    client = page.client
    profile = client.owner.profile
    today = profile.local_today()
    with translation.override(client.language), timezone.override(profile.zone):
        sections = page_sections(page, today)
        answered_id = str(answered["invoice"].value()) if answered is not None else None
        shown_answer = False
        for item in sections.get("invoices", []):
            if item["overdue"]:
                pk = item["invoice"].pk
                shown_answer |= answered_id == str(pk)
                item["form"] = answered if answered_id == str(pk) else _payment_form(page, pk, today)
        # An answer about no invoice of the page (hidden, paid, another client's) says why above the sections.
        answer_errors = (
            [error for errors in answered.errors.values() for error in errors]
            if answered is not None and not shown_answer
            else []
        )
        context = {
            "page": page,
            "client": client,
            # Who the client deals with: the business identity, never the login name (clients/models.py).
            "freelancer": profile.client_facing_name,
            "identity": profile,
            "logo_url": _logo_url(page, preview),
            "today": today,
            "preview": preview,
            "preview_post": preview and request.method == "POST",
            "freelancer_language": profile.language,
            "confirmed": not preview and request.GET.get("confirmed") == "1",
            "answer_errors": [*answer_errors, *(errors or [])],
            # The client's decision on a scope change was recorded (crm/portal/scope.py).
            "scope_decided": "" if preview else request.GET.get("scope", "")[:10],
            # The link the page was opened by (the decisions post to it) and their one-time form tokens' stem.
            "page_token": ""
            if preview
            else (request.resolver_match.kwargs.get("token", "") if request.resolver_match else ""),
            "scope_form_token": secrets.token_urlsafe(12),
            **sections,
            # The client's voice (issue 26, crm/portal/voice_views.py): what they said, and the forms to say more.
            **voice_section(page),
            **bound_forms(),
            "link_token": None if preview else _token_of(request),
            "said": "" if preview else request.GET.get("said", ""),
            **(extra or {}),
        }
        return _private(render(request, PAGE, context, status=status))


def _token_of(request: HttpRequest) -> str | None:
    """Return the link's token the request came in on (the page's own, or one of its answers')."""
    match = getattr(request, "resolver_match", None)
    return match.kwargs.get("token") if match is not None else None


def _logo_url(page: ClientPage, preview: bool) -> str:
    """Return where the page's logo is served (through its own link, or the owner's settings), or ""."""
    if not BusinessLogo.objects.filter(owner_id=page.client.owner_id).exists():
        return ""
    if preview or not page.token:
        return reverse("business_logo")
    return reverse("portal:logo", kwargs={"token": page.token})


def _no_page(request: HttpRequest, token: str) -> HttpResponse:
    """Answer a link that opens no page with the client-facing page of its own, whatever DEBUG says (Django's debug
    404 would list the site's URLs): 410 in the client's language for a link replaced or turned off, else 404 in
    the language the browser asks for."""
    retired = ClientPage.objects.retired_for_token(token)
    if retired is None:
        return _private(render(request, GONE, {"gone": False}, status=404))
    with translation.override(retired.client.language):
        # Who the client dealt with: the business identity, never the login name (issue 24).
        context = {"gone": True, "freelancer": retired.client.owner.profile.client_facing_name}
        return _private(render(request, GONE, context, status=410))


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
@require_http_methods(["GET", "POST"])
def client_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the client's page to whoever holds its link; a POST confirms a new payment date."""
    page = ClientPage.objects.for_token(token)
    if page is None:
        return _no_page(request, token)
    if request.method == "POST":
        return _confirm_payment_date(request, page, token)
    return _render_page(request, page, preview=False)


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def logo(request: HttpRequest, token: str) -> HttpResponse:
    """Return the freelancer's logo to whoever holds the client's page link (nothing else reaches it)."""
    page = ClientPage.objects.for_token(token)  # first: a wrong link is a 404 whatever the method
    if page is None:
        raise Http404("Unknown link.")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _private(logo_response(get_object_or_404(BusinessLogo, owner_id=page.client.owner_id)))


def _confirm_payment_date(request: HttpRequest, page: ClientPage, token: str) -> HttpResponse:
    """Record the client's new payment date, once, and show the page again (POST/redirect/GET)."""
    client = page.client
    today = client.owner.profile.local_today()
    done_url = reverse("portal:page", kwargs={"token": token}) + "?confirmed=1"
    with translation.override(client.language):
        form = PaymentDateForm(request.POST, client=client, today=today, answerable=page.show_invoices)
        earlier = form.earlier_submission(client.owner)
        if earlier:  # a double submit of a form that no longer validates (the invoice is no longer overdue)
            return redirect(earlier)
        if form.is_valid():
            invoice, day = form.cleaned_data["invoice"], form.cleaned_data["new_due_on"]
            try:
                saved, url = form.save_once(
                    client.owner,
                    done_url,
                    save=lambda: invoice.confirm_new_date_by_client(day, today),
                )
                if saved is not None:
                    journal_changed([client.pk])  # in the request's transaction (clients.middleware)
            except ValidationError as error:
                form.add_error(None if hasattr(error, "error_dict") else "new_due_on", error)
            else:
                return redirect(url)
    return _render_page(request, page, preview=False, answered=form, status=400)


# The page drawn again (with an answer's errors), and the answer to a link that opens no page, for the client's
# other answers in their own modules (crm/portal/scope.py, crm/portal/voice_views.py).
render_page = _render_page
no_page = _no_page


# -- the freelancer's side ----------------------------------------------------------------------------------


def _panel_response(
    request: HttpRequest, client: Client, form: ClientPageForm | None = None, **extra: Any
) -> HttpResponse:
    page = ClientPage.objects.filter(client=client).first()
    if form is None and page is not None:
        form = ClientPageForm(instance=page)
    context = {"client": client, "client_page": page, "form": form, **extra}
    if page is not None and page.is_on and page.token:  # a link made before links were hashed cannot be shown
        context["link"] = request.build_absolute_uri(reverse("portal:page", kwargs={"token": page.token}))
    template = PANEL + "#panel" if getattr(request, "htmx", False) else PANEL
    return _private(
        render(request, template, context, status=400 if form is not None and form.errors else 200)
    )


def _back_to_panel(request: HttpRequest, client: Client, **extra: Any) -> HttpResponse:
    if getattr(request, "htmx", False):
        return _panel_response(request, client, **extra)
    return redirect("web:client_page", client_id=client.pk)


@login_required
@require_http_methods(["GET", "POST"])
def panel(request: HttpRequest, client_id: int) -> HttpResponse:
    """Show the client's page's link and choices; a POST saves what the page shows."""
    client = owned_or_404(Client, request.user, pk=client_id)
    if request.method == "GET":
        return _panel_response(request, client)
    page = get_object_or_404(ClientPage, client=client)
    cadence = page.check_in_cadence
    form = ClientPageForm(request.POST, instance=page)
    if not form.is_valid():
        return _panel_response(request, client, form)
    form.save()
    if page.check_in_cadence != cadence:
        page.client = client
        page.start_check_ins(timezone.now())  # the invitations run from the cadence chosen now (issue 26)
    return _back_to_panel(request, client, saved=True)


@login_required
@require_POST
def renew(request: HttpRequest, client_id: int) -> HttpResponse:
    """Make the client's page's link, or replace it: the old one is a 404 at once."""
    client = owned_or_404(Client, request.user, pk=client_id)
    page, created = ClientPage.objects.get_or_create(client=client)
    if not created:
        page.renew()
        if page.check_in_cadence != CheckInCadence.OFF:
            page.start_check_ins(timezone.now())  # a link on again: its invitations come again
    return _back_to_panel(request, client, renewed=True)


@login_required
@require_POST
def turn_off(request: HttpRequest, client_id: int) -> HttpResponse:
    """Turn the client's page's link off at once (making a new one turns the page on again)."""
    client = owned_or_404(Client, request.user, pk=client_id)
    page = get_object_or_404(ClientPage, client=client)
    page.turn_off()
    return _back_to_panel(request, client, turned_off=True)


@login_required
@require_http_methods(["GET", "POST"])
def preview(request: HttpRequest, client_id: int) -> HttpResponse:
    """Show the client's page exactly as the client sees it, with a banner saying it is a preview (its form
    posts back here, where nothing is recorded)."""
    # The owner and their profile in the same query: the page reads the freelancer's name, language and zone.
    client = owned_or_404(Client.objects.select_related("owner__profile"), request.user, pk=client_id)
    page = ClientPage.objects.filter(client=client).first() or ClientPage(client=client, owner=client.owner)
    page.client = client
    return _render_page(request, page, preview=True, status=400 if request.method == "POST" else 200)

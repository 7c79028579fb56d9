"""What every page of the web app shares: ownership helpers, the htmx request type, answers to actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import trigger_client_event
from django_htmx.middleware import HtmxDetails

from clients.models import Client, Contact, Project
from conflicts.models import ConflictSignal
from crm.core.ownership import shared
from crm.models import Interaction, Invoice, Promise, Undo

# Every region of a page that shows the journal (timeline, score panel, board, lists) listens for this
# event and reloads itself, so an action anywhere updates everything in place.
JOURNAL_CHANGED = "journal-changed"
PAGE_SIZE = 25


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: AbstractBaseUser


# What a page reads with each record, in the same query: fetched as `owned_or_404(PROMISES, request.user, pk=pk)`
# (`shared`: that read is compiled once).
CLIENTS = shared(Client.objects.select_related("health"))
PROJECTS = shared(Project.objects.select_related("client"))
CONTACTS = shared(Contact.objects.select_related("client"))
INTERACTIONS = shared(Interaction.objects.select_related("client"))
PROMISES = shared(Promise.objects.select_related("client"))
INVOICES = shared(Invoice.objects.select_related("client"))
SIGNALS = shared(ConflictSignal.objects.select_related("client"))
UNDOS = shared(Undo.objects.select_related("trash"))


def next_url(request: HttpRequest, fallback: str) -> str:
    """Return the page to go back to after a plain (no-JS) POST: `next` when it is a path of this site, else
    `fallback`.

    Only a local path is taken ("/clients/3/"): a bare word ("x") is a relative URL Django's check lets through,
    which `redirect()` then reads as a view name (a 500), and a scheme or a host would send the freelancer away.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts=set(), require_https=request.is_secure()
    ):
        return candidate
    return fallback


def workspace_url(client_id: int) -> str:
    return reverse("web:client", kwargs={"client_id": client_id})


def refresh_regions(response: HttpResponse) -> HttpResponse:
    """Tell every listening region of the page to refresh itself (HX-Trigger: also works on a 204)."""
    return trigger_client_event(response, JOURNAL_CHANGED)


def answer_with_undo(
    request: HtmxHttpRequest,
    text: str,
    undo: Undo | None,
    fallback: str,
    response: HttpResponse | None = None,
    level: int = messages.SUCCESS,
    follow_next: bool = True,
) -> HttpResponse:
    """Answer an action with a toast saying what was done, with its "Undo" button when there is one.

    htmx gets `response` (or an empty 200, so the toast is swapped in) with the toast swapped out of band into
    the page's live region, and the refresh event; a plain POST is redirected, the toast riding on a message
    whose tag names the undo (see crm/undo.html).
    """
    if not request.htmx:
        messages.add_message(request, level, text, extra_tags=f"undo:{undo.pk}" if undo else "")
        return HttpResponseRedirect(next_url(request, fallback) if follow_next else fallback)
    toast = render_to_string(
        "crm/undo.html#toast_out_of_band",
        {"text": text, "undo_id": undo.pk if undo else None, "level": messages.DEFAULT_TAGS[level]},
        request,
    )
    response = response if response is not None else HttpResponse()
    response.content = response.content + toast.encode()
    return refresh_regions(response)


def paginate(request: HttpRequest, items: Any, per_page: int = PAGE_SIZE, count: int | None = None) -> Page:
    """Return the requested page of `items`; a `count` known already spares the paginator's COUNT query."""
    paginator = Paginator(items, per_page)
    if count is not None:
        paginator.count = count
    return paginator.get_page(request.GET.get("page"))


def partial_for(request: HtmxHttpRequest, template: str, partials: set[str]) -> str:
    """Return `template`, or its partial named by the htmx request's target when it is one of `partials`.

    The target is an element's id (`score-panel`); its partial bears the same name in snake_case (`score_panel`).
    """
    target = (request.htmx.target or "").replace("-", "_") if request.htmx else None
    return f"{template}#{target}" if target in partials else template


__all__ = [
    "CLIENTS",
    "CONTACTS",
    "INTERACTIONS",
    "INVOICES",
    "JOURNAL_CHANGED",
    "PROJECTS",
    "PROMISES",
    "SIGNALS",
    "UNDOS",
    "HtmxHttpRequest",
    "answer_with_undo",
    "next_url",
    "paginate",
    "partial_for",
    "refresh_regions",
    "workspace_url",
]

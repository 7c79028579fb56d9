"""The client's answers to a recap on their page (crm/recaps): confirm the whole recap, confirm a line, correct a
line. Each is a POST behind the page's link (no login), recorded once, then the page again (POST/redirect/GET)
with a word of what happened, or of what was refused, in the client's language."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from crm.core.ratelimit import rate_limit
from crm.models import ClientPage
from crm.portal.views import no_page
from crm.recaps import writing
from crm.recaps.forms import RecapConfirmForm, RecapLineAnswerForm


def _page(request: HttpRequest, token: str) -> ClientPage | HttpResponse:
    """Return the page `token` opens, showing the promises (the recaps hold promises), else the answer to give: the
    link first, whatever the method, so a wrong link tells nothing more (404, or 410 for a replaced one)."""
    page = ClientPage.objects.for_token(token)
    if page is None:
        return no_page(request, token)
    if not page.show_promises:
        raise Http404("Unknown link.")
    return page


def _only_post(request: HttpRequest, token: str) -> HttpResponse | None:
    """An answer is posted; anything else (a reload of the address) goes back to the page."""
    if request.method == "POST":
        return None
    return redirect(reverse("portal:page", kwargs={"token": token}))


def _back(token: str, outcome: str, anchor: str) -> HttpResponse:
    url = reverse("portal:page", kwargs={"token": token})
    return redirect(f"{url}?recap={outcome}#{anchor}")


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def recap_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The client confirms a whole recap: every line not answered yet is confirmed with it."""
    page = _page(request, token)
    if isinstance(page, HttpResponse):
        return page
    if (elsewhere := _only_post(request, token)) is not None:
        return elsewhere
    with translation.override(page.client.language):
        form = RecapConfirmForm(request.POST, client=page.client)
        if not form.is_valid():
            return _back(token, "refused", "recaps")
        recap = form.cleaned_data["recap"]
        writing.confirm_recap(recap, timezone.now())  # in the request's transaction (clients.middleware)
    return _back(token, "confirmed", f"recap-{recap.pk}")


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def recap_line_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The client confirms one line of a recap."""
    page = _page(request, token)
    if isinstance(page, HttpResponse):
        return page
    if (elsewhere := _only_post(request, token)) is not None:
        return elsewhere
    form = RecapLineAnswerForm(request.POST, client=page.client)
    if not form.is_valid():
        return _back(token, "refused", "recaps")
    line = form.cleaned_data["line"]
    writing.confirm_line(line, timezone.now())
    return _back(token, "line_confirmed", f"recap-line-{line.pk}")


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def recap_line_correct(request: HttpRequest, token: str) -> HttpResponse:
    """The client corrects one line of a recap: a message from the client the freelancer reads in the journal."""
    page = _page(request, token)
    if isinstance(page, HttpResponse):
        return page
    if (elsewhere := _only_post(request, token)) is not None:
        return elsewhere
    form = RecapLineAnswerForm(request.POST, client=page.client, correcting=True)
    if not form.is_valid():
        empty = "correction" in form.errors and "line" not in form.errors
        line_id = request.POST.get("line", "")
        anchor = f"recap-line-{line_id}" if empty and line_id.isdigit() else "recaps"
        return _back(token, "empty" if empty else "refused", anchor)
    line = form.cleaned_data["line"]
    writing.correct_line(line, form.cleaned_data["correction"], timezone.now())
    return _back(token, "corrected", f"recap-line-{line.pk}")

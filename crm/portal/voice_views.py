"""The client's voice on their page (issue 26): a check-in, "something bothers me", and taking either back.

Each answer is a POST to its own address under the page's link (no login: the link is the credential, checked
first; CSRF as on the page; rate-limited with the other token pages), recorded in one transaction (the request's,
`clients.middleware`), then taken through the journal's door so the client's side of the trust health hears it at
once, and answered with POST/redirect/GET. A bad answer changes nothing and draws the page again with its errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

from conflicts.models import ConflictSignal
from crm.core.ratelimit import rate_limit
from crm.models import CheckIn, ClientPage
from crm.models.portal import CheckInCadence
from crm.portal.views import no_page, render_page
from crm.portal.voice_forms import bound_forms
from crm.reminders import check_ins
from crm.reminders.tasks import enqueue
from crm.trust.door import journal_changed
from crm.trust.formula import CLIENT_SIGNAL_SEVERITY


def _done(token: str, said: str) -> str:
    return reverse("portal:page", kwargs={"token": token}) + f"?said={said}#voice"


def _page(request: HttpRequest, token: str) -> ClientPage | HttpResponse:
    """Return the page `token` opens, else the answer to give: the link first, so a wrong or turned-off link is
    refused (404, or 410 for a replaced one) whatever the method; then only a POST records anything."""
    page = ClientPage.objects.for_token(token)
    if page is None:
        return no_page(request, token)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return page


def _answer(request: HttpRequest, token: str, which: str, record: Any) -> HttpResponse:
    """Validate the posted form `which`, record it once with `record(page, data, now)`, and go back to the page."""
    page = _page(request, token)
    if isinstance(page, HttpResponse):
        return page
    client = page.client
    with translation.override(client.language):
        forms = bound_forms(request.POST, which)
        form = forms[f"{which}_form"]
        earlier = form.earlier_submission(client.owner)
        if earlier:  # a double click: done once already
            return redirect(earlier)
        if form.is_valid():
            now = timezone.now()
            _saved, url = form.save_once(
                client.owner,
                _done(token, which),
                save=lambda: record(page, form.cleaned_data, now),
            )
            return redirect(url)
    return render_page(request, page, preview=False, status=400, extra=forms)


def _record_check_in(page: ClientPage, data: dict[str, Any], now: datetime) -> CheckIn:
    check_in = CheckIn.objects.create(
        client=page.client, level=data["level"], note=data["note"].strip(), answered_at=now
    )
    journal_changed([page.client_id])
    if page.check_in_cadence != CheckInCadence.OFF:
        page.start_check_ins(now)  # they just said it: the next invitation waits a whole cadence
    return check_in


def _record_concern(page: ClientPage, data: dict[str, Any], now: datetime) -> ConflictSignal:
    client = page.client
    signal = ConflictSignal(
        client=client,
        kind=data["kind"],
        severity=CLIENT_SIGNAL_SEVERITY,
        observed_on=client.owner.profile.local_today(),
        description=data["description"],
        raised_by=ConflictSignal.RaisedBy.CLIENT,
    )
    signal.full_clean()
    signal.save()
    journal_changed([client.pk])
    # The freelancer hears of it at once: an email through the outbox, sent once the answer is committed.
    enqueue([check_ins.raise_alert(signal, now).pk])
    return signal


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def check_in(request: HttpRequest, token: str) -> HttpResponse:
    """Record the client's check-in: how the work is going, and a short note."""
    return _answer(request, token, "check_in", _record_check_in)


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def concern(request: HttpRequest, token: str) -> HttpResponse:
    """Record "something bothers me" as a conflict signal raised by the client, and alert the freelancer."""
    return _answer(request, token, "concern", _record_concern)


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def check_in_withdraw(request: HttpRequest, token: str, check_in_id: int) -> HttpResponse:
    """Take back a check-in: it no longer counts, and stays in the history."""
    page = _page(request, token)
    if isinstance(page, HttpResponse):
        return page
    said = CheckIn.objects.filter(pk=check_in_id, client_id=page.client_id).first()
    if said is None:
        raise Http404("Not this page's check-in.")
    if said.withdraw(timezone.now()):
        journal_changed([page.client_id])
    return redirect(_done(token, "withdrawn"))


@rate_limit("RATE_LIMIT_TOKEN_PAGES")
def concern_withdraw(request: HttpRequest, token: str, signal_id: int) -> HttpResponse:
    """Take back a concern the client raised: resolved today, no longer counts, kept in the history."""
    page = _page(request, token)
    if isinstance(page, HttpResponse):
        return page
    signal = ConflictSignal.objects.filter(
        pk=signal_id, client_id=page.client_id, raised_by=ConflictSignal.RaisedBy.CLIENT
    ).first()
    if signal is None:
        raise Http404("Not this page's concern.")
    signal.client = page.client
    if signal.withdraw(page.client.owner.profile.local_today(), timezone.now()):
        journal_changed([page.client_id])
    return redirect(_done(token, "withdrawn"))

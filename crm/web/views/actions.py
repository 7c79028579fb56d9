"""One-click actions on the journal: a promise kept, broken or explained; an invoice paid or renegotiated;
a conflict resolved; a status update sent. POST only; each answers htmx with the updated item."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.forms import ActionForm
from conflicts.forms import ResolveConflictForm
from crm.models import Interaction
from crm.web.forms import ExplainDelayForm, RenegotiateForm
from crm.web.views.common import (
    HtmxHttpRequest,
    _client_for,
    _invoice_for,
    _promise_for,
    _signal_for,
    action_done,
    next_url,
    workspace_url,
)


def _answer(
    request: HtmxHttpRequest,
    source: str,
    item: Any,
    done: str,
    errors: list[str] | None = None,
    form: Any = None,
) -> HttpResponse:
    """Answer an action on one item: htmx gets the item re-rendered (with its errors), a plain POST a redirect."""
    fallback = workspace_url(item.client_id)
    if errors and not request.htmx:
        for error in errors:
            messages.error(request, error)
        return redirect(next_url(request, fallback))
    context = {"item": item, "item_errors": errors, "item_form": form, "today": timezone.localdate()}
    if errors:
        return render(request, f"crm/items.html#{source}", context)
    if not request.htmx:
        messages.success(request, done)
    return action_done(request, fallback, render(request, f"crm/items.html#{source}", context))


def _form_errors(form: Any) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def _run(change: Any) -> list[str]:
    """Apply a model change in one transaction; return its validation errors, if any."""
    try:
        with transaction.atomic():
            change()
    except ValidationError as error:
        return [str(message) for message in error.messages]
    return []


@login_required
@require_POST
def promise_keep(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    promise = _promise_for(request, promise_id)
    errors = _run(lambda: promise.keep(timezone.localdate()))
    return _answer(request, "promise", promise, _("Promise marked as kept."), errors)


@login_required
@require_POST
def promise_break(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    promise = _promise_for(request, promise_id)
    errors = _run(lambda: promise.break_(max(timezone.localdate(), promise.made_on)))
    return _answer(request, "promise", promise, _("Promise marked as broken."), errors)


@login_required
@require_POST
def promise_reopen(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    promise = _promise_for(request, promise_id)
    errors = _run(promise.reopen)
    return _answer(request, "promise", promise, _("Promise reopened."), errors)


@login_required
@require_POST
def promise_explain(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    promise = _promise_for(request, promise_id)
    form = ExplainDelayForm(request.POST)
    errors = _run(lambda: promise.explain(form.cleaned_data["clarification"])) if form.is_valid() else None
    return _answer(request, "promise", promise, _("Explanation saved."), errors or _form_errors(form), form)


@login_required
@require_POST
def invoice_paid(request: HtmxHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice_for(request, invoice_id)
    errors = _run(lambda: invoice.mark_paid(max(timezone.localdate(), invoice.issued_on)))
    return _answer(request, "invoice", invoice, _("Invoice marked as paid."), errors)


@login_required
@require_POST
def invoice_renegotiate(request: HtmxHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice_for(request, invoice_id)
    form = RenegotiateForm(request.POST, invoice=invoice)
    errors = (
        _run(lambda: invoice.renegotiate(form.cleaned_data["renegotiated_due_on"]))
        if form.is_valid()
        else None
    )
    return _answer(request, "invoice", invoice, _("New due date saved."), errors or _form_errors(form), form)


@login_required
@require_POST
def conflict_resolve(request: HtmxHttpRequest, signal_id: int) -> HttpResponse:
    signal = _signal_for(request, signal_id)
    form = ResolveConflictForm(request.POST, signal=signal)
    if form.is_valid():
        errors = _run(
            lambda: signal.resolve(form.cleaned_data["resolved_on"], form.cleaned_data["resolution"])
        )
    else:
        errors = _form_errors(form)
    return _answer(request, "conflict", signal, _("Conflict signal resolved."), errors, form)


@login_required
@require_POST
def status_update_sent(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Log the status update as an interaction, which restarts the client's cadence."""
    client = _client_for(request, client_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("This button is out of date: reload the page."))
    # Two clicks carry the same token (the client's last update): the second logs nothing.
    logged, _url = form.save_once(
        request.user,
        lambda update: workspace_url(client.pk),
        save=lambda: Interaction.objects.log_status_update(client, subject="", body="", at=timezone.now()),
    )
    if not request.htmx:
        done = (
            _("Status update logged for %(client)s.")
            if logged
            else _("This status update was already logged.")
        )
        messages.success(request, done % {"client": client.name})
    return action_done(request, workspace_url(client.pk))

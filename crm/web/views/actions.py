"""One-click actions on the journal: a promise kept, broken or explained; an invoice paid or renegotiated;
a conflict resolved; a status update sent (one action, from every page that sends one); a promise, invoice or
signal reopened. POST only; each answers htmx with the updated item, and every one offers its undo
(crm.trash.undo) in a toast."""

from __future__ import annotations

from collections.abc import Callable
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
from crm.capture import sending
from crm.core.ownership import owned_or_404
from crm.models import Feeling, Interaction, Mailbox, Undo
from crm.reminders.forms import StatusUpdateForm
from crm.reminders.tasks import enqueue
from crm.trash.undo import remember, remember_created
from crm.web.forms import ExplainDelayForm, FeelingForm, RenegotiateForm
from crm.web.views.common import (
    CLIENTS,
    INVOICES,
    PROMISES,
    SIGNALS,
    HtmxHttpRequest,
    answer_with_undo,
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
    undo: Undo | None = None,
) -> HttpResponse:
    """Answer an action on one item: htmx gets the item re-rendered (with its errors), a plain POST a redirect;
    a done action comes with its undo toast."""
    fallback = workspace_url(item.client_id)
    if errors and not request.htmx:
        for error in errors:
            messages.error(request, error)
        return redirect(next_url(request, fallback))
    context = {"item": item, "item_errors": errors, "item_form": form, "today": timezone.localdate()}
    if errors:
        return render(request, f"crm/items.html#{source}", context)
    response = render(request, f"crm/items.html#{source}", context) if request.htmx else None
    return answer_with_undo(request, done, undo, fallback, response)


def _form_errors(form: Any) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def _run(
    request: HtmxHttpRequest,
    item: Any,
    fields: list[str],
    change: Callable[[], None],
    *,
    refuses_first: bool = False,
) -> tuple[list[str], Undo | None]:
    """Apply a model change in one transaction, remembering how to undo it (`remember` takes it through the
    journal's door: the client's trust health is current in the answer); return its validation errors (if any)
    and its undo. `refuses_first`: the change raises its ValidationError before it writes anything (see
    `_remember_refusing_first`)."""
    try:
        if refuses_first:
            undo = _remember_refusing_first(request.user, item, fields, change)
        else:
            with transaction.atomic():  # a refusal after a write: its savepoint takes the write back
                undo = remember(request.user, item, fields, change)
    except ValidationError as error:
        item.refresh_from_db()
        return [str(message) for message in error.messages], None
    return [], undo


def _remember_refusing_first(owner: Any, item: Any, fields: list[str], change: Callable[[], None]) -> Undo:
    """`remember` a change that refuses before its first write (a promise's verb: its checks, then one save), in
    the request's transaction without a savepoint of its own: a refusal leaves nothing to roll back. It is raised
    after the block, as an exception leaving a block without savepoint would spoil the request's transaction."""
    with transaction.atomic(savepoint=False):
        try:
            return remember(owner, item, fields, change)
        except ValidationError as error:
            refusal = error
    raise refusal


PROMISE_STATE = ["state", "kept_on", "broken_on", "dropped_on"]


@login_required
@require_POST
def promise_keep(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    promise = owned_or_404(PROMISES, request.user, pk=promise_id)
    errors, undo = _run(
        request, promise, PROMISE_STATE, lambda: promise.keep(timezone.localdate()), refuses_first=True
    )
    return _answer(request, "promise", promise, _("Promise marked as kept."), errors, undo=undo)


@login_required
@require_POST
def promise_break(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    promise = owned_or_404(PROMISES, request.user, pk=promise_id)
    day = max(timezone.localdate(), promise.made_on)
    errors, undo = _run(request, promise, PROMISE_STATE, lambda: promise.break_(day), refuses_first=True)
    return _answer(request, "promise", promise, _("Promise marked as broken."), errors, undo=undo)


@login_required
@require_POST
def promise_reopen(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    promise = owned_or_404(PROMISES, request.user, pk=promise_id)
    errors, undo = _run(request, promise, PROMISE_STATE, promise.reopen, refuses_first=True)
    return _answer(request, "promise", promise, _("Promise open again."), errors, undo=undo)


@login_required
@require_POST
def promise_drop(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    """Settle a promise as dropped by agreement with the other side: it weighs for and against no one."""
    promise = owned_or_404(PROMISES, request.user, pk=promise_id)
    day = max(timezone.localdate(), promise.made_on)
    errors, undo = _run(request, promise, PROMISE_STATE, lambda: promise.drop(day), refuses_first=True)
    return _answer(request, "promise", promise, _("Promise dropped by agreement."), errors, undo=undo)


@login_required
@require_POST
def client_feeling(request: HtmxHttpRequest, client_id: int) -> HttpResponse:
    """Record the freelancer's own feeling about the client; it weighs in for 30 days."""
    client = owned_or_404(CLIENTS, request.user, pk=client_id)
    form = FeelingForm(request.POST)
    if form.is_valid():
        with transaction.atomic(savepoint=False):  # nothing to catch: a failure rolls the request back
            feeling = Feeling.objects.create(
                client=client,
                rating=form.cleaned_data["rating"],
                note=form.cleaned_data["note"],
                felt_on=timezone.localdate(),
            )
            undo = remember_created(request.user, feeling)  # through the journal's door
        return answer_with_undo(
            request, _("Your feeling is noted for 30 days."), undo, workspace_url(client.pk)
        )
    for error in _form_errors(form):
        messages.error(request, error)
    return redirect(next_url(request, workspace_url(client.pk)))


@login_required
@require_POST
def promise_explain(request: HtmxHttpRequest, promise_id: int) -> HttpResponse:
    promise = owned_or_404(PROMISES, request.user, pk=promise_id)
    form = ExplainDelayForm(request.POST)
    errors, undo = (
        _run(
            request,
            promise,
            ["clarification", "clarified_at"],
            lambda: promise.explain(form.cleaned_data["clarification"]),
            refuses_first=True,
        )
        if form.is_valid()
        else (_form_errors(form), None)
    )
    return _answer(request, "promise", promise, _("Explanation saved."), errors, form, undo)


@login_required
@require_POST
def invoice_paid(request: HtmxHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = owned_or_404(INVOICES, request.user, pk=invoice_id)
    day = max(timezone.localdate(), invoice.issued_on)
    errors, undo = _run(request, invoice, ["paid_on"], lambda: invoice.mark_paid(day))
    return _answer(request, "invoice", invoice, _("Invoice marked as paid."), errors, undo=undo)


@login_required
@require_POST
def invoice_reopen(request: HtmxHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = owned_or_404(INVOICES, request.user, pk=invoice_id)
    errors, undo = _run(request, invoice, ["paid_on"], invoice.reopen)
    return _answer(request, "invoice", invoice, _("Invoice marked as unpaid."), errors, undo=undo)


@login_required
@require_POST
def invoice_renegotiate(request: HtmxHttpRequest, invoice_id: int) -> HttpResponse:
    invoice = owned_or_404(INVOICES, request.user, pk=invoice_id)
    form = RenegotiateForm(request.POST, invoice=invoice)
    errors, undo = (
        _run(
            request,
            invoice,
            ["renegotiated_due_on"],
            lambda: invoice.renegotiate(form.cleaned_data["renegotiated_due_on"]),
        )
        if form.is_valid()
        else (_form_errors(form), None)
    )
    return _answer(request, "invoice", invoice, _("New due date saved."), errors, form, undo)


CONFLICT_STATE = ["state", "resolved_on", "resolution"]


@login_required
@require_POST
def conflict_resolve(request: HtmxHttpRequest, signal_id: int) -> HttpResponse:
    signal = owned_or_404(SIGNALS, request.user, pk=signal_id)
    form = ResolveConflictForm(request.POST, signal=signal)
    errors, undo = (
        _run(
            request,
            signal,
            CONFLICT_STATE,
            lambda: signal.resolve(form.cleaned_data["resolved_on"], form.cleaned_data["resolution"]),
        )
        if form.is_valid()
        else (_form_errors(form), None)
    )
    return _answer(request, "conflict", signal, _("Conflict signal resolved."), errors, form, undo)


@login_required
@require_POST
def conflict_reopen(request: HtmxHttpRequest, signal_id: int) -> HttpResponse:
    signal = owned_or_404(SIGNALS, request.user, pk=signal_id)
    errors, undo = _run(request, signal, CONFLICT_STATE, signal.reopen)
    return _answer(request, "conflict", signal, _("Conflict signal open again."), errors, undo=undo)


STATUS_UPDATE_PAGE = "crm/status_update.html"


@login_required
@require_POST
def status_update_sent(request: HtmxHttpRequest, client_id: int, send: bool = False) -> HttpResponse:
    """Log a status update sent to the client (its cadence restarts), with its undo, from wherever it was sent:
    the workspace's one-click button (no text), the prepared draft's "Mark as sent" (its text), or "Send from my
    mailbox" (its text, also sent through the freelancer's own SMTP server by the outbox, exactly once).

    The old addresses stay as aliases: `web:status_update_send` (send) and `web:status_update_draft_mark_sent`.
    """
    client = owned_or_404(CLIENTS, request.user, pk=client_id)
    send = send or request.POST.get("send") == "mailbox"
    drafted = send or "subject" in request.POST
    form = StatusUpdateForm(request.POST) if drafted else ActionForm(request.POST)
    if not form.is_valid() or (send and not _can_send(request, client, form)):
        if not drafted:
            return HttpResponseBadRequest(_("This button is out of date: reload the page."))
        context = {
            "client": client,
            "form": form,
            "workspace_url": workspace_url(client.pk),
            "can_send": False,
        }
        template = STATUS_UPDATE_PAGE + "#draft" if request.htmx else STATUS_UPDATE_PAGE
        return render(request, template, context, status=400)
    subject, body = form.cleaned_data.get("subject", ""), form.cleaned_data.get("body", "")

    def record() -> Undo:
        # The undo is written with the status update, under the form token's transaction.
        return remember_created(request.user, _log_status_update(request.user, client, subject, body, send))

    # Two clicks carry the same token (the draft's, or the client's last update): the second logs nothing.
    undo, _url = form.save_once(request.user, workspace_url(client.pk), save=record)
    if undo is None:
        done = _("This status update was already logged.")
        return answer_with_undo(request, done, None, workspace_url(client.pk), level=messages.INFO)
    if send:
        done = _("Status update to %(client)s is being sent.") % {"client": client.name}
    else:
        done = _("Status update logged for %(client)s.") % {"client": client.name}
    # From the draft page, htmx swaps the form for "logged"; the one-click button swaps nothing (hx-swap none).
    context = {"client": client, "workspace_url": workspace_url(client.pk)}
    page = render(request, STATUS_UPDATE_PAGE + "#sent", context) if request.htmx and drafted else None
    return answer_with_undo(request, done, undo, workspace_url(client.pk), page)


def _can_send(request: HtmxHttpRequest, client: Any, form: Any) -> bool:
    """Return True if the status update can go through the freelancer's SMTP server, else say why on `form`."""
    box = Mailbox.objects.filter(owner=request.user).first()
    if box is None or not box.can_send:
        form.add_error(None, _("Connect a mailbox with an SMTP server first (Settings → Mailbox)."))
    elif not client.email:
        form.add_error(None, _("This client has no email address."))
    return not form.errors


def _log_status_update(owner: Any, client: Any, subject: str, body: str, send: bool) -> Interaction:
    """Log the status update (the one model verb); with `send`, write its email to the outbox and hand it over
    once the transaction commits."""
    now = timezone.now()
    logged = Interaction.objects.log_status_update(client, subject, body, now)
    if send:
        outgoing = sending.prepare(owner, client, subject, body, now, logged)
        enqueue([outgoing.dispatch_id])
    return logged

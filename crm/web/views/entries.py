"""Logging in seconds: one view creates an interaction, a promise, an invoice or a conflict signal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from conflicts.forms import ConflictSignalForm
from crm.core.ownership import owned_or_404
from crm.models import Interaction
from crm.trust.door import journal_changed
from crm.web.forms import InteractionForm, InvoiceForm, PromiseForm
from crm.web.views.common import CLIENTS, HtmxHttpRequest, next_url, refresh_regions, workspace_url

ALREADY_SAVED = _("This form was already sent: nothing was saved twice.")


@dataclass(frozen=True)
class Kind:
    name: str
    form_class: type[forms.ModelForm]
    title: LazyText
    submit: LazyText
    saved: LazyText
    day_field: str


KINDS = {
    "interaction": Kind(
        "interaction",
        InteractionForm,
        _("Log an interaction"),
        _("Log it"),
        _("Interaction logged."),
        "happened_at",
    ),
    "promise": Kind(
        "promise", PromiseForm, _("Make a promise"), _("Save the promise"), _("Promise saved."), "made_on"
    ),
    "invoice": Kind(
        "invoice",
        InvoiceForm,
        _("Record an invoice"),
        _("Save the invoice"),
        _("Invoice recorded."),
        "issued_on",
    ),
    "conflict": Kind(
        "conflict",
        ConflictSignalForm,
        _("Flag a conflict signal"),
        _("Flag it"),
        _("Conflict signal flagged."),
        "observed_on",
    ),
}


@dataclass
class Entry:
    """A create form with what its template needs: where it posts, its id, its words."""

    kind: Kind
    form: forms.ModelForm | None
    client: Client | None
    saved: LazyText | None = None

    @property
    def action(self) -> str:
        if self.client is None:
            return reverse(f"web:{self.kind.name}_new")
        return reverse(f"web:client_{self.kind.name}_new", kwargs={"client_id": self.client.pk})

    @property
    def form_id(self) -> str:
        return f"new-{self.kind.name}"


def _entry(request: HtmxHttpRequest, kind: Kind, client: Client | None, data: Any = None) -> Entry:
    now = timezone.localtime()
    day: datetime | Any = (
        now.replace(second=0, microsecond=0) if kind.day_field == "happened_at" else now.date()
    )
    form = kind.form_class(data, owner=request.user, initial={"client": client, kind.day_field: day})
    form.auto_id = f"{kind.name}-%s"
    if client is None:
        # Opened from anywhere: no client yet is no dead end, the entry can create it.
        form.offer_new_client(request.user)
    else:
        # In a workspace the client is given: hide it, and offer only its projects.
        form.fields["client"].widget = forms.HiddenInput()
        if "project" in form.fields:
            form.fields["project"].queryset = client.projects.all()
        if "contact" in form.fields:
            form.offer_contacts_of(client)
        answering = request.GET.get("answers") or (data or {}).get("answers")
        if "answers" in form.fields and answering:
            form.offer_answers_of(client)
            answered = client.interactions.filter(pk=_int(answering)).first()
            if answered is not None and data is None:
                # An answer goes the other way from the message it answers.
                form.initial.update(
                    answers=answered.pk,
                    direction=Interaction.Direction.FROM_CLIENT
                    if answered.direction == Interaction.Direction.TO_CLIENT
                    else Interaction.Direction.TO_CLIENT,
                )
    return Entry(kind, form, client)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def entry_menu(client: Client) -> list[Entry]:
    """Return one entry per kind of event, without its form: a workspace fetches a form when it is opened."""
    return [Entry(kind, None, client) for kind in KINDS.values()]


@login_required
def new_entry(request: HtmxHttpRequest, kind: str, client_id: int | None = None) -> HttpResponse:
    client = owned_or_404(CLIENTS, request.user, pk=client_id) if client_id is not None else None
    entry = _entry(request, KINDS[kind], client, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if entry.form.is_valid():
            # The door moves the client's contact clocks and recomputes its score in the same transaction. A
            # double submit (the same form token) saves nothing the second time, so changes nothing. Inside the
            # request's transaction (clients.middleware) no savepoint: nothing here catches a failure, which
            # rolls the whole request back.
            with transaction.atomic(savepoint=False):
                saved, url = entry.form.save_once(
                    request.user, lambda obj: next_url(request, workspace_url(obj.client_id))
                )
                if saved is not None:
                    journal_changed([saved.client_id])
        else:
            # A repeat may no longer validate (the invoice number it created is taken): still a repeat.
            saved, url = None, entry.form.earlier_submission(request.user)
        if url is not None:
            said = KINDS[kind].saved if saved is not None else ALREADY_SAVED
            if request.htmx:
                fresh = _entry(request, KINDS[kind], client)
                fresh.saved = said
                return refresh_regions(render(request, "crm/entry_form.html#form", {"entry": fresh}))
            messages.success(request, said)
            return redirect(url)
    template = "crm/entry_form.html#form" if request.htmx else "crm/entry_form.html"
    return render(request, template, {"entry": entry, "client": client})

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from clients.forms import (
    IdempotentFormMixin,
    InlineNewClientMixin,
    OwnedClientFormMixin,
)
from clients.models import Contact
from crm.core.dates import FUTURE_TOLERANCE, validate_day_in_window
from crm.core.forms import RoundTripMixin, VersionedFormMixin
from crm.core.widgets import IsoDateInput, book_formfield
from crm.models import Feeling, Interaction, Invoice, Promise, ScopeChange

# How many recent messages the "answers" select offers (the newest first).
ANSWER_CHOICES = 30


class InteractionForm(
    InlineNewClientMixin, IdempotentFormMixin, OwnedClientFormMixin, RoundTripMixin, forms.ModelForm
):
    class Meta:
        model = Interaction
        formfield_callback = book_formfield
        fields = ["client", "project", "contact", "kind", "direction", "happened_at", "summary", "answers"]
        # A status update's summary holds its subject and body on several lines (Interaction.objects.log_status_update).
        widgets = {"summary": forms.Textarea(attrs={"rows": 3, "maxlength": 500})}

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)
        # Only the owner's messages can be answered (a tampered id is an invalid choice). The field is a hidden
        # input until a message's "Answer" link opens the form (`offer_answers_of`): drawing a select of messages
        # on every form would cost a query that most entries do not need.
        self.fields["answers"].queryset = Interaction.objects.for_owner(owner)
        self.fields["answers"].widget = forms.HiddenInput()
        self.fields["contact"].queryset = Contact.objects.for_owner(owner).select_related("client")
        self.fields["contact"].label_from_instance = _contact_label
        self.fields["contact"].label_fields = (*Contact.label_fields, "client__name")
        if self.instance.pk is not None:
            self.offer_contacts_of(self.instance.client)

    def offer_contacts_of(self, client: Any) -> None:
        """Offer only the client's own contacts (the form opened in its workspace)."""
        self.fields["contact"].queryset = client.contacts.all()
        self.fields["contact"].label_from_instance = str
        self.fields["contact"].label_fields = None  # the model's own: no client name to join

    def offer_answers_of(self, client: Any) -> None:
        """Offer the client's own recent messages in a select (the form opened from a message's "Answer" link)."""
        field = self.fields["answers"]
        field.queryset = _recent(client.interactions.all())
        field.label_from_instance = _answer_label
        field.widget = forms.Select(choices=field.choices)

    def clean_happened_at(self) -> Any:
        moment = self.cleaned_data["happened_at"]
        unchanged = self.instance.pk is not None and moment == self.instance.happened_at
        # An interaction is something that happened; the tolerance absorbs a call logged as it ends.
        if not unchanged and moment > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError(
                _("An interaction cannot be in the future: log it once it has happened."), code="future"
            )
        return moment

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        answered, client = data.get("answers"), data.get("client")
        if answered is not None and client is not None and answered.client_id != client.pk:
            self.add_error("answers", _("Choose a message of this client."))
        contact = data.get("contact")
        if contact is not None and client is not None and contact.client_id != client.pk:
            self.add_error("contact", _("This contact belongs to another client."))
        return data


def _recent(interactions: Any) -> Any:
    """Return the newest ANSWER_CHOICES of `interactions` as a queryset that can still be filtered."""
    newest = interactions.order_by("-happened_at", "-pk").values("pk")[:ANSWER_CHOICES]
    return Interaction.objects.filter(pk__in=newest).order_by("-happened_at", "-pk")


def _contact_label(contact: Contact) -> str:
    return f"{contact} · {contact.client.name}"


def _answer_label(interaction: Interaction) -> str:
    when = date_format(timezone.localtime(interaction.happened_at), "SHORT_DATE_FORMAT")
    return f"{when} · {interaction.get_direction_display()} · {interaction.summary[:60]}"


class FeelingForm(forms.ModelForm):
    class Meta:
        model = Feeling
        fields = ["rating", "note"]
        widgets = {"rating": forms.RadioSelect, "note": forms.TextInput(attrs={"maxlength": 500})}


class PromiseForm(
    InlineNewClientMixin, IdempotentFormMixin, OwnedClientFormMixin, RoundTripMixin, forms.ModelForm
):
    class Meta:
        model = Promise
        formfield_callback = book_formfield
        fields = ["client", "project", "promisor", "description", "made_on", "due_on"]

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)


class InvoiceForm(
    InlineNewClientMixin, IdempotentFormMixin, OwnedClientFormMixin, RoundTripMixin, forms.ModelForm
):
    class Meta:
        model = Invoice
        formfield_callback = book_formfield
        fields = ["client", "project", "number", "amount", "currency", "issued_on", "due_on"]

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.instance.owner = owner
        self.limit_to_owner(owner)

    def clean_number(self) -> str:
        # A number already taken is the model's rule (`Invoice.number_taken_by`), checked by its `clean()`.
        return self.cleaned_data["number"].strip()


class InteractionEditForm(VersionedFormMixin, InteractionForm):
    """The interaction form, refused over a change made since it was drawn (another tab, another device)."""


class PromiseEditForm(VersionedFormMixin, PromiseForm):
    """The promise form plus its state: kept, broken or dropped on a day, or open again (refused over a change
    made since it was drawn)."""

    class Meta(PromiseForm.Meta):
        fields = [*PromiseForm.Meta.fields, "state", "kept_on", "broken_on", "dropped_on"]

    # The day that goes with each settled state; an open promise has none.
    STATE_DAYS = {
        Promise.State.KEPT: "kept_on",
        Promise.State.BROKEN: "broken_on",
        Promise.State.DROPPED: "dropped_on",
    }

    def clean(self) -> dict[str, Any]:
        # Keep only the date that goes with the chosen state, and default it to today: choosing "kept" is
        # enough to say it was kept today, choosing "open" clears them all.
        data = super().clean()
        state, today = data.get("state"), timezone.localdate()
        for chosen, field in self.STATE_DAYS.items():
            if state != chosen:
                data[field] = None
            elif field == "broken_on":
                data[field] = data.get(field) or max(today, data.get("made_on") or today)
            else:
                data[field] = data.get(field) or today
        return data


class InvoiceEditForm(VersionedFormMixin, InvoiceForm):
    """The invoice form with every field: paid on a day (or not), and a renegotiated due date (refused over a
    change made since it was drawn)."""

    class Meta(InvoiceForm.Meta):
        fields = [*InvoiceForm.Meta.fields, "renegotiated_due_on", "paid_on"]


class ExplainDelayForm(forms.Form):
    clarification = forms.CharField(
        label=_("What did you tell the client?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class RenegotiateForm(forms.Form):
    renegotiated_due_on = forms.DateField(
        label=_("New due date"), widget=IsoDateInput, validators=[validate_day_in_window]
    )

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice

    def clean_renegotiated_due_on(self) -> Any:
        day = self.cleaned_data["renegotiated_due_on"]
        if day < self.invoice.issued_on:
            raise forms.ValidationError(_("The new due date cannot be before the issue date."))
        return day


class ScopeChangeForm(IdempotentFormMixin, RoundTripMixin, forms.ModelForm):
    """A change of a project's scope, as the freelancer logs it (asked by the client or by themselves)."""

    class Meta:
        model = ScopeChange
        formfield_callback = book_formfield
        fields = ["asked_on", "asked_by", "description", "price_change", "deadline_change_days"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}

    def __init__(self, *args: Any, today: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["asked_by"].widget = forms.RadioSelect(choices=ScopeChange.Side.choices)
        self.fields["description"].strip = True

    def clean_asked_on(self) -> Any:
        day = self.cleaned_data["asked_on"]
        if day > self.today:
            raise forms.ValidationError(_("A change is logged once asked: choose today or an earlier day."))
        return day

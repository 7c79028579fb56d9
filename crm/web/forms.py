from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.forms import OwnedClientFormMixin
from crm.models import Interaction, Invoice, Promise


class InteractionForm(OwnedClientFormMixin, forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["client", "project", "kind", "direction", "happened_at", "summary"]
        widgets = {
            "happened_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        }

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)


class PromiseForm(OwnedClientFormMixin, forms.ModelForm):
    class Meta:
        model = Promise
        fields = ["client", "project", "promisor", "description", "made_on", "due_on"]
        widgets = {
            "made_on": forms.DateInput(attrs={"type": "date"}),
            "due_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)


class InvoiceForm(OwnedClientFormMixin, forms.ModelForm):
    class Meta:
        model = Invoice
        fields = ["client", "project", "number", "amount", "currency", "issued_on", "due_on"]
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "due_on": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        self.instance.owner = owner
        self.limit_to_owner(owner)

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        taken = Invoice.objects.for_owner(self.owner).filter(number=number).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("You already have an invoice numbered %(number)s."), params={"number": number}
            )
        return number


class PromiseEditForm(PromiseForm):
    """The promise form plus its state: kept or broken on a day, or open again."""

    class Meta(PromiseForm.Meta):
        fields = [*PromiseForm.Meta.fields, "state", "kept_on", "broken_on"]
        widgets = {
            **PromiseForm.Meta.widgets,
            "kept_on": forms.DateInput(attrs={"type": "date"}),
            "broken_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, Any]:
        # Keep only the date that goes with the chosen state, and default it to today: choosing "kept" is
        # enough to say it was kept today, choosing "open" clears both.
        data = super().clean()
        state, today = data.get("state"), timezone.localdate()
        if state == Promise.State.OPEN:
            data["kept_on"] = data["broken_on"] = None
        elif state == Promise.State.KEPT:
            data["broken_on"] = None
            data["kept_on"] = data.get("kept_on") or today
        elif state == Promise.State.BROKEN:
            data["kept_on"] = None
            data["broken_on"] = data.get("broken_on") or max(today, data.get("made_on") or today)
        return data


class InvoiceEditForm(InvoiceForm):
    """The invoice form with every field: paid on a day (or not), and a renegotiated due date."""

    class Meta(InvoiceForm.Meta):
        fields = [*InvoiceForm.Meta.fields, "renegotiated_due_on", "paid_on"]
        widgets = {
            **InvoiceForm.Meta.widgets,
            "renegotiated_due_on": forms.DateInput(attrs={"type": "date"}),
            "paid_on": forms.DateInput(attrs={"type": "date"}),
        }


class ExplainDelayForm(forms.Form):
    clarification = forms.CharField(
        label=_("What did you tell the client?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class RenegotiateForm(forms.Form):
    renegotiated_due_on = forms.DateField(
        label=_("New due date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice

    def clean_renegotiated_due_on(self) -> Any:
        day = self.cleaned_data["renegotiated_due_on"]
        if day < self.invoice.issued_on:
            raise forms.ValidationError(_("The new due date cannot be before the issue date."))
        return day

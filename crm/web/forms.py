from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.forms import IdempotentFormMixin, OwnedClientFormMixin
from crm.models import Interaction, Invoice, Promise


class InteractionForm(IdempotentFormMixin, OwnedClientFormMixin, forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["client", "project", "kind", "direction", "happened_at", "summary"]
        widgets = {
            "happened_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        }

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)


class PromiseForm(IdempotentFormMixin, OwnedClientFormMixin, forms.ModelForm):
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


class InvoiceForm(IdempotentFormMixin, OwnedClientFormMixin, forms.ModelForm):
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

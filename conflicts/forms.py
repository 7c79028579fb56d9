from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.bounds import validate_day_in_window
from clients.forms import OwnedClientFormMixin
from clients.widgets import IsoDateInput, RoundTripMixin, book_formfield
from conflicts.models import ConflictSignal


class ConflictSignalForm(OwnedClientFormMixin, RoundTripMixin, forms.ModelForm):
    class Meta:
        model = ConflictSignal
        formfield_callback = book_formfield
        fields = ["client", "kind", "severity", "observed_on", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)


class ResolveConflictForm(forms.Form):
    resolved_on = forms.DateField(
        label=_("Resolved on"), widget=IsoDateInput, validators=[validate_day_in_window]
    )
    resolution = forms.CharField(label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, signal: ConflictSignal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signal = signal

    def clean_resolved_on(self) -> Any:
        day = self.cleaned_data["resolved_on"]
        if day < self.signal.observed_on:
            raise forms.ValidationError(_("A conflict cannot be resolved before it was observed."))
        return day

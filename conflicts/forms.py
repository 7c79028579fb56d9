from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.forms import IdempotentFormMixin, OwnedClientFormMixin
from conflicts.models import ConflictSignal


class ConflictSignalForm(IdempotentFormMixin, OwnedClientFormMixin, forms.ModelForm):
    class Meta:
        model = ConflictSignal
        fields = ["client", "kind", "severity", "observed_on", "description"]
        widgets = {
            "observed_on": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)


class ResolveConflictForm(forms.Form):
    resolved_on = forms.DateField(label=_("Resolved on"), widget=forms.DateInput(attrs={"type": "date"}))
    resolution = forms.CharField(label=_("How it was resolved"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, signal: ConflictSignal, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.signal = signal

    def clean_resolved_on(self) -> Any:
        day = self.cleaned_data["resolved_on"]
        if day < self.signal.observed_on:
            raise forms.ValidationError(_("A conflict cannot be resolved before it was observed."))
        return day

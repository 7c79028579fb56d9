from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.forms import (
    IdempotentFormMixin,
    InlineNewClientMixin,
    OwnedClientFormMixin,
)
from conflicts.models import ConflictSignal
from crm.core.dates import validate_day_in_window
from crm.core.forms import RoundTripMixin, VersionedFormMixin
from crm.core.widgets import IsoDateInput, book_formfield


class ConflictSignalForm(
    InlineNewClientMixin, IdempotentFormMixin, OwnedClientFormMixin, RoundTripMixin, forms.ModelForm
):
    class Meta:
        model = ConflictSignal
        formfield_callback = book_formfield
        fields = ["client", "kind", "severity", "observed_on", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)


class ConflictSignalEditForm(VersionedFormMixin, ConflictSignalForm):
    """The conflict signal form plus its state: resolved on a day and how, or open again (refused over a change
    made since it was drawn)."""

    class Meta(ConflictSignalForm.Meta):
        fields = [*ConflictSignalForm.Meta.fields, "state", "resolved_on", "resolution"]
        # The resolution day takes the book's ISO date input (book_formfield): a French date drawn into
        # <input type="date"> would be shown empty and saved blank.
        widgets = {**ConflictSignalForm.Meta.widgets, "resolution": forms.Textarea(attrs={"rows": 2})}

    # What the client said on their page is their own word: the freelancer resolves it, never rewrites it (the
    # timeline, the reasons and the client's page all say "the client said" over these values).
    CLIENTS_WORDS = ("client", "kind", "severity", "observed_on", "description")

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, owner=owner, **kwargs)
        if self.instance.pk and self.instance.is_clients:
            for name in self.CLIENTS_WORDS:
                self.fields[name].disabled = True  # a posted value is ignored: the stored one is kept
            self.fields["description"].help_text = _(
                "The client said this on their page: only they can take it back. You can resolve it."
            )

    def clean(self) -> dict[str, Any]:
        # An open signal has no resolution (as `reopen` leaves it); a resolved one without a date was resolved
        # today.
        data = super().clean()
        if data.get("state") == ConflictSignal.State.OPEN:
            data["resolved_on"], data["resolution"] = None, ""
        elif data.get("state") == ConflictSignal.State.RESOLVED and not data.get("resolved_on"):
            data["resolved_on"] = timezone.localdate()
        return data


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

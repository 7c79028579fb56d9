"""The client's voice on their page (issue 26): the check-in, "something bothers me", and taking either back."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.forms import IdempotentFormMixin
from conflicts.models import ConflictSignal
from crm.models import CheckIn
from crm.models.voice import NOTE_LENGTH

CONCERN_LENGTH = 2000

# The four conflict signals of the guide, as a client would name what bothers them.
CONCERN_KINDS = [
    (ConflictSignal.Kind.IDEAS, _("What is being made: the ideas, the direction, the scope")),
    (ConflictSignal.Kind.INTERESTS, _("What I get out of it: my needs do not seem to count")),
    (ConflictSignal.Kind.PAYMENT, _("Money: an invoice, a price, a payment")),
    (ConflictSignal.Kind.POSTURE, _("How we work together: tone, attitude, listening")),
]


class CheckInForm(IdempotentFormMixin, forms.Form):
    """How is our work going? Three levels and an optional short note."""

    level = forms.ChoiceField(
        label=_("How is our work going?"),
        choices=CheckIn.Level.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the three answers.")},
    )
    note = forms.CharField(
        label=_("A word to add (optional)"),
        required=False,
        max_length=NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ConcernForm(IdempotentFormMixin, forms.Form):
    """Something bothers me: what it is about, in the client's own words."""

    kind = forms.ChoiceField(
        label=_("What is it about?"),
        choices=CONCERN_KINDS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what it is about.")},
    )
    description = forms.CharField(
        label=_("In your words"),
        max_length=CONCERN_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say in a few words what bothers you.")},
    )

    def clean_description(self) -> str:
        text = self.cleaned_data["description"].strip()
        if not text:
            raise forms.ValidationError(_("Say in a few words what bothers you."), code="required")
        return text


def bound_forms(data: Any = None, which: str = "") -> dict[str, forms.Form]:
    """Return the page's two forms, `which` of them bound to `data` (the one just posted)."""
    return {
        "check_in_form": CheckInForm(data if which == "check_in" else None, prefix="checkin"),
        "concern_form": ConcernForm(data if which == "concern" else None, prefix="concern"),
    }

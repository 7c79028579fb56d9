"""The recap's forms: the freelancer's (what was decided, a line per promise, open questions) and the client's
answers on their page (confirm the whole, confirm a line, correct a line)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.forms import IdempotentFormMixin
from clients.models import Client
from crm.core.dates import validate_day_in_window
from crm.core.days import iso_day
from crm.core.forms import RoundTripMixin
from crm.core.widgets import IsoDateInput
from crm.models import Promise, Recap, RecapLine
from crm.models.recaps import CORRECTION_LENGTH, RECAP_TEXT_LENGTH
from crm.recaps.writing import MOST_LINES, Line

# Lines drawn empty under the typed ones: most calls end with two or three promises.
EMPTY_LINES = 3


class RecapForm(IdempotentFormMixin, RoundTripMixin, forms.Form):
    """What was decided and what stays open (the promises are the lines' formset)."""

    decided = forms.CharField(
        label=_("What was decided"),
        required=False,
        max_length=RECAP_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": RECAP_TEXT_LENGTH}),
    )
    open_questions = forms.CharField(
        label=_("Open questions"),
        required=False,
        max_length=RECAP_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": RECAP_TEXT_LENGTH}),
        help_text=_("What is still to be settled, and by whom."),
    )


class RecapLineForm(RoundTripMixin, forms.Form):
    """One promise of the call: who promised, what, by when. A line left blank is no promise."""

    promisor = forms.ChoiceField(label=_("Who promised"), choices=Promise.Promisor.choices)
    description = forms.CharField(
        label=_("What was promised"),
        max_length=Promise._meta.get_field("description").max_length,
        required=False,
    )
    due_on = forms.DateField(
        label=_("By when"), widget=IsoDateInput, validators=[validate_day_in_window], required=False
    )

    def __init__(self, *args: Any, made_on: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.made_on = made_on
        self.fields["due_on"].widget.attrs["min"] = iso_day(made_on)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        described, due_on = (data.get("description") or "").strip(), data.get("due_on")
        if not described and due_on is None and "due_on" not in self.errors:
            return data  # a blank line: no promise
        if not described:
            self.add_error("description", _("Say what was promised."))
        if due_on is None and "due_on" not in self.errors:
            self.add_error("due_on", _("Say by when."))
        elif due_on is not None and due_on < self.made_on:
            self.add_error("due_on", _("A promise made in this call cannot be due before the call's day."))
        return data

    def line(self) -> Line | None:
        data = self.cleaned_data
        if not (data.get("description") or "").strip():
            return None
        return Line(data["promisor"], data["description"].strip(), data["due_on"])


class BaseRecapLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[Line]:
        """Return the typed lines, in order, the blank ones left out."""
        return [line for form in self.forms if (line := form.line()) is not None]


RecapLineFormSet = forms.formset_factory(
    RecapLineForm,
    formset=BaseRecapLineFormSet,
    extra=EMPTY_LINES,
    max_num=MOST_LINES,
    absolute_max=MOST_LINES,
    validate_max=True,
)


def line_formset(data: Any, made_on: date) -> BaseRecapLineFormSet:
    return RecapLineFormSet(data, prefix="lines", form_kwargs={"made_on": made_on})


# -- the client's answers, on their page ------------------------------------------------------------------------


class RecapConfirmForm(forms.Form):
    """The client confirms a whole recap of theirs."""

    recap = forms.ModelChoiceField(
        queryset=Recap.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This recap cannot be answered from this page.")},
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this client's recaps: another client's id, even a real one, is refused.
        self.fields["recap"].queryset = Recap.objects.filter(client=client)


class RecapLineAnswerForm(forms.Form):
    """The client confirms or corrects one line of a recap of theirs."""

    line = forms.ModelChoiceField(
        queryset=RecapLine.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This line cannot be answered from this page.")},
    )
    correction = forms.CharField(
        label=_("What should it say?"),
        required=False,
        max_length=CORRECTION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": CORRECTION_LENGTH}),
    )

    def __init__(self, *args: Any, client: Client, correcting: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.correcting = correcting
        self.fields["line"].queryset = RecapLine.objects.filter(client=client).select_related(
            "recap__interaction", "promise"
        )

    def clean_correction(self) -> str:
        text = self.cleaned_data["correction"].replace("\r\n", "\n").strip()
        if self.correcting and not text:
            raise forms.ValidationError(_("Write what should be corrected."), code="empty")
        return text

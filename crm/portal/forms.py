"""The client's page's forms: the answers a client can give (a new payment date, a decision on a scope change), and
what the page shows."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clients.forms import IdempotentFormMixin
from clients.models import Client
from crm.core.dates import validate_day_in_window
from crm.core.days import iso_day
from crm.core.forms import RoundTripMixin
from crm.core.widgets import IsoDateInput, book_formfield
from crm.models import ClientPage, Invoice, ScopeChange


class PaymentDateForm(IdempotentFormMixin, forms.Form):
    """The client confirms the day they will pay an overdue invoice (recorded as their promise)."""

    invoice = forms.ModelChoiceField(
        queryset=Invoice.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("This invoice cannot be answered from this page.")},
    )
    new_due_on = forms.DateField(
        label=_("I will pay on"),
        widget=IsoDateInput,
        validators=[validate_day_in_window],
        help_text=_("Today or a later day."),
    )

    def __init__(
        self, *args: Any, client: Client, today: date, answerable: bool = True, **kwargs: Any
    ) -> None:
        """`answerable` is False while the freelancer hides the invoices from the page: every answer is refused."""
        super().__init__(*args, **kwargs)
        self.today = today
        # Only this client's unpaid invoices: another client's id, even a real one, is refused.
        invoices = Invoice.objects.filter(client=client, paid_on__isnull=True)
        self.fields["invoice"].queryset = invoices if answerable else invoices.none()
        self.fields["new_due_on"].widget.attrs["min"] = iso_day(today)

    def clean_new_due_on(self) -> date:
        day = self.cleaned_data["new_due_on"]
        if day < self.today:
            raise ValidationError(_("Choose today or a later day."), code="in_the_past")
        return day


class ClientPageForm(RoundTripMixin, forms.ModelForm):
    """What the client's page shows."""

    class Meta:
        model = ClientPage
        formfield_callback = book_formfield
        fields = [
            "show_projects",
            "show_status_updates",
            "show_promises",
            "show_invoices",
            "check_in_cadence",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A panel drawn before the choice existed (an open tab) posts none: the page keeps its cadence.
        self.fields["check_in_cadence"].required = False

    def clean_check_in_cadence(self) -> str:
        return self.cleaned_data.get("check_in_cadence") or self.instance.check_in_cadence


class ScopeDecisionForm(IdempotentFormMixin, forms.Form):
    """The client accepts or declines a scope change waiting for their decision (crm/portal/scope.py)."""

    scope_change = forms.ModelChoiceField(
        queryset=ScopeChange.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _(
                "This change cannot be decided from this page (it may have been decided already)."
            )
        },
    )

    def __init__(self, *args: Any, client: Client, answerable: bool = True, **kwargs: Any) -> None:
        """`answerable` is False while the freelancer hides the projects from the page: every answer is refused."""
        super().__init__(*args, **kwargs)
        # Only this client's changes still waiting for the client: another client's id, even a real one, is refused.
        waiting = (
            ScopeChange.objects.filter(client=client, client_decision=ScopeChange.Decision.PENDING)
            .exclude(freelancer_decision=ScopeChange.Decision.DECLINED)
            .select_related("project")
        )
        self.fields["scope_change"].queryset = waiting if answerable else waiting.none()

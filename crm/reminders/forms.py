"""Forms of the reminders: the editable status-update draft and the email preferences."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.forms import IdempotentFormMixin
from clients.models import Profile
from crm.core.widgets import book_formfield


class StatusUpdateForm(IdempotentFormMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 18}), max_length=10_000)


class EmailPreferencesForm(forms.ModelForm):
    class Meta:
        model = Profile
        formfield_callback = book_formfield
        fields = ["digest_enabled", "digest_when_empty", "nudges_enabled"]

"""The Settings page's form: a new access token's name and scope."""

from __future__ import annotations

from django import forms

from clients.forms import IdempotentFormMixin
from clients.models import AccessToken
from crm.core.forms import RoundTripMixin
from crm.core.widgets import book_formfield


class AccessTokenForm(IdempotentFormMixin, RoundTripMixin, forms.ModelForm):
    class Meta:
        model = AccessToken
        formfield_callback = book_formfield
        fields = ["name", "scope"]

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clients.models import Client, Profile, Project


class SignupForm(UserCreationForm):
    email = forms.EmailField(label=_("Email"), help_text=_("For password resets and your weekly digest."))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account already uses this email."))
        return email


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = [
            "display_name",
            "language",
            "time_zone",
            "digest_weekday",
            "digest_hour",
            "digest_enabled",
            "digest_when_empty",
            "nudges_enabled",
        ]


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "company", "email", "phone", "language", "status", "cadence_days", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class OwnedClientFormMixin:
    """Limit a form's client (and project) choices to the owner's book, so tampering with a select is refused."""

    fields: dict[str, forms.Field]

    def limit_to_owner(self, owner: object) -> None:
        if "client" in self.fields:
            self.fields["client"].queryset = Client.objects.for_owner(owner)
        if "project" in self.fields:
            self.fields["project"].queryset = Project.objects.filter(client__owner=owner).select_related(
                "client"
            )


class ProjectForm(OwnedClientFormMixin, forms.ModelForm):
    class Meta:
        model = Project
        fields = ["client", "title", "goals", "status", "start_on", "due_on", "budget", "currency"]
        widgets = {
            "start_on": forms.DateInput(attrs={"type": "date"}),
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "goals": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)

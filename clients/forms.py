from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from clients import throttle
from clients.models import Client, Profile, Project
from clients.widgets import RoundTripMixin, book_formfield


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing to even try a password once the account or IP is locked out."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked_out": _("Too many failed attempts. Wait a few minutes, or reset your password."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        ip = throttle.client_ip(self.request) if self.request else "unknown"
        if throttle.is_locked_out(username, ip):
            raise ValidationError(self.error_messages["locked_out"], code="locked_out")
        try:
            data = super().clean()
        except ValidationError:
            throttle.record_failure(username, ip)
            raise
        throttle.clear_account(username)
        return data


class AccountDeleteForm(forms.Form):
    """Ask for the password before deleting the account and its whole book."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you."),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(_("This is not your password. Nothing was deleted."), code="wrong_password")
        return password


class LocalizedPasswordResetForm(PasswordResetForm):
    """Django's reset form, writing the email in the language of the account it goes to."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        try:
            language = context["user"].profile.language
        except ObjectDoesNotExist:
            language = translation.get_language()
        with translation.override(language):
            super().send_mail(subject_template_name, email_template_name, context, *args, **kwargs)


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
        formfield_callback = book_formfield
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


class ClientForm(RoundTripMixin, forms.ModelForm):
    class Meta:
        model = Client
        formfield_callback = book_formfield
        fields = [
            "name",
            "company",
            "email",
            "phone",
            "language",
            "status",
            "cadence_days",
            "away_until",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_away_until(self) -> Any:
        day = self.cleaned_data.get("away_until")
        # A past day is refused when it is being set, not when an old one is kept on another edit.
        if day is not None and "away_until" in self.changed_data and day < timezone.localdate():
            raise ValidationError(_("The client cannot be away until a day that has already passed."))
        return day


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


class ProjectForm(OwnedClientFormMixin, RoundTripMixin, forms.ModelForm):
    class Meta:
        model = Project
        formfield_callback = book_formfield
        fields = ["client", "title", "goals", "status", "start_on", "due_on", "budget", "currency"]
        widgets = {"goals": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from clients.identity import LOGO_MAX_BYTES, checked_logo, compact
from clients.models import (
    IDENTITY_FIELDS,
    Absence,
    BusinessLogo,
    Client,
    Contact,
    FormSubmission,
    Profile,
    Project,
)
from crm.core.forms import RoundTripMixin, VersionedFormMixin
from crm.core.widgets import book_formfield

# -- double submits and concurrent edits --------------------------------------------------------------------

FORM_TOKEN = "form_token"


class IdempotentFormMixin:
    """Give a form a one-time token so that posting it twice (a double click, a resent request) does its work
    once: `save_once` claims the token for the owner in the same transaction as the save, and a repeat finds
    it claimed, saves nothing and is sent where the first post went. A post without a token (an old page, a
    script) is saved as before."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[FORM_TOKEN] = forms.CharField(
            widget=forms.HiddenInput, required=False, max_length=64, initial=secrets.token_urlsafe(18)
        )

    def earlier_submission(self, owner: Any) -> str | None:
        """Return where the first post of this form went when its token was claimed already, else None.

        For a repeat that no longer validates (the invoice number it created is now taken): it is a repeat."""
        token = str(self.data.get(self.add_prefix(FORM_TOKEN)) or "")[:64]  # type: ignore[attr-defined]
        if not token:
            return None
        return (
            FormSubmission.objects.filter(owner=owner, token=token)
            .values_list("result_url", flat=True)
            .first()
        )

    def save_once(
        self,
        owner: Any,
        url_for: str | Callable[[Any], str],
        save: Callable[[], Any] | None = None,
    ) -> tuple[Any | None, str]:
        """Save (with `save`, else the form's own save) unless this post's token was claimed already.

        Return (what was saved, where to go next); a repeat returns (None, where the first post went). `url_for`
        is where to go next: the address itself when it is known before saving (an edit's: one statement
        claims the token with it), else a function of what was saved (a new record's page: written on the
        claim once known).

        1. The token is claimed first, in one statement (`FormSubmission.claim`); taken already, nothing is
           saved.
        2. The form's own save writes what the form validated and refuses nothing more: it runs without a
           savepoint, in the request's transaction (a failure there answers 500 and rolls back the claim with
           it). A `save` of the caller's may refuse (a `ValidationError` the view shows on the form): the claim
           and that save run under one savepoint, so a refusal leaves the token free for the corrected post.
        """
        token = self.cleaned_data.get(FORM_TOKEN) or ""
        known = url_for if isinstance(url_for, str) else None
        if not token:  # nothing to claim (an old page, a script): saved as it comes
            saved = (save or self.save)()  # type: ignore[attr-defined]
            return saved, known if known is not None else url_for(saved)  # type: ignore[operator]
        if save is not None:
            with transaction.atomic():
                return self._claim_and_save(owner, token, url_for, known, save)
        with transaction.atomic(savepoint=False):  # outside a request's transaction, still one transaction
            return self._claim_and_save(owner, token, url_for, known, self.save)  # type: ignore[attr-defined]

    def _claim_and_save(
        self,
        owner: Any,
        token: str,
        url_for: str | Callable[[Any], str],
        known: str | None,
        save: Callable[[], Any],
    ) -> tuple[Any | None, str]:
        if not FormSubmission.claim(owner, token, known or ""):
            earlier = self.earlier_submission(owner)
            if earlier is None:  # claimed, then purged in between (a day on): refused rather than saved twice
                raise IntegrityError("form token claimed but not found")
            return None, earlier
        saved = save()
        if known is not None:
            return saved, known
        url = url_for(saved)  # type: ignore[operator]
        FormSubmission.objects.filter(owner=owner, token=token).update(result_url=url[:500])
        return saved, url


class ActionForm(IdempotentFormMixin, forms.Form):
    """A one-click action's form: nothing but its one-time token."""


class ConfirmPasswordForm(forms.Form):
    """Ask for the password before a change of the account's security (turning two-factor off, a new email)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To confirm that it is you."),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    refused = _("This is not your password. Nothing was changed.")

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(self.refused, code="wrong_password")
        return password


class AccountDeleteForm(ConfirmPasswordForm):
    """Ask for the password before deleting the account and its whole book."""

    refused = _("This is not your password. Nothing was deleted.")


class EmailChangeForm(ConfirmPasswordForm):
    """A new email address for the account: used once the link sent to it is opened."""

    email = forms.EmailField(label=_("New email"), max_length=254)
    field_order = ["email", "password"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email.lower() == (self.user.email or "").lower():
            raise ValidationError(_("This is already your email."), code="same_email")
        User = get_user_model()
        taken = User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists()
        if taken or Profile.objects.filter(pending_email__iexact=email).exclude(user=self.user).exists():
            raise ValidationError(_("An account already uses this email."), code="email_taken")
        return email


class TwoFactorCodeForm(forms.Form):
    """A six-digit code from the authenticator app, or (at login) one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autocapitalize": "off"}
        ),
    )


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


class KeepWhenMissingMixin:
    """Fields a post may leave out (a form drawn before they existed, a script): an absent value keeps the
    record's own (the model's default for a new one) instead of refusing the whole form."""

    keep_when_missing: tuple[str, ...] = ()
    fields: dict[str, forms.Field]
    instance: models.Model

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.keep_when_missing:
            self.fields[name].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        for name in self.keep_when_missing:
            if data.get(name) in (None, ""):
                data[name] = getattr(self.instance, name)
        return data


class ProfileForm(KeepWhenMissingMixin, forms.ModelForm):
    keep_when_missing = ("reminder_courteous_days", "reminder_firm_days", "reminder_notice_days")

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
            "reminder_courteous_days",
            "reminder_firm_days",
            "reminder_notice_days",
            "payment_reminders_auto",
        ]


class BusinessForm(forms.ModelForm):
    """The business identity (Settings → Your business): who the freelancer is to a client, and the logo.

    Numbers are read as people type them (spaces, dots) and kept compact; the logo is checked by decoding it
    (clients/identity.py) and saved with the profile, in the request's transaction."""

    # Wider than the stored columns: "123 456 789 00012" is typed, "12345678900012" is kept.
    registration_number = forms.CharField(
        label=Profile._meta.get_field("registration_number").verbose_name,
        max_length=24,
        required=False,
        help_text=_("9 digits (SIREN) or 14 (SIRET); spaces are fine."),
    )
    vat_number = forms.CharField(
        label=Profile._meta.get_field("vat_number").verbose_name,
        max_length=24,
        required=False,
        help_text=_("Your country code then the number, for example FR 40 123456789."),
    )
    website = forms.URLField(
        label=Profile._meta.get_field("website").verbose_name,
        max_length=200,
        required=False,
        assume_scheme="https",
    )
    logo = forms.FileField(
        label=_("logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, 512 KB at most; shown on your client's page."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("remove the logo"), required=False)

    class Meta:
        model = Profile
        formfield_callback = book_formfield
        fields = IDENTITY_FIELDS
        widgets = {"signature": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].help_text = _(
            "Your name as your clients know you (never your login name)."
        )

    def clean_registration_number(self) -> str:
        return compact(self.cleaned_data["registration_number"])

    def clean_vat_number(self) -> str:
        return compact(self.cleaned_data["vat_number"])

    def clean_logo(self) -> tuple[bytes, str] | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        # Read no more than one byte past the limit: a huge upload is refused without being read whole.
        return checked_logo(upload.read(LOGO_MAX_BYTES + 1))

    def save(self, commit: bool = True) -> Profile:
        profile = super().save(commit=commit)
        if commit:
            logo = self.cleaned_data.get("logo")
            if logo is not None:
                image, content_type = logo
                BusinessLogo.objects.update_or_create(
                    owner_id=profile.user_id,
                    defaults={"image": image, "content_type": content_type, "updated_at": timezone.now()},
                )
            elif self.cleaned_data.get("remove_logo"):
                BusinessLogo.objects.filter(owner_id=profile.user_id).delete()
        return profile


class BusinessStartForm(forms.ModelForm):
    """The first run's question: who the freelancer is to their clients (the rest waits in Settings)."""

    class Meta:
        model = Profile
        formfield_callback = book_formfield
        fields = ["display_name", "trade_name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True
        self.fields["display_name"].help_text = _(
            "Your name as your clients know you (never your login name)."
        )


class ClientForm(
    VersionedFormMixin, IdempotentFormMixin, RoundTripMixin, KeepWhenMissingMixin, forms.ModelForm
):
    keep_when_missing = ("kind", "country", "tone")

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
            "kind",
            "country",
            "tone",
            "claim_late_payment",
            "reminder_courteous_days",
            "reminder_firm_days",
            "reminder_notice_days",
            "notes",
        ]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class ContactForm(VersionedFormMixin, IdempotentFormMixin, RoundTripMixin, forms.ModelForm):
    """A person at the client; ticking "primary" makes them the one the client's email and phone are."""

    class Meta:
        model = Contact
        formfield_callback = book_formfield
        fields = ["name", "role", "email", "other_emails", "phone", "is_primary", "notes"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 3}),
            "other_emails": forms.Textarea(attrs={"rows": 2}),
        }

    def save(self, commit: bool = True) -> Contact:
        contact = super().save(commit=False)
        if commit:
            # The previous primary contact steps down in the same transaction (one primary per client).
            if contact.is_primary:
                contact.make_primary()
            else:
                contact.save()
        return contact


class AbsenceForm(VersionedFormMixin, IdempotentFormMixin, RoundTripMixin, forms.ModelForm):
    """A dated absence of the client (holidays, illness, a pause), or a pause of one of its projects."""

    class Meta:
        model = Absence
        formfield_callback = book_formfield
        fields = ["kind", "project", "start_on", "end_on", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only this client's projects (a tampered select is refused as an invalid choice).
        self.fields["project"].queryset = Project.objects.filter(client_id=self.instance.client_id)


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


class NewClientForm(ClientForm):
    """The "new client" page: the client and, optionally, its first project in the same save."""

    project_title = forms.CharField(
        label=_("First project"),
        max_length=200,
        required=False,
        help_text=_("Optional: what you are doing for this client (a website, a redesign, maintenance)."),
    )

    def save(self, commit: bool = True) -> Client:
        client = super().save(commit=commit)
        title = self.cleaned_data.get("project_title", "").strip()
        if commit and title:
            Project.objects.create(client=client, title=title)
        return client


class InlineNewClientMixin:
    """Let a "new X" form opened without a client create the missing client from its name, in the same save.

    `offer_new_client(owner)` makes the client select optional and adds a "new client" name beside it: one of
    the two is needed. The new client is built unsaved while the form validates (so the model's own rules run
    against it) and saved just before the record, in the caller's transaction."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    instance: models.Model
    new_client: Client | None = None
    NEW_CLIENT = "new_client"

    def offer_new_client(self, owner: Any) -> None:
        self._new_client_owner = owner
        self.fields["client"].required = False
        self.fields["client"].empty_label = _("— a new client —")
        fields = list(self.fields.items())
        at = next(index for index, (name, _field) in enumerate(fields) if name == "client") + 1
        new_client = forms.CharField(
            label=_("New client's name"),
            max_length=200,
            required=False,
            help_text=_("No client yet? Type a name: the client is created with this entry."),
        )
        self.fields = dict([*fields[:at], (self.NEW_CLIENT, new_client), *fields[at:]])  # type: ignore[misc]

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        if self.NEW_CLIENT not in self.fields:
            return data
        name = (data.get(self.NEW_CLIENT) or "").strip()
        if data.get("client") is not None or "client" in getattr(self, "_errors", {}):
            if name and data.get("client") is not None:
                self.add_error(self.NEW_CLIENT, _("Choose a client or type a new one's name, not both."))  # type: ignore[attr-defined]
            return data
        if not name:
            self.add_error("client", _("Choose a client, or type the name of a new one below."))  # type: ignore[attr-defined]
            return data
        if data.get("project") is not None:
            self.add_error("project", _("A new client has no project yet: leave the project empty."))  # type: ignore[attr-defined]
        self.new_client = Client.new_for(self._new_client_owner, name=name)
        # Kept out of cleaned_data: the form validates the record against the unsaved client set on it.
        data.pop("client", None)
        self.instance.client = self.new_client  # type: ignore[attr-defined]
        return data

    def save(self, commit: bool = True) -> Any:
        if self.new_client is not None and commit:
            self.new_client.save()
            self.instance.client = self.new_client  # type: ignore[attr-defined]
        return super().save(commit=commit)  # type: ignore[misc]


class ProjectForm(
    VersionedFormMixin, IdempotentFormMixin, OwnedClientFormMixin, RoundTripMixin, forms.ModelForm
):
    class Meta:
        model = Project
        formfield_callback = book_formfield
        fields = [
            "client",
            "title",
            "goals",
            "deliverables",
            "status",
            "start_on",
            "due_on",
            "budget",
            "currency",
        ]
        widgets = {
            "goals": forms.Textarea(attrs={"rows": 3}),
            "deliverables": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, owner: object, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit_to_owner(owner)

"""Forms of mail capture: the mailbox settings, disconnecting, and a one-off import."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from clients.forms import IdempotentFormMixin
from crm.capture.connection import LOCAL_HOSTS, Endpoint
from crm.capture.secrets import decrypt, encrypt
from crm.core.forms import VersionedFormMixin
from crm.core.widgets import book_formfield
from crm.models import Mailbox
from crm.models.capture import Security

HOST_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789.-:[]")


def _clean_host(value: str) -> str:
    host = value.strip().lower().rstrip(".")
    if not host or not set(host) <= HOST_CHARACTERS:
        raise ValidationError(_("Enter a server name such as imap.example.com, without “imap://”."))
    return host


class MailboxForm(VersionedFormMixin, forms.ModelForm):
    """The mailbox settings. Passwords are typed, never drawn: left empty, the saved one is kept."""

    password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("An app password if your provider has them. Left empty: the saved one is kept."),
    )
    smtp_password = forms.CharField(
        label=_("SMTP password"),
        required=False,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Left empty with no SMTP user: the IMAP user and password are used."),
    )

    class Meta:
        model = Mailbox
        formfield_callback = book_formfield
        fields = [
            "address",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_user",
            "password",
            "smtp_host",
            "smtp_port",
            "smtp_security",
            "smtp_user",
            "smtp_password",
            "match_domains",
            "excluded",
            "keep_snippet",
            "status_keyword",
        ]
        widgets = {"excluded": forms.Textarea(attrs={"rows": 3})}

    def clean_imap_host(self) -> str:
        return _clean_host(self.cleaned_data["imap_host"])

    def clean_smtp_host(self) -> str:
        value = self.cleaned_data.get("smtp_host", "")
        return _clean_host(value) if value.strip() else ""

    def clean_excluded(self) -> str:
        entries = []
        for line in self.cleaned_data.get("excluded", "").splitlines():
            entry = line.strip().lower()
            if not entry:
                continue
            try:
                validate_email(entry if "@" in entry else f"x@{entry}")
            except ValidationError:
                raise ValidationError(
                    _("“%(entry)s” is neither an address nor a domain."), params={"entry": line.strip()[:80]}
                ) from None
            entries.append(entry)
        return "\n".join(entries)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for prefix in ("imap", "smtp"):
            host, security = data.get(f"{prefix}_host"), data.get(f"{prefix}_security")
            if host and security == Security.NONE and host not in LOCAL_HOSTS:
                self.add_error(
                    f"{prefix}_security",
                    _("Without TLS your password would cross the network in clear: choose TLS or STARTTLS."),
                )
        saved = self.instance.pk is not None
        # A saved password follows its server and user: for another one, it must be typed again.
        moved = not saved or any(
            data.get(name) != getattr(self.instance, name) for name in ("imap_host", "imap_user")
        )
        if moved and not data.get("password"):
            self.add_error("password", _("Enter the password of this mailbox."))
        return data

    def endpoints(self) -> tuple[Endpoint, Endpoint | None]:
        """Return the IMAP and SMTP servers as typed (the saved passwords where none was typed)."""
        data = self.cleaned_data
        password = data.get("password") or decrypt(self.instance.imap_secret)
        imap = Endpoint(
            data["imap_host"], data["imap_port"], data["imap_security"], data["imap_user"], password
        )
        if not data.get("smtp_host"):
            return imap, None
        if data.get("smtp_user"):
            secret = data.get("smtp_password") or (
                decrypt(self.instance.smtp_secret) if self.instance.smtp_secret else ""
            )
            smtp_user = data["smtp_user"]
        else:
            secret, smtp_user = password, data["imap_user"]
        return imap, Endpoint(data["smtp_host"], data["smtp_port"], data["smtp_security"], smtp_user, secret)

    def save(self, commit: bool = True) -> Mailbox:
        mailbox = super().save(commit=False)
        if self.cleaned_data.get("password"):
            mailbox.imap_secret = encrypt(self.cleaned_data["password"])
        if self.cleaned_data.get("smtp_password"):
            mailbox.smtp_secret = encrypt(self.cleaned_data["smtp_password"])
        if not mailbox.smtp_user:
            mailbox.smtp_secret = ""
        # New settings: a sync waiting for them (a refused login) is tried again at once.
        mailbox.state, mailbox.failures, mailbox.next_attempt_at = Mailbox.State.IDLE, 0, None
        if commit:
            mailbox.save()
        return mailbox


class DisconnectForm(IdempotentFormMixin, forms.Form):
    forget = forms.BooleanField(
        label=_("Also delete every email logged from this mailbox (the interactions too)"), required=False
    )


class ImportForm(IdempotentFormMixin, forms.Form):
    file = forms.FileField(
        label=_("An .mbox or .eml file"),
        help_text=_("Exported from your mail app. Only messages from or to your clients are kept."),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".mbox", ".eml", ".mbx")):
            raise ValidationError(_("Choose an .mbox or .eml file."))
        if upload.size > settings.UPLOAD_MAX_MB["mail"] * 1024 * 1024:
            raise ValidationError(
                _("This file is larger than %(size)s MB: connect the mailbox instead."),
                params={"size": settings.UPLOAD_MAX_MB["mail"]},
            )
        return upload

"""The client's page: a private, revocable link per client, and what the freelancer lets it show (crm/portal)."""

from __future__ import annotations

import hmac
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, OwnedThroughClient

# A link is `<key><secret>`: the key (public, indexed) finds the row, the secret is compared in constant time, so
# neither the database's index lookup nor the comparison tells a guesser how much of a secret was right.
KEY_LENGTH = 12  # secrets.token_urlsafe(9): 72 random bits, only to find the row
SECRET_LENGTH = 43  # secrets.token_urlsafe(32): 256 random bits, the credential itself
TOKEN_LENGTH = KEY_LENGTH + SECRET_LENGTH


def new_key() -> str:
    return secrets.token_urlsafe(9)


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class ClientPageQuerySet(models.QuerySet["ClientPage"]):
    def for_owner(self, user: object) -> ClientPageQuerySet:
        return self.filter(owner=user)

    def for_token(self, token: str) -> ClientPage | None:
        """Return the page that `token` opens (on, its secret matching), else None; anything malformed is None."""
        if not isinstance(token, str) or len(token) != TOKEN_LENGTH or not token.isascii():
            return None
        key, secret = token[:KEY_LENGTH], token[KEY_LENGTH:]
        page = (
            self.filter(key=key, is_on=True)
            .select_related("client", "client__owner", "client__owner__profile")
            .first()
        )
        if page is None or not hmac.compare_digest(page.secret.encode(), secret.encode()):
            return None
        return page


class ClientPage(OwnedThroughClient):
    """A client's private page: its link (renewed or turned off at once) and the sections it shows."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="page", verbose_name=_("client")
    )
    key = models.CharField(max_length=KEY_LENGTH, unique=True, default=new_key, editable=False)
    secret = models.CharField(max_length=SECRET_LENGTH, default=new_secret, editable=False)
    is_on = models.BooleanField(_("the link works"), default=True, editable=False)
    show_projects = models.BooleanField(_("projects, their goals and state"), default=True)
    show_status_updates = models.BooleanField(_("latest status updates"), default=True)
    show_promises = models.BooleanField(_("promises on both sides"), default=True)
    show_invoices = models.BooleanField(
        _("invoices due or overdue"),
        default=True,
        help_text=_("With an overdue invoice, the client can confirm a new payment date."),
    )
    renewed_at = models.DateTimeField(_("link made"), default=timezone.now, editable=False)

    objects = ClientPageQuerySet.as_manager()

    class Meta:
        verbose_name = _("client's page")
        verbose_name_plural = _("clients' pages")

    def __str__(self) -> str:
        return str(self.client)

    @property
    def token(self) -> str:
        return f"{self.key}{self.secret}"

    def renew(self) -> None:
        """Replace the link (the old one is a 404 from now on) and turn it on."""
        self.key, self.secret, self.is_on, self.renewed_at = new_key(), new_secret(), True, timezone.now()
        self.save(update_fields=["key", "secret", "is_on", "renewed_at"])

    def turn_off(self) -> None:
        """Turn the link off at once; its secret is replaced too, so turning it on again never revives it."""
        self.key, self.secret, self.is_on = new_key(), new_secret(), False
        self.save(update_fields=["key", "secret", "is_on"])

"""The client's page: a private, revocable link per client, and what the freelancer lets it show (crm/portal)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, tzinfo
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, OwnedThroughClient
from crm.core import links
from crm.core.days import add_days, local_day

# The link is a secret link of crm/core/links.py: the key finds the row, the secret is compared in constant time
# and only its hash is stored.
PURPOSE = "portal"
KEY_LENGTH = links.KEY_LENGTH


def new_key() -> str:
    """Kept for migration 0015, which names it."""
    return links.new_key()


def new_secret() -> str:
    """Kept for migration 0015, which names it (the secrets it made are hashed by migration 0019)."""
    return secrets.token_urlsafe(32)


# What replacing a link writes.
RETIRING_FIELDS = ("key", "secret_hash", "retired_key", "retired_secret_hash")


class ClientPageQuerySet(models.QuerySet["ClientPage"]):
    def for_owner(self, user: object) -> ClientPageQuerySet:
        return self.filter(owner=user)

    def for_token(self, token: str) -> ClientPage | None:
        """Return the page that `token` opens (on, its secret matching), else None; anything malformed is None."""
        parts = links.split(token)
        if parts is None:
            return None
        key, secret = parts
        page = (
            self.filter(key=key, is_on=True)
            .select_related("client", "client__owner", "client__owner__profile")
            .first()
        )
        if page is None or not links.matches(secret, page.secret_hash):
            return None
        return page

    def retired_for_token(self, token: str) -> ClientPage | None:
        """Return the page whose link was `token` before it was replaced or turned off (its client is told the
        link is gone, 410, rather than that it never existed), else None."""
        parts = links.split(token)
        if parts is None:
            return None
        key, secret = parts
        page = self.filter(retired_key=key).select_related("client", "client__owner__profile").first()
        if page is None or not links.matches(secret, page.retired_secret_hash):
            return None
        return page


# The weeks between two invitations of each weekly cadence.
CHECK_IN_WEEKS = {"2w": 2, "4w": 4, "8w": 8}


def check_in_invite_at(cadence: str, since: datetime, zone: tzinfo, hour: int) -> datetime | None:
    """Return when the next check-in invitation is looked at, the clock having run `since` (the cadence chosen,
    the last invitation, or the client's last check-in): N weeks later at the freelancer's `hour` (their digest
    hour, in `zone`), or, after each delivery, the next `hour` after `since` (then once a day until a delivery
    comes: `crm.reminders.check_ins`); None when off."""
    if cadence == CheckInCadence.OFF:
        return None
    day = local_day(since, zone)
    weeks = CHECK_IN_WEEKS.get(cadence)
    if weeks is not None:
        day = add_days(day, 7 * weeks)
    moment = datetime.combine(day, time(hour), tzinfo=zone)
    if moment <= since:
        moment = datetime.combine(add_days(day, 1), time(hour), tzinfo=zone)
    return moment.astimezone(UTC)


class CheckInCadence(models.TextChoices):
    """How often the client is invited to say how the work is going (issue 26), chosen per client."""

    OFF = "off", _("never (the client can still answer on their page)")
    MILESTONES = "milestones", _("after each delivery")
    EVERY_2_WEEKS = "2w", _("every 2 weeks")
    EVERY_4_WEEKS = "4w", _("every 4 weeks")
    EVERY_8_WEEKS = "8w", _("every 8 weeks")


class ClientPage(OwnedThroughClient):
    """A client's private page: its link (renewed or turned off at once) and the sections it shows."""

    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="page", verbose_name=_("client")
    )
    key = models.CharField(max_length=links.KEY_LENGTH, unique=True, default=new_key, editable=False)
    # The SHA-256 of the link's secret, never the secret (filled from the key on the first save).
    secret_hash = models.CharField(max_length=64, editable=False)
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
    check_in_cadence = models.CharField(
        _("invite the client to a check-in"),
        max_length=10,
        choices=CheckInCadence,
        default=CheckInCadence.OFF,
        help_text=_(
            "An email in the client's language asks how the work is going, with the link to this page."
        ),
    )
    # The sweep's "next step at" columns (crm/reminders/check_ins.py): since when the check-in clock runs (the
    # cadence chosen, the last invitation, the client's last check-in), and when the next invitation is looked at.
    check_in_since = models.DateTimeField(null=True, blank=True, editable=False)
    check_in_invite_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The link before the last renewal or turning off, so that its holder reads "this link was replaced" (410) in
    # the client's language instead of a bare 404; still compared in constant time, still stored hashed.
    retired_key = models.CharField(max_length=links.KEY_LENGTH, blank=True, default="", editable=False)
    retired_secret_hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = ClientPageQuerySet.as_manager()

    class Meta:
        verbose_name = _("client's page")
        verbose_name_plural = _("clients' pages")
        indexes = [
            # A gone link is looked up by its key: WHERE retired_key = ?.
            models.Index(fields=["retired_key"], name="clientpage_retired_key_idx"),
            # The every-minute sweep's check-in invitations: WHERE check_in_invite_at <= now (issue 26).
            models.Index(
                fields=["check_in_invite_at"],
                condition=models.Q(check_in_invite_at__isnull=False),
                name="clientpage_check_in_idx",
            ),
        ]

    def __str__(self) -> str:
        return str(self.client)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.secret_hash:
            self.secret_hash = links.hashed(links.derived_secret(PURPOSE, self.key))
        super().save(*args, **kwargs)

    @property
    def token(self) -> str | None:
        """Return the link's token to show, or None for a link that cannot be shown again (crm/core/links.py)."""
        return links.token_for(PURPOSE, self.key, self.secret_hash)

    def renew(self) -> None:
        """Replace the link (the old one answers "gone", 410, from now on) and turn it on."""
        self._retire_link()
        self.is_on, self.renewed_at = True, timezone.now()
        self.save(update_fields=[*RETIRING_FIELDS, "is_on", "renewed_at"])

    def start_check_ins(self, now: datetime) -> None:
        """Start the check-in clock now (the cadence chosen, the link made again, an invitation sent, the client's
        check-in): the next invitation is planned from here (`check_in_invite_at`)."""
        profile = self.client.owner.profile
        self.check_in_since = now
        self.check_in_invite_at = (
            check_in_invite_at(self.check_in_cadence, now, profile.zone, profile.digest_hour)
            if self.is_on
            else None
        )
        self.save(update_fields=["check_in_since", "check_in_invite_at"])

    def turn_off(self) -> None:
        """Turn the link off at once; its key and secret are replaced too, so turning it on again never revives it."""
        self._retire_link()
        self.is_on, self.check_in_invite_at = False, None  # no invitation to a page that is off
        self.save(update_fields=[*RETIRING_FIELDS, "is_on", "check_in_invite_at"])

    def _retire_link(self) -> None:
        # Only a link that was working is remembered: turning off twice keeps the link the client actually had.
        if self.is_on:
            self.retired_key, self.retired_secret_hash = self.key, self.secret_hash
        self.key, self.secret_hash = links.issue(PURPOSE)

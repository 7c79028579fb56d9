"""Mail capture's data (crm/capture/): a freelancer's mailbox, how far each folder was read, what was kept of
each message, and the status updates sent from the app.

Privacy first: a kept message is its date, direction, participants, subject, Message-ID, In-Reply-To and
References, and a short snippet only if the freelancer asked for one; nothing else of a message is ever stored.
Passwords are stored encrypted (crm/capture/secrets.py) and never drawn again.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from crm.core.checks import CheckConstraint
from crm.models.journal import Interaction
from crm.models.reminders import Dispatch

# An RFC 5322 Message-ID is unbounded in theory; longer ones are kept as a digest (crm/capture/messages.py).
MESSAGE_ID_LENGTH = 255
SNIPPET_LENGTH = 200
PORT_VALIDATORS = [MinValueValidator(1), MaxValueValidator(65535)]


class Security(models.TextChoices):
    TLS = "tls", _("TLS (implicit, port 993 / 465)")
    STARTTLS = "starttls", _("STARTTLS (port 143 / 587)")
    # A server on this machine only (a local bridge, the tests' Dovecot): the form refuses it for any other host.
    NONE = "none", _("none (a server on this machine only)")


class Mailbox(models.Model):
    """One freelancer's mailbox: where to read (IMAP) and send (SMTP), what to keep, and how the sync is going."""

    class State(models.TextChoices):
        IDLE = "idle", _("waiting for the next sync")
        # A refused login is not retried by itself (no storm of failed logins): it waits for new settings.
        NEEDS_ATTENTION = "attention", _("needs your attention")
        FAILING = "failing", _("failing, retrying later")

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mailbox")
    imap_host = models.CharField(_("IMAP server"), max_length=253)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993, validators=PORT_VALIDATORS)
    imap_security = models.CharField(_("IMAP security"), max_length=8, choices=Security, default=Security.TLS)
    imap_user = models.CharField(_("IMAP user name"), max_length=254)
    # Fernet tokens (crm/capture/secrets.py), never the password itself.
    imap_secret = models.TextField(editable=False)
    smtp_host = models.CharField(_("SMTP server"), max_length=253, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=465, validators=PORT_VALIDATORS)
    smtp_security = models.CharField(_("SMTP security"), max_length=8, choices=Security, default=Security.TLS)
    smtp_user = models.CharField(_("SMTP user name"), max_length=254, blank=True)
    smtp_secret = models.TextField(editable=False, blank=True)
    address = models.EmailField(_("your address"), help_text=_("The address your messages are sent from."))
    match_domains = models.BooleanField(
        _("also keep messages from anyone at a client's domain"),
        default=False,
        help_text=_("Webmail domains (gmail.com, outlook.com…) are never matched as a whole."),
    )
    excluded = models.TextField(
        _("never keep"),
        blank=True,
        help_text=_("Addresses or domains, one per line: their messages are never kept."),
    )
    keep_snippet = models.BooleanField(_("keep a short snippet of each message"), default=False)
    status_keyword = models.CharField(
        _("status update keyword"),
        max_length=60,
        blank=True,
        help_text=_("An email you send whose subject contains this word counts as a status update."),
    )

    # The sync's state, shown in Settings.
    state = models.CharField(max_length=9, choices=State, default=State.IDLE, editable=False)
    last_sync_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    failures = models.PositiveSmallIntegerField(default=0, editable=False)
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    messages_logged = models.PositiveIntegerField(default=0, editable=False)
    progress_done = models.PositiveIntegerField(default=0, editable=False)
    progress_total = models.PositiveIntegerField(default=0, editable=False)
    # The lock: a sync holds the mailbox until this moment (a conditional update claims it; see crm/capture/sync.py).
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        constraints = [
            CheckConstraint(
                condition=Q(imap_port__gte=1, imap_port__lte=65535, smtp_port__gte=1, smtp_port__lte=65535),
                name="mailbox_ports_valid",
            ),
        ]
        indexes = [
            # The beat's sweep: mailboxes whose next attempt has come.
            models.Index(fields=["next_attempt_at"], name="mailbox_next_attempt_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.imap_user}@{self.imap_host}"

    @property
    def can_send(self) -> bool:
        return bool(self.smtp_host)

    @property
    def is_syncing(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    def excluded_entries(self) -> set[str]:
        return {line.strip().lower() for line in self.excluded.splitlines() if line.strip()}


class MailFolder(models.Model):
    """How far one folder (the inbox, the sent folder) was read: valid while the server keeps its UIDVALIDITY."""

    class Role(models.TextChoices):
        INBOX = "inbox", _("inbox")
        SENT = "sent", _("sent")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders")
    role = models.CharField(max_length=5, choices=Role)
    name = models.CharField(max_length=255)
    uidvalidity = models.PositiveBigIntegerField(null=True, blank=True)
    last_uid = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "role"], name="mailfolder_one_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id} {self.role}: {self.uidvalidity}/{self.last_uid}"


class CapturedMessage(models.Model):
    """What was kept of one email (by sync or import), and the interaction it became."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=MESSAGE_ID_LENGTH)
    # SET_NULL: an interaction deleted by the freelancer stays deleted; the row still says "seen", so a later
    # sync does not bring it back.
    interaction = models.OneToOneField(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="captured"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    direction = models.CharField(max_length=12, choices=Interaction.Direction)
    sent_at = models.DateTimeField()
    sender = models.CharField(max_length=254)
    recipients = models.TextField(blank=True)
    subject = models.CharField(max_length=500, blank=True)
    in_reply_to = models.CharField(max_length=MESSAGE_ID_LENGTH, blank=True)
    references = models.TextField(blank=True)
    snippet = models.CharField(max_length=SNIPPET_LENGTH, blank=True)

    class Meta:
        constraints = [
            # Idempotence: a message is logged once per freelancer, whichever folder, sync or import saw it.
            models.UniqueConstraint(fields=["owner", "message_id"], name="captured_once_per_owner"),
        ]
        indexes = [
            # Threading: "which kept message answers this one?" (In-Reply-To of later messages).
            models.Index(fields=["owner", "in_reply_to"], name="captured_owner_reply_idx"),
        ]

    def __str__(self) -> str:
        return self.message_id


class OutgoingStatusUpdate(models.Model):
    """A status update the freelancer sends from the app, as edited: sent once by the outbox (its `Dispatch`)."""

    dispatch = models.OneToOneField(Dispatch, on_delete=models.CASCADE, related_name="status_update")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=10_000)
    # Once sent, the status update logged for it is found through its Message-ID (a CapturedMessage).
    message_id = models.CharField(max_length=MESSAGE_ID_LENGTH)

    def __str__(self) -> str:
        return self.subject

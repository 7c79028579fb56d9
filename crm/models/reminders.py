"""What is due to be sent: the database, not the broker, holds it (see docs/reminders.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A reminder that could not be delivered is shown to its freelancer for this long (the dashboard's notice).
SHOW_UNDELIVERED_FOR = timedelta(days=14)


class Dispatch(models.Model):
    """One digest or nudge for one freelancer and one period, sent at most once."""

    class Kind(models.TextChoices):
        DIGEST = "digest", _("weekly digest")
        NUDGE = "nudge", _("status-update nudge")
        # To a client, on the freelancer's behalf: `period` is "pr<PaymentReminder id>".
        PAYMENT_REMINDER = "payment", _("payment reminder")
        # A status update the freelancer sends from the app through their own SMTP (crm/capture/sending.py).
        UPDATE = "update", _("status update sent from the app")
        # To a client: "How is our work going?", with their page's link; `period` is "<page id>:<day ordinal>".
        CHECK_IN = "checkin", _("check-in invitation")
        # To the freelancer, at once: the client pressed "something bothers me"; `period` is "s<signal id>".
        CLIENT_SIGNAL = "signal", _("alert: the client raised a concern")
        # A recap of a call or meeting, to the client: `period` is "rc<Recap id>" (crm/recaps/sending.py).
        RECAP = "recap", _("recap sent to a client")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        # The mail server was unreachable or answered "try later" (4xx): the sweep tries again at next_attempt_at.
        RETRYING = "retrying", _("waiting to retry")
        SENT = "sent", _("sent")
        SKIPPED = "skipped", _("skipped (nothing to report)")
        FAILED = "failed", _("failed")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dispatches")
    kind = models.CharField(max_length=8, choices=Kind)
    # The ISO week ("2026-W47") of a digest, the local day ("2026-11-22") of a nudge.
    period = models.CharField(max_length=16)
    state = models.CharField(max_length=8, choices=State, default=State.PENDING)
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # A transient failure's schedule lives here, not in a Celery countdown: the sweep hands the row over again
    # once this moment has passed, until RETRY_FOR after `failing_since` (crm/reminders/outbox.py).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "period"], name="dispatch_once_per_owner_kind_period"
            ),
        ]
        indexes = [
            # The beat sweep: WHERE state IN (pending, queued) AND due_at <= now.
            models.Index(fields=["state", "due_at"], name="dispatch_state_due_idx"),
            # The sweep's retries: WHERE state = retrying AND next_attempt_at <= now.
            models.Index(fields=["state", "next_attempt_at"], name="dispatch_state_retry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} for {self.owner_id}: {self.state}"

    @classmethod
    def failed_since(cls, owner: Any, since: datetime) -> models.QuerySet[Dispatch]:
        """Return `owner`'s reminders due since `since` that failed for good, latest first (three at most): the
        dashboard's undelivered reminders, since `undelivered_shown_since` (its read, compiled once, takes the
        moment as a value).

        Served by the (owner, kind, period) unique constraint's index: a freelancer has a few rows a week.
        """
        failed = cls.objects.filter(owner=owner, state=cls.State.FAILED, due_at__gte=since)
        return failed.order_by("-due_at")[:3]


def undelivered_shown_since(now: datetime) -> datetime:
    """Return since when a reminder that failed for good is still shown to its freelancer (two weeks)."""
    return now - SHOW_UNDELIVERED_FOR

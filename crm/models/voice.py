"""The client's own word on their page (issue 26): check-ins ("How is our work going?").

A check-in is the client's, never the freelancer's feeling (`Feeling` in crm/models/journal.py): it feeds the
client's side of the trust health (`crm.trust.formula._client_voice`) and the client can withdraw it from their
page; a withdrawn check-in no longer counts and stays in the history.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, OwnedThroughClient, OwnedThroughClientQuerySet
from crm.core.checks import CheckConstraint
from crm.core.dates import window_constraint

NOTE_LENGTH = 500


class CheckInQuerySet(OwnedThroughClientQuerySet):
    def for_owner(self, user: object) -> CheckInQuerySet:
        return self.filter(owner=user)

    def standing(self) -> CheckInQuerySet:
        """The check-ins the client has not withdrawn."""
        return self.filter(withdrawn_at__isnull=True)


class CheckIn(OwnedThroughClient):
    """The client's answer to "How is our work going?": one of three levels and a short note, in their words."""

    class Level(models.TextChoices):
        GOOD = "good", _("Going well")
        MIXED = "mixed", _("So-so")
        POOR = "poor", _("Not well")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="check_ins", verbose_name=_("client")
    )
    level = models.CharField(_("how it is going"), max_length=5, choices=Level)
    note = models.CharField(_("a word to add"), max_length=NOTE_LENGTH, blank=True)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)
    # Withdrawn by the client on their page: no longer counts, kept for the history.
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-answered_at", "-pk"]
        constraints = [
            CheckConstraint(condition=Q(level__in=["good", "mixed", "poor"]), name="checkin_level_valid"),
            CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=models.F("answered_at")),
                name="checkin_withdrawn_not_before_answered",
            ),
            window_constraint("checkin", "answered_at", moment=True),
        ]
        indexes = [
            # The trust loader, the client's page and the timeline: a client's check-ins by time.
            models.Index(fields=["client", "answered_at"], name="checkin_client_time_idx"),
        ]

    def __str__(self) -> str:
        return self.get_level_display()

    def withdraw(self, now: datetime) -> bool:
        """Withdraw the check-in (once: a second click changes nothing); return whether it was withdrawn now."""
        if self.withdrawn_at is not None:
            return False
        self.withdrawn_at = now
        self.save(update_fields=["withdrawn_at"])
        return True

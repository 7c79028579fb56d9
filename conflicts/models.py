"""Conflict signals: the four early signs of a bad relationship named by the webmaster's guide."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from clients.models import BookHistory, Client, OwnedThroughClient, OwnedThroughClientQuerySet
from crm.core.checks import CheckConstraint
from crm.core.dates import validate_day_in_window, window_constraint


class ConflictSignalQuerySet(OwnedThroughClientQuerySet):
    def for_owner(self, user: object) -> ConflictSignalQuerySet:
        return self.filter(owner=user)

    def open(self) -> ConflictSignalQuerySet:
        return self.filter(state=ConflictSignal.State.OPEN)

    def resolved(self) -> ConflictSignalQuerySet:
        return self.filter(state=ConflictSignal.State.RESOLVED)

    def raised_by_clients(self, most: int = 5) -> ConflictSignalQuerySet:
        """The open concerns clients raised on their pages, newest first, with their client (the dashboard's
        alert; conflict_owner_state_idx serves the owner and state)."""
        return (
            self.open()
            .filter(raised_by=ConflictSignal.RaisedBy.CLIENT)
            .select_related("client")
            .order_by("-observed_on", "-pk")[:most]
        )


class ConflictSignal(OwnedThroughClient):
    class Kind(models.TextChoices):
        IDEAS = "ideas", _("ideas")
        INTERESTS = "interests", _("interests")
        PAYMENT = "payment", _("payment")
        POSTURE = "posture", _("posture")

    class Severity(models.IntegerChoices):
        MINOR = 1, _("minor")
        SERIOUS = 2, _("serious")
        CRITICAL = 3, _("critical")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    class RaisedBy(models.TextChoices):
        # Observed by the freelancer, or said by the client on their page ("something bothers me", issue 26):
        # the client's own word is weighed on its own (crm.trust.formula._client_voice), never as the freelancer's.
        FREELANCER = "freelancer", _("you")
        CLIENT = "client", _("the client")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="conflict_signals", verbose_name=_("client")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    severity = models.PositiveSmallIntegerField(
        _("severity"),
        choices=Severity,
        default=Severity.MINOR,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    observed_on = models.DateField(_("observed on"), validators=[validate_day_in_window])
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.OPEN)
    resolved_on = models.DateField(
        _("resolved on"), null=True, blank=True, validators=[validate_day_in_window]
    )
    resolution = models.TextField(_("how it was resolved"), blank=True)
    raised_by = models.CharField(_("raised by"), max_length=10, choices=RaisedBy, default=RaisedBy.FREELANCER)
    # Withdrawn by the client who raised it: resolved that day, no longer counts, kept in the history.
    withdrawn_at = models.DateTimeField(_("withdrawn by the client"), null=True, blank=True, editable=False)

    history = BookHistory()

    objects = ConflictSignalQuerySet.as_manager()

    class Meta:
        verbose_name = _("conflict signal")
        verbose_name_plural = _("conflict signals")
        ordering = ["-observed_on", "-pk"]
        constraints = [
            CheckConstraint(condition=Q(severity__gte=1, severity__lte=3), name="conflict_severity_1_3"),
            CheckConstraint(
                condition=Q(kind__in=["ideas", "interests", "payment", "posture"]), name="conflict_kind_valid"
            ),
            # A resolved signal says when; an open one has no resolution date.
            CheckConstraint(
                condition=(Q(state="open") & Q(resolved_on__isnull=True))
                | (Q(state="resolved") & Q(resolved_on__isnull=False)),
                name="conflict_resolved_on_matches_state",
            ),
            CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("observed_on")),
                name="conflict_resolved_not_before_observed",
            ),
            CheckConstraint(
                condition=Q(raised_by__in=["freelancer", "client"]), name="conflict_raised_by_valid"
            ),
            window_constraint("conflict", "observed_on"),
            window_constraint("conflict", "resolved_on", nullable=True),
        ]
        indexes = [
            # The trust engine and the dashboard: open signals of a client.
            models.Index(fields=["client", "state"], name="conflict_client_state_idx"),
            # Dashboard and list: the freelancer's open signals, most severe and oldest first.
            models.Index(
                fields=["owner", "state", "-severity", "observed_on"], name="conflict_owner_state_idx"
            ),
            # The list's Resolved tab, latest first, read from the index rather than sorted.
            models.Index(fields=["owner", "state", "resolved_on", "id"], name="conflict_owner_resolved_idx"),
            # The dashboard's refresh after a change: a few clients' open signals, read for their owner (see
            # promise_owner_client_idx).
            models.Index(fields=["owner", "client", "state"], name="conflict_owner_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_severity_display()})"

    def clean(self) -> None:
        if self.state == self.State.RESOLVED and not self.resolved_on:
            raise ValidationError({"resolved_on": _("Say when the conflict was resolved.")})
        if self.state == self.State.OPEN and self.resolved_on:
            raise ValidationError({"resolved_on": _("An open conflict has no resolution date.")})
        if self.resolved_on and self.observed_on and self.resolved_on < self.observed_on:
            raise ValidationError({"resolved_on": _("A conflict cannot be resolved before it was observed.")})

    def resolve(self, on: date, how: str) -> None:
        """Mark the signal resolved on `on`, recording how."""
        self.state, self.resolved_on, self.resolution = self.State.RESOLVED, on, how
        self.full_clean()
        self.save(update_fields=["state", "resolved_on", "resolution"])

    def reopen(self) -> None:
        """Open a resolved signal again (the conflict came back); its resolution date and text are cleared."""
        if self.state == self.State.OPEN:
            raise ValidationError({"state": _("This conflict signal is already open.")})
        self.state, self.resolved_on, self.resolution, self.withdrawn_at = self.State.OPEN, None, "", None
        self.save(update_fields=["state", "resolved_on", "resolution", "withdrawn_at"])

    @property
    def is_clients(self) -> bool:
        """Whether the client raised it on their page (their own word)."""
        return self.raised_by == self.RaisedBy.CLIENT

    def withdraw(self, today: date, now: datetime) -> bool:
        """The client takes back what they raised: resolved `today`, marked withdrawn; return whether it changed
        (a second click, or a signal already resolved or not the client's, changes nothing)."""
        if not self.is_clients or self.withdrawn_at is not None or self.state != self.State.OPEN:
            return False
        self.state, self.resolved_on, self.withdrawn_at = (
            self.State.RESOLVED,
            max(today, self.observed_on),
            now,
        )
        self.save(update_fields=["state", "resolved_on", "withdrawn_at"])
        return True

"""A project's scope changes: a dated log of what either side asked to change, its price and deadline impact, and
each side's decision. The agreed scope itself (goals, deliverables, budget, due date) is on `clients.Project`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import BookHistory, Client, OwnedThroughClient, OwnedThroughClientQuerySet, Project
from crm.core.checks import CheckConstraint
from crm.core.dates import validate_day_in_window, validate_moment_in_window, window_constraint
from crm.core.days import add_days

# A deadline moves by at most ten years either way: beyond that it is a new project, not a change.
MAX_DEADLINE_DAYS = 3660


class ScopeChangeQuerySet(OwnedThroughClientQuerySet):
    def for_owner(self, user: object) -> ScopeChangeQuerySet:
        return self.filter(owner=user)

    def pending(self) -> ScopeChangeQuerySet:
        """Changes that wait for a side's decision (neither side declined, one has not decided yet)."""
        return self.exclude(
            Q(client_decision=ScopeChange.Decision.DECLINED)
            | Q(freelancer_decision=ScopeChange.Decision.DECLINED)
        ).filter(
            Q(client_decision=ScopeChange.Decision.PENDING)
            | Q(freelancer_decision=ScopeChange.Decision.PENDING)
        )

    def unpriced_not_declined(self) -> ScopeChangeQuerySet:
        """Changes that add work without a price (accepted or pending): what the "ideas" signal counts."""
        return self.exclude(
            Q(client_decision=ScopeChange.Decision.DECLINED)
            | Q(freelancer_decision=ScopeChange.Decision.DECLINED)
        ).filter(Q(price_change__isnull=True) | Q(price_change=0))


class ScopeChange(OwnedThroughClient):
    """One change of a project's scope, asked by the client or the freelancer on `asked_on`.

    The side that asks agrees to it by asking; the other side accepts or declines it. Accepted by both, it moves the
    project's budget and due date (`apply`), and keeps what they were before: the log keeps the original agreement.
    """

    class Side(models.TextChoices):
        CLIENT = "client", _("the client")
        FREELANCER = "freelancer", _("me")

    class Decision(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="scope_changes", verbose_name=_("client")
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="scope_changes", verbose_name=_("project")
    )
    asked_on = models.DateField(_("asked on"), validators=[validate_day_in_window])
    asked_by = models.CharField(_("asked by"), max_length=10, choices=Side, default=Side.CLIENT)
    description = models.TextField(_("what changes"), max_length=2000)
    price_change = models.DecimalField(
        _("price impact"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(Decimal("-9999999999.99")),
            MaxValueValidator(Decimal("9999999999.99")),
        ],
        help_text=_("In the project's currency: what it adds to the budget (negative when it removes work)."),
    )
    deadline_change_days = models.SmallIntegerField(
        _("deadline impact (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(-MAX_DEADLINE_DAYS), MaxValueValidator(MAX_DEADLINE_DAYS)],
        help_text=_("Days added to the due date (negative when it comes earlier)."),
    )
    freelancer_decision = models.CharField(
        _("my decision"), max_length=10, choices=Decision, default=Decision.PENDING
    )
    freelancer_decided_at = models.DateTimeField(
        _("decided by me at"), null=True, blank=True, validators=[validate_moment_in_window]
    )
    client_decision = models.CharField(
        _("the client's decision"), max_length=10, choices=Decision, default=Decision.PENDING
    )
    client_decided_at = models.DateTimeField(
        _("decided by the client at"), null=True, blank=True, validators=[validate_moment_in_window]
    )
    # The project's scope just before this change moved it (the original agreement stays readable in the log).
    budget_before = models.DecimalField(
        _("budget before"), max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )
    due_on_before = models.DateField(
        _("due date before"), null=True, blank=True, editable=False, validators=[validate_day_in_window]
    )
    applied_at = models.DateTimeField(
        _("applied at"), null=True, blank=True, editable=False, validators=[validate_moment_in_window]
    )
    created_at = models.DateTimeField(
        _("created"), default=timezone.now, editable=False, validators=[validate_moment_in_window]
    )

    history = BookHistory()

    objects = ScopeChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("scope change")
        verbose_name_plural = _("scope changes")
        ordering = ["-asked_on", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(asked_by__in=["client", "freelancer"]), name="scope_change_asked_by_valid"
            ),
            CheckConstraint(
                condition=Q(freelancer_decision__in=["pending", "accepted", "declined"])
                & Q(client_decision__in=["pending", "accepted", "declined"]),
                name="scope_change_decisions_valid",
            ),
            # A decision says when it was taken; a pending one has no date.
            CheckConstraint(
                condition=(Q(freelancer_decision="pending") & Q(freelancer_decided_at__isnull=True))
                | (~Q(freelancer_decision="pending") & Q(freelancer_decided_at__isnull=False)),
                name="scope_change_freelancer_decided_at_matches",
            ),
            CheckConstraint(
                condition=(Q(client_decision="pending") & Q(client_decided_at__isnull=True))
                | (~Q(client_decision="pending") & Q(client_decided_at__isnull=False)),
                name="scope_change_client_decided_at_matches",
            ),
            # Only a change both sides accepted moves the project.
            CheckConstraint(
                condition=Q(applied_at__isnull=True)
                | (Q(freelancer_decision="accepted") & Q(client_decision="accepted")),
                name="scope_change_applied_only_accepted",
            ),
            CheckConstraint(
                condition=Q(deadline_change_days__isnull=True)
                | (
                    Q(deadline_change_days__gte=-MAX_DEADLINE_DAYS)
                    & Q(deadline_change_days__lte=MAX_DEADLINE_DAYS)
                ),
                name="scope_change_deadline_days_bounded",
            ),
            window_constraint("scope_change", "asked_on"),
            window_constraint("scope_change", "due_on_before", nullable=True),
            window_constraint("scope_change", "freelancer_decided_at", moment=True, nullable=True),
            window_constraint("scope_change", "client_decided_at", moment=True, nullable=True),
            window_constraint("scope_change", "applied_at", moment=True, nullable=True),
            window_constraint("scope_change", "created_at", moment=True),
        ]
        indexes = [
            # The project's log: WHERE project_id = ? ORDER BY asked_on DESC.
            models.Index(fields=["project", "-asked_on"], name="scope_change_project_idx"),
            # The trust loader's client_id IN (...) and the client's page: WHERE client_id = ?.
            models.Index(fields=["client", "asked_on"], name="scope_change_client_idx"),
            # The digest's pending changes: WHERE owner_id = ?.
            models.Index(fields=["owner", "asked_on"], name="scope_change_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    def clean(self) -> None:
        if (
            self.project_id is not None
            and self.client_id is not None
            and self.project.client_id != self.client_id
        ):
            raise ValidationError({"project": _("Choose one of this client's projects.")})
        if self.description is not None and not self.description.strip():
            raise ValidationError({"description": _("Say what changes.")})

    # -- what the log reads ---------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """Return "declined" when a side declined, "accepted" when both accepted, else "pending"."""
        decisions = (self.freelancer_decision, self.client_decision)
        if self.Decision.DECLINED in decisions:
            return self.Decision.DECLINED
        if decisions == (self.Decision.ACCEPTED, self.Decision.ACCEPTED):
            return self.Decision.ACCEPTED
        return self.Decision.PENDING

    def get_state_display(self) -> str:
        return str(self.Decision(self.state).label)

    @property
    def is_priced(self) -> bool:
        return bool(self.price_change)

    def waits_for(self, side: str) -> bool:
        """Return True when `side` ("client" or "freelancer") can still decide this change."""
        return (
            self.state == self.Decision.PENDING and getattr(self, f"{side}_decision") == self.Decision.PENDING
        )

    # -- what changes it ------------------------------------------------------------------------------------

    def ask(self, now: datetime) -> None:
        """Record that the asking side agrees to its own change (before the first save)."""
        setattr(self, f"{self.asked_by}_decision", self.Decision.ACCEPTED)
        setattr(self, f"{self.asked_by}_decided_at", now)

    def decide(self, side: str, accepted: bool, now: datetime) -> None:
        """Record `side`'s decision (once) and, when both sides have now accepted, apply the change."""
        if side not in self.Side.values:
            raise ValueError(side)
        if not self.waits_for(side):
            raise ValidationError(_("This scope change was already decided."), code="decided")
        decision = self.Decision.ACCEPTED if accepted else self.Decision.DECLINED
        setattr(self, f"{side}_decision", decision)
        setattr(self, f"{side}_decided_at", now)
        fields = [f"{side}_decision", f"{side}_decided_at"]
        if self.state == self.Decision.ACCEPTED:
            self.apply(now)
            fields += ["budget_before", "due_on_before", "applied_at"]
        self.save(update_fields=fields)

    def apply(self, now: datetime) -> None:
        """Move the project's budget and due date by this change's impact, keeping what they were before."""
        project = self.project
        self.budget_before, self.due_on_before, self.applied_at = project.budget, project.due_on, now
        changed = []
        if self.price_change:
            project.budget = max((project.budget or Decimal(0)) + self.price_change, Decimal(0))
            changed.append("budget")
        if self.deadline_change_days and project.due_on is not None:
            project.due_on = add_days(project.due_on, self.deadline_change_days)
            if project.start_on is not None and project.due_on < project.start_on:
                project.due_on = project.start_on  # never before the start: the project's own check
            changed.append("due_on")
        if changed:
            project.save(update_fields=changed)

    @property
    def budget_after(self) -> Decimal | None:
        if self.applied_at is None:
            return None
        if not self.price_change:
            return self.budget_before
        return max((self.budget_before or Decimal(0)) + self.price_change, Decimal(0))

    @property
    def due_on_after(self) -> date | None:
        if self.applied_at is None or self.due_on_before is None or not self.deadline_change_days:
            return self.due_on_before
        return add_days(self.due_on_before, self.deadline_change_days)


def agreed_scope(project: Project, changes: list[ScopeChange]) -> dict[str, Any]:
    """Return the project's original agreement (budget, due date) from its log: what they were before the first
    change that moved them, else what they are now."""
    applied = sorted((c for c in changes if c.applied_at is not None), key=lambda c: (c.applied_at, c.pk))
    if not applied:
        return {"budget": project.budget, "due_on": project.due_on, "changed": False}
    first = applied[0]
    return {"budget": first.budget_before, "due_on": first.due_on_before, "changed": True}


__all__ = ["ScopeChange", "agreed_scope"]

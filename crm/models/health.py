"""Stored trust health: the latest score of each client, and one snapshot per client per day for trends.

The formula itself lives in `crm.trust` (pure functions); these rows only keep its results.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from crm.core.checks import CheckConstraint


class Band(models.TextChoices):
    HEALTHY = "healthy", _("healthy")
    WATCH = "watch", _("watch")
    AT_RISK = "at_risk", _("at risk")
    INSUFFICIENT = "insufficient", _("not enough history")


class ClientHealth(models.Model):
    """The client's current trust health, recomputed whenever its history changes."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, primary_key=True, related_name="health")
    # Denormalised from the client so the dashboard can rank a book with one indexed query.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.PositiveSmallIntegerField(_("trust health"))
    band = models.CharField(_("band"), max_length=12, choices=Band, default=Band.INSUFFICIENT)
    # {component: {"score": 0-100 | None, "weight": float, "contribution": float}}
    components = models.JSONField(default=dict, blank=True)
    # [{"code": str, "component": str, "impact": float, "params": {...}, "events": [{"type": str, "id": int}]}]
    reasons = models.JSONField(default=list, blank=True)
    evidence_count = models.PositiveIntegerField(default=0)
    # The two sides of the word (crm.trust.formula.SIDES), each on its own; None while a side has no event.
    my_score = models.PositiveSmallIntegerField(_("my word"), null=True, blank=True)
    client_score = models.PositiveSmallIntegerField(_("the client's word"), null=True, blank=True)
    score_week_ago = models.PositiveSmallIntegerField(null=True, blank=True)
    # Precomputed when written so list rows do no per-point template work: "x,y x,y ..." for an SVG polyline.
    sparkline_points = models.CharField(max_length=1000, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    # Worst first: at risk, watch, healthy, then not enough history. Kept by the database so that the dashboard
    # pages through the book along the (owner, rank, score) index instead of sorting every client.
    rank = models.GeneratedField(
        expression=models.Case(
            models.When(band=Band.AT_RISK, then=0),
            models.When(band=Band.WATCH, then=1),
            models.When(band=Band.HEALTHY, then=2),
            default=3,
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("trust health")
        verbose_name_plural = _("trust health")
        constraints = [
            CheckConstraint(condition=models.Q(score__lte=100), name="health_score_0_100"),
        ]
        indexes = [
            # Dashboard: WHERE owner_id = ? ORDER BY rank, score (worst first).
            models.Index(fields=["owner", "rank", "score"], name="health_owner_rank_score_idx"),
            models.Index(fields=["owner", "band"], name="health_owner_band_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.score} ({self.band})"

    @property
    def has_score(self) -> bool:
        """False for a client with nothing logged yet: its 50 is a placeholder, shown as "–"."""
        return self.band != Band.INSUFFICIENT or self.evidence_count > 0

    def side_band(self, side: str) -> str:
        """Return the band of one side ("mine" or "client") from its score and the settings' thresholds."""
        score = self.my_score if side == "mine" else self.client_score
        if score is None:
            return Band.INSUFFICIENT
        if score < settings.TRUST_BAND_WATCH:
            return Band.AT_RISK
        return Band.HEALTHY if score >= settings.TRUST_BAND_HEALTHY else Band.WATCH

    @property
    def my_band(self) -> str:
        return self.side_band("mine")

    @property
    def client_band(self) -> str:
        return self.side_band("client")

    @property
    def trend(self) -> int | None:
        """Points gained (positive) or lost since a week ago."""
        return None if self.score_week_ago is None else self.score - self.score_week_ago


class HealthSnapshot(models.Model):
    """One client's trust health on one day (written by the nightly task; idempotent per day)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="health_snapshots")
    day = models.DateField()
    score = models.PositiveSmallIntegerField()
    band = models.CharField(max_length=12, choices=Band)

    class Meta:
        verbose_name = _("trust health snapshot")
        constraints = [
            models.UniqueConstraint(fields=["client", "day"], name="snapshot_one_per_client_per_day"),
            CheckConstraint(condition=models.Q(score__lte=100), name="snapshot_score_0_100"),
        ]
        # The unique constraint's index (client, day) serves the trend queries.

    def __str__(self) -> str:
        return f"{self.client_id} {self.day}: {self.score}"


class HealthChange(models.Model):
    """A move of one client's trust health caused by a change to its history, shown in its timeline.

    Written by the journal's door (`crm.trust.door.journal_changed`) when the score moves by at least
    `HEALTH_CHANGE_MIN_POINTS` or the band changes; never by the nightly recompute of the whole book, where the
    fading of old events alone would fill every timeline every day. A move within the undo window of the
    client's last one is folded into it (`crm.trust.health.write_moves`): the timeline shows the net move, or
    nothing when the score came back to where it was.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="health_changes")
    at = models.DateTimeField(_("when"), default=timezone.now)
    old_score = models.PositiveSmallIntegerField()
    new_score = models.PositiveSmallIntegerField()
    old_band = models.CharField(max_length=12, choices=Band)
    new_band = models.CharField(max_length=12, choices=Band)
    # The reason that moved most, as `crm.trust` gives it ({"code", "params", ...}), plus "gone": True when it
    # moved the score by leaving the reasons. Put in words when drawn, so it follows the reader's language.
    reason = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("trust health change")
        constraints = [
            CheckConstraint(
                condition=models.Q(old_score__lte=100, new_score__lte=100),
                name="health_change_scores_0_100",
            ),
        ]
        indexes = [
            # The workspace timeline: a client's newest changes by time (crm/web/views/timeline.py).
            models.Index(fields=["client", "at"], name="health_change_client_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.old_score} -> {self.new_score}"

    @property
    def points(self) -> int:
        """Return the points gained (positive) or lost."""
        return self.new_score - self.old_score

"""The evidence pack of a client: a dated PDF and a ZIP of its sources, built by a worker (crm/evidence)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import Client, OwnedThroughClient
from crm.core.checks import CheckConstraint

# A client's packs kept: each is a dated copy of the book as it stood, the older ones give way to the newest.
KEEP_PER_CLIENT = 5


class EvidencePackQuerySet(models.QuerySet["EvidencePack"]):
    def for_owner(self, user: object) -> EvidencePackQuerySet:
        return self.filter(owner=user)

    def without_files(self) -> EvidencePackQuerySet:
        """Leave the PDF and the ZIP in the database: lists and the progress page read only the row's state."""
        return self.defer("pdf", "archive")


class EvidencePack(OwnedThroughClient):
    """One evidence pack of one client: queued, built by a worker, then its PDF and ZIP kept in the database
    (workers and web processes may run on different machines: no file is shared between them)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being built")
        DONE = "done", _("ready")
        FAILED = "failed", _("not built")

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="evidence_packs", verbose_name=_("client")
    )
    state = models.CharField(_("state"), max_length=8, choices=State, default=State.QUEUED)
    # The freelancer's language when it was asked for: the pack is written in it.
    language = models.CharField(_("language"), max_length=2)
    created_at = models.DateTimeField(_("asked for at"), default=timezone.now, editable=False)
    # The moment the book was read: the date the pack states on its first page.
    built_at = models.DateTimeField(_("drawn up at"), null=True, blank=True)
    pdf = models.BinaryField(editable=False, default=b"")
    archive = models.BinaryField(editable=False, default=b"")
    pdf_bytes = models.PositiveIntegerField(default=0)
    archive_bytes = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    objects = EvidencePackQuerySet.as_manager()

    class Meta:
        verbose_name = _("evidence pack")
        verbose_name_plural = _("evidence packs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed"]),
                name="evidence_pack_state_valid",
            ),
        ]
        indexes = [
            # The workspace's list of a client's packs: WHERE client_id = ? ORDER BY created_at DESC.
            models.Index(fields=["client", "-created_at"], name="evidence_pack_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.created_at:%Y-%m-%d}"

    @property
    def finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}

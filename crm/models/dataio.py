"""A book import: the file as uploaded, its column mapping, and what importing it did (crm/dataio)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from crm.core.checks import CheckConstraint

# What an import wrote (and skipped), in words: the keys of `BookImport.counts`.
COUNT_WORDS = {
    "clients": ngettext_lazy("%(count)d client added", "%(count)d clients added", "count"),
    "contacts": ngettext_lazy("%(count)d contact added", "%(count)d contacts added", "count"),
    "projects": ngettext_lazy("%(count)d project added", "%(count)d projects added", "count"),
    "interactions": ngettext_lazy("%(count)d interaction added", "%(count)d interactions added", "count"),
    "promises": ngettext_lazy("%(count)d promise added", "%(count)d promises added", "count"),
    "invoices": ngettext_lazy("%(count)d invoice added", "%(count)d invoices added", "count"),
    "conflict_signals": ngettext_lazy(
        "%(count)d conflict signal added", "%(count)d conflict signals added", "count"
    ),
    "feelings": ngettext_lazy("%(count)d feeling added", "%(count)d feelings added", "count"),
    "check_ins": ngettext_lazy(
        "%(count)d check-in of the client added", "%(count)d check-ins of clients added", "count"
    ),
    "health_snapshots": ngettext_lazy(
        "%(count)d day of trust health history", "%(count)d days of trust health history", "count"
    ),
    "health_changes": ngettext_lazy(
        "%(count)d move of trust health", "%(count)d moves of trust health", "count"
    ),
    "skipped": ngettext_lazy(
        "%(count)d row skipped: already in your book",
        "%(count)d rows skipped: already in your book",
        "count",
    ),
}


class BookImport(models.Model):
    """One file a freelancer imports: previewed first, then written all at once (or not at all).

    The decoded text is kept from the upload to the confirmation, so the preview and the import read the very
    same rows; a large one is imported by a Celery task while its progress is read from the cache.
    """

    class Kind(models.TextChoices):
        CLIENTS = "clients", _("clients and contacts (CSV)")
        HISTORY = "history", _("interactions, promises and invoices (CSV)")
        VCARD = "vcard", _("contacts (vCard)")
        BOOK = "book", _("a Confiance export (JSON)")

    class State(models.TextChoices):
        PREVIEW = "preview", _("to check")
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("not imported")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    filename = models.CharField(_("file"), max_length=200)
    text = models.TextField(editable=False)
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    # Column index (as text) -> field name, as guessed from the header or chosen on the preview.
    mapping = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State, default=State.PREVIEW)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    # {"clients": 12, "contacts": 15, "skipped": 3}: what the import wrote, and what it found already there.
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("book import")
        ordering = ["-created_at", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(state__in=["preview", "queued", "running", "done", "failed"]),
                name="bookimport_state_valid",
            ),
            CheckConstraint(
                condition=Q(kind__in=["clients", "history", "vcard", "book"]), name="bookimport_kind_valid"
            ),
        ]
        indexes = [
            # The import page's recent imports: WHERE owner_id = ? ORDER BY created_at DESC.
            models.Index(fields=["owner", "-created_at"], name="bookimport_owner_created_idx"),
        ]

    def __str__(self) -> str:
        return self.filename

    def count_lines(self) -> list[str]:
        """Return what the import wrote and skipped, one line each, in the active language."""
        return [
            str(COUNT_WORDS[name] % {"count": count}) if name in COUNT_WORDS else f"{name}: {count}"
            for name, count in self.counts.items()
        ]

    @property
    def finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}

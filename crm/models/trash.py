"""The way back: what a one-click action changed (`Undo`), and what a delete removed (`TrashItem`).

Both are stored in the database and scoped to their owner, so an undo or a restore never trusts anything the
browser sends but the row's id. The behaviour (taking a snapshot, putting it back, purging) lives in `crm.trash`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.core.checks import CheckConstraint

# How long a deleted record waits in the trash before the nightly purge removes it for good.
TRASH_DAYS = 30
# How long the "Undo" of an action stays valid: long enough to read the toast (or the message after a plain
# POST) and change one's mind, short enough that an undo never rewinds work done much later.
UNDO_MINUTES = 15


class TrashItemQuerySet(models.QuerySet["TrashItem"]):
    def for_owner(self, user: object) -> TrashItemQuerySet:
        return self.filter(owner=user)

    def expired(self, now: datetime) -> TrashItemQuerySet:
        return self.filter(deleted_at__lt=now - timedelta(days=TRASH_DAYS))

    def restorable(self, now: datetime) -> TrashItemQuerySet:
        return self.filter(deleted_at__gte=now - timedelta(days=TRASH_DAYS))


class TrashItem(models.Model):
    """A deleted record and everything that went with it, as serialized rows, restorable with the same ids."""

    class Kind(models.TextChoices):
        CLIENT = "client", _("client")
        PROJECT = "project", _("project")
        CONTACT = "contact", _("contact")
        INTERACTION = "interaction", _("interaction")
        PROMISE = "promise", _("promise")
        INVOICE = "invoice", _("invoice")
        CONFLICT = "conflict", _("conflict signal")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind)
    object_id = models.PositiveBigIntegerField()
    # The deleted record's client, by id only: the client itself may be what was deleted.
    client_id = models.PositiveBigIntegerField()
    label = models.CharField(_("what"), max_length=300)
    client_name = models.CharField(_("client"), max_length=200)
    # {"projects": 2, "interactions": 14, ...}: what went with it, shown before restoring.
    counts = models.JSONField(default=dict, blank=True)
    # Django's serializer output (a list of {"model", "pk", "fields"}), parents first, plus the rows that
    # pointed at the record through a nullable key and were set to null ("relinks").
    rows = models.JSONField(default=list, blank=True)
    relinks = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now)

    objects = TrashItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("item in the trash")
        verbose_name_plural = _("trash")
        ordering = ["-deleted_at", "-pk"]
        constraints = [
            CheckConstraint(
                condition=Q(
                    kind__in=["client", "project", "contact", "interaction", "promise", "invoice", "conflict"]
                ),
                name="trash_kind_valid",
            ),
        ]
        indexes = [
            # The trash page: one owner's items, newest first; the purge: every item older than 30 days.
            models.Index(fields=["owner", "deleted_at"], name="trash_owner_deleted_idx"),
            models.Index(fields=["deleted_at"], name="trash_deleted_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"

    @property
    def purge_on(self) -> datetime:
        """Return when the purge removes this item for good."""
        return self.deleted_at + timedelta(days=TRASH_DAYS)


class UndoQuerySet(models.QuerySet["Undo"]):
    def for_owner(self, user: object) -> UndoQuerySet:
        return self.filter(owner=user)

    def expired(self, now: datetime) -> UndoQuerySet:
        return self.filter(expires_at__lt=now)


def _undo_expiry() -> datetime:
    return timezone.now() + timedelta(minutes=UNDO_MINUTES)


class Undo(models.Model):
    """How to take back one action: the changed fields' values before and after, the row it created, or the
    trash item of what it deleted."""

    class Action(models.TextChoices):
        REVERT = "revert", _("put the previous values back")
        REMOVE = "remove", _("remove the created record")
        RESTORE = "restore", _("restore from the trash")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=8, choices=Action)
    # The record acted on: "promise", "invoice", "conflict", "interaction" (see crm.trash.kinds.KINDS).
    kind = models.CharField(max_length=12, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Field values (JSON, times to the microsecond: crm.trash.kinds.as_json) before and after the action: an
    # undo refuses to run when the record no longer holds the "after" values, so it never overwrites a later
    # change.
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    trash = models.ForeignKey(TrashItem, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=_undo_expiry)

    objects = UndoQuerySet.as_manager()

    class Meta:
        verbose_name = _("undo")
        constraints = [
            CheckConstraint(
                condition=Q(action__in=["revert", "remove", "restore"]), name="undo_action_valid"
            ),
            # A restore names its trash item; the others name the record they act on.
            CheckConstraint(
                condition=(Q(action="restore") & Q(trash__isnull=False))
                | (~Q(action="restore") & Q(object_id__isnull=False)),
                name="undo_names_its_target",
            ),
        ]
        # The purge: every undo past its time.
        indexes = [models.Index(fields=["expires_at"], name="undo_expires_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.kind} {self.object_id or self.trash_id}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) > self.expires_at

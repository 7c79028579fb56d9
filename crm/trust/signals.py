"""Keep each client's trust health current: recompute it whenever its history changes.

The receivers run synchronously so an htmx view shows the new score in the same response. Bulk inserts
(`bulk_create`, the demo seed) bypass signals and call `crm.trust.health.recompute_book` instead.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Max, Q
from django.db.models.signals import post_delete, post_save

from clients.models import Client, Profile, Project
from conflicts.models import ConflictSignal
from crm.models import Feeling, Interaction, Invoice, Promise
from crm.trust.health import recompute_client


def _started_from(origin: Any, *models: type) -> bool:
    """Return True when a deletion started from an instance or a queryset of one of `models`."""
    model = getattr(origin, "model", None) or type(origin)
    return isinstance(model, type) and issubclass(model, models)


def _deleting_book(origin: Any) -> bool:
    """Return True when the deletion started from a client (or clients) or from an account: the rows of that
    client, or of that whole book, are going too, so there is nothing left to score.

    Rescoring there would write trust health rows (and contact clocks) for clients deleted in the same
    transaction: an IntegrityError when it commits, and a recompute per deleted row before that.
    """
    return _started_from(origin, Client, get_user_model())


def refresh_contact_times(client_id: int) -> None:
    """Store the client's last contact and last status update (sent to the client) from its interactions."""
    latest = Interaction.objects.filter(client_id=client_id).aggregate(
        last_contact=Max("happened_at"),
        last_update=Max(
            "happened_at",
            filter=Q(kind=Interaction.Kind.STATUS_UPDATE, direction=Interaction.Direction.TO_CLIENT),
        ),
    )
    Client.objects.filter(pk=client_id).update(
        last_contact_at=latest["last_contact"], last_status_update_at=latest["last_update"]
    )


def interaction_changed(sender: Any, instance: Interaction, **kwargs: Any) -> None:
    if _deleting_book(kwargs.get("origin")):
        return
    refresh_contact_times(instance.client_id)
    recompute_client(instance.client_id)


def history_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A promise, invoice, conflict signal, project or feeling changed: recompute its client's score."""
    if _deleting_book(kwargs.get("origin")):
        return
    recompute_client(instance.client_id)


def client_saved(
    sender: Any, instance: Client, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    # The cadence may have changed. A new client gets its "not enough history" row at once: the dashboard
    # ranks the book through the trust health rows, so every client needs one.
    if not raw:
        recompute_client(instance.pk)


def client_deleted(sender: Any, instance: Client, **kwargs: Any) -> None:
    # Its trust health row goes with it, unseen by crm.trust.health: move the book version here (unless the
    # whole account is going, profile and all).
    if not _started_from(kwargs.get("origin"), get_user_model()):
        Profile.book_changed([instance.owner_id])


def connect() -> None:
    """Connect the receivers (called from `CrmConfig.ready`)."""
    post_save.connect(interaction_changed, sender=Interaction, dispatch_uid="trust_interaction_saved")
    post_delete.connect(interaction_changed, sender=Interaction, dispatch_uid="trust_interaction_deleted")
    for model in (Promise, Invoice, ConflictSignal, Project, Feeling):
        name = model._meta.model_name
        post_save.connect(history_changed, sender=model, dispatch_uid=f"trust_{name}_saved")
        post_delete.connect(history_changed, sender=model, dispatch_uid=f"trust_{name}_deleted")
    post_save.connect(client_saved, sender=Client, dispatch_uid="trust_client_saved")
    post_delete.connect(client_deleted, sender=Client, dispatch_uid="book_client_deleted")

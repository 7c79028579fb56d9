"""The one receiver left of the trust engine: a client row deleted moves its owner's book version.

Trust health is kept current by explicit calls of the journal's door (`crm.trust.door.journal_changed`), never by
a receiver. This one stays because a client's delete also deletes its `ClientHealth` row by cascade, unseen by the
door (which skips clients that no longer exist and cannot know their owner): whichever way the row goes (the
trash, the sample book's removal, the demo's reseed, the admin), the dashboard must not keep drawing it. It
recomputes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete

from clients.models import Client, Profile


def _started_from(origin: Any, *models: type) -> bool:
    """Return True when a deletion started from an instance or a queryset of one of `models`."""
    model = getattr(origin, "model", None) or type(origin)
    return isinstance(model, type) and issubclass(model, models)


def client_deleted(sender: Any, instance: Client, **kwargs: Any) -> None:
    # Unless the whole account is going, profile and all.
    if not _started_from(kwargs.get("origin"), get_user_model()):
        Profile.book_changed([instance.owner_id])


def connect() -> None:
    """Connect the receiver (called from `CrmConfig.ready`)."""
    post_delete.connect(client_deleted, sender=Client, dispatch_uid="book_client_deleted")

"""The record kinds that can be undone or trashed, by the names the URLs and the trash use."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.models import Interaction, Invoice, Promise

KINDS: dict[str, type[Model]] = {
    "client": Client,
    "project": Project,
    "interaction": Interaction,
    "promise": Promise,
    "invoice": Invoice,
    "conflict": ConflictSignal,
}


def kind_of(obj: Model) -> str:
    """Return the kind name of `obj`."""
    return next(name for name, model in KINDS.items() if isinstance(obj, model))


def owned(kind: str, owner: Any) -> QuerySet[Any]:
    """Return the records of `kind` that belong to `owner` (the only ones an undo or restore may touch)."""
    model = KINDS[kind]
    if model is Client:
        return Client.objects.filter(owner=owner)
    return model.objects.filter(client__owner=owner)

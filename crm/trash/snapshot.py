"""Put a deleted record in the trash with everything that went with it; restore it exactly; purge old ones.

A trash item holds Django's serialization of the record and of every row its delete removes (a client takes its
projects, interactions, promises, invoices, conflict signals and trust-health snapshots along), parents first,
and the ids of the rows a deleted project was unlinked from. Restoring inserts the same rows with the same ids
(`bulk_create`, so no per-row signal recomputes the score a hundred times), links those rows back, then refreshes
the client's contact clocks and recomputes its trust health once, all in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.core import serializers
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.models import HealthSnapshot, Interaction, Invoice, Promise, TrashItem, Undo
from crm.trash.kinds import as_json, kind_of
from crm.trust.health import recompute_client
from crm.trust.signals import refresh_contact_times

# What a client's delete takes along, in the order they are restored (parents first); the count's name.
CLIENT_CHILDREN: list[tuple[str, type[Model], str]] = [
    ("projects", Project, "client_id"),
    ("interactions", Interaction, "client_id"),
    ("promises", Promise, "client_id"),
    ("invoices", Invoice, "client_id"),
    ("conflict_signals", ConflictSignal, "client_id"),
    ("health_snapshots", HealthSnapshot, "client_id"),
]
# Rows that point at a project through a nullable key: a project's delete unlinks them, its restore links them back.
PROJECT_LINKED: list[type[Model]] = [Interaction, Promise, Invoice]


class RestoreError(Exception):
    """The trash item cannot be restored as it was (its message says why, in the user's language)."""


def client_summary(client: Client) -> dict[str, int]:
    """Return how many records of each kind a delete of `client` takes along (one COUNT per kind)."""
    return {
        name: model.objects.filter(**{field: client.pk}).count()
        for name, model, field in CLIENT_CHILDREN
        if model is not HealthSnapshot
    }


def _serialize(objects: list[Model]) -> list[dict[str, Any]]:
    # Python values turned into JSON to the microsecond, read back exactly by the deserializer (Django's "json"
    # format would cut times to the millisecond).
    return as_json(serializers.serialize("python", objects)) if objects else []


def _collect(obj: Model) -> tuple[list[dict[str, Any]], dict[str, int], dict[str, list[int]]]:
    """Return the rows to keep (parents first), the counts of what goes along, and the links to put back."""
    if isinstance(obj, Client):
        rows, counts = _serialize([obj]), {}
        for name, model, field in CLIENT_CHILDREN:
            children = list(model.objects.filter(**{field: obj.pk}).order_by("pk"))
            rows += _serialize(children)
            if model is not HealthSnapshot:
                counts[name] = len(children)
        return rows, counts, {}
    relinks: dict[str, list[int]] = {}
    if isinstance(obj, Project):
        for model in PROJECT_LINKED:
            ids = list(model.objects.filter(project_id=obj.pk).order_by("pk").values_list("pk", flat=True))
            if ids:
                relinks[model._meta.label_lower] = ids
    return _serialize([obj]), {}, relinks


@transaction.atomic
def to_trash(obj: Model, owner: Any) -> TrashItem:
    """Delete `obj` (and what goes with it), keeping it all in a new trash item of `owner`; return the item."""
    rows, counts, relinks = _collect(obj)
    client = obj if isinstance(obj, Client) else obj.client
    item = TrashItem.objects.create(
        owner=owner,
        kind=kind_of(obj),
        object_id=obj.pk,
        client_id=client.pk,
        label=str(obj)[:300],
        client_name=client.name,
        counts=counts,
        rows=rows,
        relinks=relinks,
    )
    # The journal's signals recompute the client's trust health (or drop it, with the client).
    obj.delete()
    return item


def restore(item: TrashItem) -> Client:
    """Insert the item's rows back with their ids and values, in one transaction; return their client.

    Raise `RestoreError` when that cannot be done exactly: the client is gone, or a row would collide with one
    made since (an invoice number used again).
    """
    try:
        with transaction.atomic():
            client = _insert(item)
            for label, ids in item.relinks.items():
                model = next(m for m in PROJECT_LINKED if m._meta.label_lower == label)
                # Only the rows still there, still of this client and still unlinked.
                model.objects.filter(pk__in=ids, client_id=client.pk, project__isnull=True).update(
                    project_id=item.object_id
                )
            refresh_contact_times(client.pk)
            recompute_client(client.pk)
            Undo.objects.filter(trash=item).delete()
            item.delete()
    except IntegrityError as error:
        raise RestoreError(
            _("This cannot be restored as it was: a record made since uses the same number or name.")
        ) from error
    return client


def _insert(item: TrashItem) -> Client:
    objects = [entry.object for entry in serializers.deserialize("python", item.rows)]
    if item.kind == TrashItem.Kind.CLIENT:
        client = objects[0]
        if client.owner_id != item.owner_id:  # never: the item was made from the owner's client
            raise RestoreError(_("This item is not yours."))
        Client.objects.bulk_create([client])
        objects = objects[1:]
    else:
        client = Client.objects.filter(pk=item.client_id, owner_id=item.owner_id).first()
        if client is None:
            raise RestoreError(_("Its client was deleted: restore the client first."))
    by_model: dict[type[Model], list[Model]] = defaultdict(list)
    for obj in objects:
        obj.client = client  # known: no query per row (OwnedThroughClient copies the owner from it)
        by_model[type(obj)].append(obj)
    for model, rows in by_model.items():
        model.objects.bulk_create(rows)
    return client


def purge(now: datetime) -> dict[str, int]:
    """Delete for good the trash items older than 30 days and the undos past their time; return how many."""
    trashed = TrashItem.objects.expired(now).delete()[1].get(TrashItem._meta.label, 0)
    undos = Undo.objects.expired(now).delete()[0]
    return {"trash_items": trashed, "undos": undos}

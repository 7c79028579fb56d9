"""Put a deleted record in the trash with everything that went with it; restore it exactly; purge old ones.

A trash item holds Django's serialization of the record and of every row its delete removes, as Django's own
delete collector finds them (a client takes its projects, interactions, promises, invoices, conflict signals and
trust-health history along), parents first, and the rows the delete unlinked (a project's interactions). Restoring inserts the same rows with the same ids
(`bulk_create`), links those rows back, then goes through the journal's door once (`crm.trust.door`: the client's
contact clocks and trust health), all in one transaction. A delete goes through the door too, once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core import serializers
from django.db import IntegrityError, router, transaction
from django.db.models import Count, Model, OuterRef, Subquery
from django.db.models.deletion import Collector
from django.utils.translation import gettext as _

from clients.models import Client, Contact, FormSubmission, Project
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, ClientPage, EvidencePack, Interaction, Invoice, Promise, TrashItem, Undo
from crm.trash.kinds import as_json, kind_of
from crm.trust.door import journal_changed

# What a client's delete takes along, counted on the confirmation page and in the trash.
CLIENT_CHILDREN: list[tuple[str, type[Model]]] = [
    ("contacts", Contact),
    ("projects", Project),
    ("interactions", Interaction),
    ("promises", Promise),
    ("invoices", Invoice),
    ("conflict_signals", ConflictSignal),
]
# Rows derived from the others: never kept, computed again when the client comes back. The client's page is not
# kept either: its link dies with the delete, and a restored client gets a new one only when the freelancer asks.
# An evidence pack is a dated copy of the book as it stood: built again on demand, never restored.
DERIVED: tuple[type[Model], ...] = (ClientHealth, ClientPage, EvidencePack)


class RestoreError(Exception):
    """The trash item cannot be restored as it was (its message says why, in the user's language)."""


def client_summary(client: Client) -> dict[str, int]:
    """Return how many records of each kind a delete of `client` takes along (one query, a count per kind)."""
    counts = {
        f"n_{name}": Subquery(
            model._default_manager.filter(client_id=OuterRef("pk"))
            .order_by()
            .values("client_id")
            .annotate(count=Count("pk"))
            .values("count")
        )
        for name, model in CLIENT_CHILDREN
    }
    row = Client.objects.filter(pk=client.pk).annotate(**counts).values(*counts).get()
    return {name: row[f"n_{name}"] or 0 for name, _model in CLIENT_CHILDREN}


def _serialize(objects: list[Model]) -> list[dict[str, Any]]:
    # Python values turned into JSON to the microsecond, read back exactly by the deserializer (Django's "json"
    # format would cut times to the millisecond).
    return as_json(serializers.serialize("python", objects)) if objects else []


def _collect(
    obj: Model,
) -> tuple[Collector, list[dict[str, Any]], dict[str, int], dict[str, list[list[int]]]]:
    """Return the delete to run, the rows to keep (parents first), the counts of what goes along, and the links
    to put back.

    Django's own delete collector says what the delete will remove and unlink, so whatever cascades from a
    client (its journal, its trust-health history, any table added later) is kept without being listed here.
    """
    collector = Collector(using=router.db_for_write(type(obj)), origin=obj)
    collector.collect([obj])
    collector.sort()  # the order a delete takes: the rows pointing at others first
    found: dict[type[Model], dict[int, Model]] = defaultdict(dict)
    for model in reversed(list(collector.data)):  # parents first
        found[model].update((row.pk, row) for row in collector.data[model])
    for rows in collector.fast_deletes:  # rows nothing points at, deleted without being loaded
        found[rows.model].update((row.pk, row) for row in rows)
    # Read just above for the trash, in this transaction: a table that holds none of them needs no DELETE (a
    # client's feelings, which no receiver listens to).
    collector.fast_deletes = [rows for rows in collector.fast_deletes if rows]
    kept: list[dict[str, Any]] = []
    for model, rows in found.items():
        if model not in DERIVED:
            kept += _serialize([rows[pk] for pk in sorted(rows)])
    counts = (
        {name: len(found.get(model, {})) for name, model in CLIENT_CHILDREN}
        if isinstance(obj, Client)
        else {}
    )
    relinks: dict[str, list[list[int]]] = defaultdict(list)
    for (field, _value), batches in collector.field_updates.items():
        for batch in batches:
            for row in batch:
                relinks[f"{field.model._meta.label_lower}.{field.attname}"].append(
                    [row.pk, getattr(row, field.attname)]
                )
    return collector, kept, counts, dict(relinks)


@transaction.atomic
def to_trash(obj: Model, owner: Any) -> TrashItem:
    """Delete `obj` (and what goes with it), keeping it all in a new trash item of `owner`; return the item."""
    delete, rows, counts, relinks = _collect(obj)
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
    # The same delete `obj.delete()` runs, collected once.
    delete.delete()
    if isinstance(obj, Contact):
        if obj.is_primary:
            client.copy_primary_contact(None)  # the client's email and phone were that contact's
    elif not isinstance(obj, Client):
        # A client's delete takes its trust health along (and crm.trust.signals moves its book version); a
        # contact is not scored. Anything else changed the client's journal.
        journal_changed([client.pk])
    return item


def restore(item: TrashItem) -> Client:
    """Insert the item's rows back with their ids and values, in one transaction; return their client.

    Raise `RestoreError` when that cannot be done exactly: the client is gone, or a row would collide with one
    made since (an invoice number used again).
    """
    try:
        with transaction.atomic():
            client = _insert(item)
            _relink(item, client)
            if item.kind == TrashItem.Kind.CONTACT:
                # Inserted as they were, without Contact.save: a primary contact's address goes back on its client.
                primary = client.contacts.filter(is_primary=True).first()
                if primary is not None:
                    client.copy_primary_contact(primary)
            journal_changed([client.pk])
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
        updated_at = client.updated_at
        Client.objects.bulk_create([client])
        # `auto_now` wrote the time of the restore: put back the time it was last changed, as it was.
        Client.objects.filter(pk=client.pk).update(updated_at=updated_at)
        objects = objects[1:]
    else:
        client = Client.objects.filter(pk=item.client_id, owner_id=item.owner_id).first()
        if client is None:
            raise RestoreError(_("Its client was deleted: restore the client first."))
    by_model: dict[type[Model], list[Model]] = defaultdict(list)
    for obj in objects:
        if getattr(obj, "client_id", None) == client.pk:
            obj.client = client  # known: no query per row (OwnedThroughClient copies the owner from it)
        by_model[type(obj)].append(obj)
    for model, rows in by_model.items():
        model.objects.bulk_create(rows)
    return client


def _relink(item: TrashItem, client: Client) -> None:
    """Point the rows the delete unlinked (set to null) at what they pointed at again."""
    for key, pairs in item.relinks.items():
        label, attname = key.rsplit(".", 1)
        model = apps.get_model(label)
        targets: dict[int, list[int]] = defaultdict(list)
        for pk, target in pairs:
            targets[target].append(pk)
        for target, ids in targets.items():
            # Only the rows still there, still of this client and still unlinked.
            model.objects.filter(pk__in=ids, client_id=client.pk, **{f"{attname}__isnull": True}).update(
                **{attname: target}
            )


def purge(now: datetime) -> dict[str, int]:
    """Delete for good the trash items older than 30 days, the undos past their time and the forms' one-time
    tokens older than a day; return how many."""
    trashed = TrashItem.objects.expired(now).delete()[1].get(TrashItem._meta.label, 0)
    undos = Undo.objects.expired(now).delete()[0]
    return {"trash_items": trashed, "undos": undos, "form_tokens": FormSubmission.forget_old(now)}

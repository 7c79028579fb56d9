"""One way for every face to fetch a record for its owner: another freelancer's record is a 404.

Web views, API resources, the capture, import, reminders and portal pages all call `owned_or_404` first
(docs/architecture.md; tests/test_ownership_walk.py walks every URL as bob). The record's owner is read where the
model keeps it: its own `owner` column (a client, and the journal rows that copy their client's owner), else
through its client. A read of one record by its key is a statement compiled once (`owned_by_pk`): every click
starts with one.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections, models, router
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from crm.core import statements

M = TypeVar("M", bound=models.Model)


def owner_path(model: type[models.Model]) -> str:
    """Return the lookup from `model` to its owner: `owner` when the row stores it, else `client__owner`."""
    for path in ("owner", "client"):
        try:
            model._meta.get_field(path)
        except FieldDoesNotExist:
            continue
        return "owner" if path == "owner" else "client__owner"
    raise ImproperlyConfigured(f"{model.__name__} has no owner: neither an `owner` nor a `client` field")


def owned(model_or_queryset: type[M] | QuerySet[M], owner: Any) -> QuerySet[M]:
    """Return the records of `model_or_queryset` that belong to `owner`."""
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, QuerySet)
        else model_or_queryset._default_manager.all()
    )
    return queryset.filter(**{owner_path(queryset.model): owner})


# Marks a queryset built once, at import, and used by every request (`shared`).
_SHARED = "_owned_reads_compiled_as"
_shared_numbers = itertools.count(1)


def shared(queryset: QuerySet[M]) -> QuerySet[M]:
    """Mark `queryset`, built once at import and used by every request (a page's `PROMISES`), so the reads of one
    record by its primary key (`owned_by_pk`) are compiled once for it, as for a model."""
    setattr(queryset, _SHARED, next(_shared_numbers))
    return queryset


def _model_of(model_or_queryset: type[M] | QuerySet[M]) -> type[M]:
    return model_or_queryset if isinstance(model_or_queryset, type) else model_or_queryset.model


def _compiled_as(model_or_queryset: type[models.Model] | QuerySet[Any]) -> Hashable | None:
    """Return the name its reads by primary key are compiled under: a model's label, a `shared` queryset's number;
    None for a queryset built on the spot (compiled afresh each time, as the ORM does)."""
    if isinstance(model_or_queryset, type):
        return model_or_queryset._meta.label
    return getattr(model_or_queryset, _SHARED, None)


def owned_by_pk(
    model_or_queryset: type[M] | QuerySet[M], owner: Any, pk: Any, *, locked: bool = False
) -> M | None:
    """Return `owner`'s record with this primary key, or None (another freelancer's, or none). `locked`: read
    under its row's lock (in a transaction), the row itself (`of`: not the rows its select_related joins; on
    PostgreSQL a LEFT JOIN's cannot be locked).

    Read through a statement compiled once (`crm.core.statements`) for a model or a `shared` queryset and an
    integer key: compiling the read cost Django more than the database takes to answer it, on every click."""
    owner_id = getattr(owner, "pk", owner)

    def build(owner_id: Any, pk: Any) -> QuerySet[M]:
        queryset = owned(model_or_queryset, owner_id).filter(pk=pk)
        return queryset.select_for_update(of=("self",)) if locked else queryset

    name = _compiled_as(model_or_queryset)
    if name is None or type(pk) is not int or type(owner_id) is not int:
        return build(owner_id, pk).first()
    model = _model_of(model_or_queryset)
    found = statements.objects(("owned", name, locked), build, (owner_id, pk), model)
    return found[0] if found else None


def owned_or_404(
    model_or_queryset: type[M] | QuerySet[M], owner: Any, *, for_update: bool = False, **lookup: Any
) -> M:
    """Return the one record matching `lookup` among `owner`'s, or raise Http404 (never fetch, then check).

    `for_update` (an edit page's POST, in the request's transaction): lock the record's row until the transaction
    ends, and mark the record read so (`read_locked`): an edit form compares the values it was drawn with to
    this record as read, without reading it again (`crm.core.forms.VersionedFormMixin`). Outside a transaction
    (a GET) it is read as usual.
    """
    model = _model_of(model_or_queryset)
    connection = connections[router.db_for_write(model)]
    locked = for_update and connection.in_atomic_block
    if list(lookup) == ["pk"]:
        record = owned_by_pk(model_or_queryset, owner, lookup["pk"], locked=locked)
        if record is None:
            raise Http404(f"No {model._meta.object_name} matches the given query.")
    elif not locked:
        return get_object_or_404(owned(model_or_queryset, owner), **lookup)
    else:
        record = get_object_or_404(owned(model_or_queryset, owner).select_for_update(of=("self",)), **lookup)
    if locked:
        record._state.read_locked = True  # type: ignore[attr-defined]  # read in this transaction, under its lock
    return record


def read_locked(record: models.Model) -> bool:
    """Return whether `record` was read under its row's lock in the transaction running now (`owned_or_404`'s
    `for_update`): it is the row as stored, and stays so until the transaction ends."""
    connection = connections[record._state.db or router.db_for_write(type(record))]
    return getattr(record._state, "read_locked", False) and connection.in_atomic_block

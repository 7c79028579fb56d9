"""One way for every face to fetch a record for its owner: another freelancer's record is a 404.

Web views, API resources, the capture, import, reminders and portal pages all call `owned_or_404` first
(docs/architecture.md; tests/test_ownership_walk.py walks every URL as bob). The record's owner is read where the
model keeps it: its own `owner` column (a client, and the journal rows that copy their client's owner), else
through its client.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections, models, router
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

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


def owned_or_404(
    model_or_queryset: type[M] | QuerySet[M], owner: Any, *, for_update: bool = False, **lookup: Any
) -> M:
    """Return the one record matching `lookup` among `owner`'s, or raise Http404 (never fetch, then check).

    `for_update` (an edit page's POST, in the request's transaction): lock the record's row until the transaction
    ends, and mark the record read so (`read_locked`): an edit form compares the values it was drawn with to
    this record as read, without reading it again (`crm.core.forms.VersionedFormMixin`). Outside a transaction
    (a GET) it is read as usual.
    """
    queryset = owned(model_or_queryset, owner)
    connection = connections[router.db_for_write(queryset.model)]
    if not (for_update and connection.in_atomic_block):
        return get_object_or_404(queryset, **lookup)
    # `of`: the row itself, not the rows its select_related joins (on PostgreSQL a LEFT JOIN's cannot be locked).
    record = get_object_or_404(queryset.select_for_update(of=("self",)), **lookup)
    record._state.read_locked = True  # type: ignore[attr-defined]  # read in this transaction, under its lock
    return record


def read_locked(record: models.Model) -> bool:
    """Return whether `record` was read under its row's lock in the transaction running now (`owned_or_404`'s
    `for_update`): it is the row as stored, and stays so until the transaction ends."""
    connection = connections[record._state.db or router.db_for_write(type(record))]
    return getattr(record._state, "read_locked", False) and connection.in_atomic_block

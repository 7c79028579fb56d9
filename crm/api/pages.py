"""Cursor pagination and the `updated_since` filter, shared by every list of the API.

A page is the records after the cursor, in id order; the cursor is the last id of the page, opaque to callers.
Ids only grow, so a page never shows a record twice or skips one, however the book changes between pages (a
count-and-offset page would). `updated_since` reads each kind's history (django-simple-history writes a row on
every save, whichever field changed), so a change is seen even on kinds without an "updated" column.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError

from crm.api.schemas import MAX_ID, ListFilters


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the id a cursor stands for; refuse (422) a cursor this API did not make."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        label, _sep, number = text.partition(":")
        value = int(number) if label == "after" and number.isdigit() else -1
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = -1
    if not 0 <= value <= MAX_ID:
        raise HttpError(422, _("This cursor is not one this API gave; start again without it."))
    return value


def changed_since(items: QuerySet[Any], since: datetime, model: type[Model]) -> QuerySet[Any]:
    """Keep the records saved (created or changed) at or after `since`, as their history says."""
    changed = model.history.filter(history_date__gte=since).values("id")  # type: ignore[attr-defined]
    return items.filter(pk__in=changed)


def refuse_unknown_parameters(request: HttpRequest, filters: type[ListFilters]) -> None:
    """Refuse (422) a query parameter the list does not take: a misspelt `updated_sinse` must not silently
    return the whole book."""
    unknown = sorted(set(request.GET) - set(filters.model_fields))
    if unknown:
        raise ValidationError({name or "?": [_("This list takes no such parameter.")] for name in unknown})


def page_of(
    items: QuerySet[Any], filters: ListFilters, since: Callable[[QuerySet[Any], datetime], QuerySet[Any]]
) -> tuple[list[Any], str | None]:
    """Return one page of `items` after the filters' cursor (those changed since `updated_since`, as `since`
    finds them) and the cursor of the next page (None on the last)."""
    if filters.updated_since is not None:
        items = since(items, filters.updated_since)
    if filters.cursor:
        items = items.filter(pk__gt=decode_cursor(filters.cursor))
    rows = list(items.order_by("pk")[: filters.limit + 1])
    if len(rows) > filters.limit:
        rows = rows[: filters.limit]
        return rows, encode_cursor(rows[-1].pk)
    return rows, None

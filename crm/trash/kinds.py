"""The record kinds that can be undone or trashed, by the names the URLs and the trash use, and how their values
are kept as JSON."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, QuerySet

from clients.models import Client, Contact, Project
from conflicts.models import ConflictSignal
from crm.core import ownership
from crm.models import Feeling, Interaction, Invoice, Promise

KINDS: dict[str, type[Model]] = {
    "client": Client,
    "project": Project,
    "contact": Contact,
    "interaction": Interaction,
    "promise": Promise,
    "invoice": Invoice,
    "conflict": ConflictSignal,
    "feeling": Feeling,
}


def kind_of(obj: Model) -> str:
    """Return the kind name of `obj`."""
    return next(name for name, model in KINDS.items() if isinstance(obj, model))


def owned(kind: str, owner: Any) -> QuerySet[Any]:
    """Return the records of `kind` that belong to `owner` (the only ones an undo or restore may touch): read
    from their own `owner` column where they keep one, as every view reads them (no join to the client)."""
    return ownership.owned(KINDS[kind], owner)


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's JSON encoder, keeping times to the microsecond (Django's own cuts them to milliseconds, and a
    restored row must hold exactly the values it had)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | time):
            return o.isoformat()
        return super().default(o)


def as_json(value: Any) -> Any:
    """Return `value` (dicts and lists of field values) as plain JSON values: ISO text, amounts as text."""
    return json.loads(json.dumps(value, cls=ExactJSONEncoder))

"""Record what a one-click action changed, and take it back.

An action runs through `remember` (fields changed), `remember_created` (a row it added) or `remember_deleted` (a
trash item, which `crm.trash.snapshot.to_trash` already took through the door): the first two take the change
through the journal's door (`crm.trust.door.journal_changed`), once; each stores an `Undo` row for its owner,
valid `UNDO_MINUTES`. `take_back` claims the row by deleting it (one statement: a double click undoes once),
checks that the record still holds what the action left, puts the previous values back through `save`, and goes
through the journal's door once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, Contact
from crm.models import TrashItem, Undo
from crm.trash.kinds import KINDS, as_json, kind_of, owned
from crm.trash.snapshot import RestoreError, restore
from crm.trust.door import journal_changed


class UndoError(Exception):
    """The undo cannot run (too late, the record changed or went); its message says why."""


def _values(obj: Model, names: Iterable[str]) -> dict[str, Any]:
    """Return the fields `names` of `obj` as JSON values (dates and times as ISO text, amounts as text)."""
    return as_json({name: getattr(obj, name) for name in names})


def _python(model: type[Model], values: dict[str, Any]) -> dict[str, Any]:
    return {name: model._meta.get_field(name).to_python(value) for name, value in values.items()}


def _scored_client(obj: Model) -> int | None:
    """Return the client whose journal `obj` belongs to (a client is its own); None for a contact (not scored)."""
    if isinstance(obj, Contact):
        return None
    return obj.pk if isinstance(obj, Client) else obj.client_id  # type: ignore[attr-defined]


def remember(owner: Any, obj: Model, fields: list[str], change: Callable[[], None]) -> Undo:
    """Run `change` (which saves `obj`), take it through the journal's door, and return the undo that puts
    `fields` back as they were. The one helper every one-click action of the web app applies its verb with."""
    before = _values(obj, fields)
    change()
    journal_changed([_scored_client(obj)])
    return Undo.objects.create(
        owner=owner,
        action=Undo.Action.REVERT,
        kind=kind_of(obj),
        object_id=obj.pk,
        before=before,
        after=_values(obj, fields),
    )


def remember_created(owner: Any, obj: Model) -> Undo:
    """Take `obj`, just created by an action, through the journal's door; return the undo that removes it."""
    journal_changed([_scored_client(obj)])
    return Undo.objects.create(owner=owner, action=Undo.Action.REMOVE, kind=kind_of(obj), object_id=obj.pk)


def remember_deleted(owner: Any, item: TrashItem) -> Undo:
    """Return the undo that restores the trash item `item`."""
    return Undo.objects.create(owner=owner, action=Undo.Action.RESTORE, kind=item.kind, trash=item)


def take_back(undo: Undo, now: datetime | None = None) -> Model | None:
    """Undo what `undo` records, in one transaction; return the record put back (None for a removal).

    Raise `UndoError` when it is too late, or when the record was changed or deleted since.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if not Undo.objects.filter(pk=undo.pk, expires_at__gte=now).delete()[0]:
            raise UndoError(_("It is too late to undo this."))
        if undo.action == Undo.Action.RESTORE:
            try:
                return restore(undo.trash)
            except RestoreError as error:
                raise UndoError(str(error)) from error
        obj = owned(undo.kind, undo.owner_id).select_for_update().filter(pk=undo.object_id).first()
        if obj is None:
            raise UndoError(_("This record was deleted since."))
        client_id = _scored_client(obj)
        if undo.action == Undo.Action.REMOVE:
            obj.delete()
            journal_changed([client_id])  # restore() went through it above; a removed client is skipped
            return None
        model = KINDS[undo.kind]
        if _python(model, _values(obj, undo.after)) != _python(model, undo.after):
            raise UndoError(_("This record was changed since: edit it instead."))
        for name, value in _python(model, undo.before).items():
            setattr(obj, name, value)
        obj.save(update_fields=list(undo.before))
        journal_changed([client_id])
        return obj

"""Record what a one-click action changed, and take it back.

An action runs through `remember` (fields changed), `remember_created` (a row it added) or `remember_deleted` (a
trash item, which `crm.trash.snapshot.to_trash` already took through the door): the first two take the change
through the journal's door (`crm.trust.door.journal_changed`), once; each stores an `Undo` row for its owner,
valid `UNDO_MINUTES`. `take_back` checks, under the rows' locks, that the undo is still valid and that the record
still holds what the action left, then claims the undo by deleting it (a double click undoes once), puts the
previous values back through `save`, and goes through the journal's door once: a refusal writes nothing.
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
from crm.core.ownership import owned_by_pk, read_locked
from crm.models import TrashItem, Undo
from crm.trash.kinds import KINDS, as_json, kind_of
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

    Raise `UndoError`, having written nothing, when it is too late, or when the record was changed or deleted
    since. An `undo` read under its row's lock in the transaction running (the undo view's) is not read again.
    """
    now = now or timezone.now()
    if undo.action == Undo.Action.RESTORE:
        # restore() may refuse after the claim: its savepoint takes the claim back with the rest.
        with transaction.atomic():
            if not Undo.objects.filter(pk=undo.pk, expires_at__gte=now).delete()[0]:
                raise UndoError(_("It is too late to undo this."))
            try:
                return restore(undo.trash)
            except RestoreError as error:
                raise UndoError(str(error)) from error
    # Every check runs before the first write and no refusal is raised inside the block, so it needs no savepoint
    # of its own: a refusal leaves the caller's transaction (the request's) as it was.
    put_back = None
    with transaction.atomic(savepoint=False):
        checked = _checked(undo, now)
        if not isinstance(checked, str):
            # The claim: its row is locked, so a double click waits, then finds it gone.
            Undo.objects.filter(pk=undo.pk).delete()
            put_back = _put_back(undo, checked)
    if isinstance(checked, str):
        raise UndoError(checked)
    return put_back


def _checked(undo: Undo, now: datetime) -> Model | str:
    """Return the record `undo` acts on, read under its row's lock and still as the action left it; or why the
    undo cannot run. Reads only."""
    if not _still_valid(undo, now):
        return _("It is too late to undo this.")
    obj = owned_by_pk(KINDS[undo.kind], undo.owner_id, undo.object_id, locked=True)
    if obj is None:
        return _("This record was deleted since.")
    if undo.action == Undo.Action.REVERT and _changed_since(undo, obj):
        return _("This record was changed since: edit it instead.")
    return obj


def _changed_since(undo: Undo, obj: Model) -> bool:
    """Return whether `obj` no longer holds the values the action left (a later change: never overwritten)."""
    model = KINDS[undo.kind]
    return _python(model, _values(obj, undo.after)) != _python(model, undo.after)


def _still_valid(undo: Undo, now: datetime) -> bool:
    """Return whether `undo` is still stored and valid at `now`, its row locked until the transaction ends."""
    if read_locked(undo):
        return not undo.is_expired(now)
    return Undo.objects.select_for_update().filter(pk=undo.pk, expires_at__gte=now).exists()


def _put_back(undo: Undo, obj: Model) -> Model | None:
    """Remove `obj` (an undone creation) or put its previous values back, then go through the journal's door;
    return the record put back (None for a removal)."""
    client_id = _scored_client(obj)
    if undo.action == Undo.Action.REMOVE:
        obj.delete()
        journal_changed([client_id])  # a removed client is skipped
        return None
    for name, value in _python(KINDS[undo.kind], undo.before).items():
        setattr(obj, name, value)
    obj.save(update_fields=list(undo.before))
    journal_changed([client_id])
    return obj

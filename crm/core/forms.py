"""The mixins every form of the book can adopt: optimistic concurrency on edits, values that round-trip.

The one-time token against double submits (`IdempotentFormMixin`) stays in `clients/forms.py`: it claims its
token in a table (`FormSubmission`), and the floor imports no model.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from crm.core.ownership import read_locked

DRAWN_STATE = "drawn_state"
# The salt of the signed drawn state: kept from when the mixin lived in clients/forms.py, so a page drawn before a
# deploy still saves after it.
DRAWN_STATE_SALT = "clients.forms.drawn-state"


def _as_text(value: Any) -> str:
    return "" if value is None else str(value)


class VersionedFormMixin:
    """Optimistic concurrency for a ModelForm's edit page: refuse to save over a change made since the form
    was drawn, and show what changed.

    The form carries, signed, the values of its fields as they were drawn; on save the row is read again
    (locked until the transaction ends) and compared field by field. When another tab or person changed one,
    the form answers with an error naming each change (what it was when drawn, what it is now) and keeps the
    values posted; posting again saves them over the change, knowingly. Adopt it in one line: put it first
    among a ModelForm's bases, `class NoteForm(VersionedFormMixin, forms.ModelForm)`, and render the form's
    hidden fields (as `form.as_div` does).
    """

    fields: dict[str, forms.Field]
    instance: models.Model
    data: Any
    initial: dict[str, Any]
    _meta: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.changes_since_drawn: list[tuple[str, str, str]] = []
        self.fields[DRAWN_STATE] = forms.CharField(widget=forms.HiddenInput, required=False)
        if self.instance.pk is not None:
            self.initial[DRAWN_STATE] = self._sign(self.instance)

    def _versioned_fields(self) -> list[str]:
        names = [field.name for field in self.instance._meta.concrete_fields]
        return [name for name in names if name in self.fields]

    def _state(self, instance: models.Model) -> dict[str, str]:
        return {
            name: _as_text(instance._meta.get_field(name).value_from_object(instance))
            for name in self._versioned_fields()
        }

    def _sign(self, instance: models.Model) -> str:
        return signing.dumps(self._state(instance), salt=DRAWN_STATE_SALT, compress=True)

    def _current(self) -> models.Model | None:
        """Return the row as stored now, locked until the transaction ends (when in one), or None if deleted.

        A record the view read under its lock in this transaction (`owned_or_404(..., for_update=True)`) is that
        row already: `clean` runs before the form sets its values on it, so it is compared as read.
        """
        if read_locked(self.instance):
            return self.instance
        rows = type(self.instance)._default_manager.filter(pk=self.instance.pk)
        if connection.in_atomic_block:
            rows = rows.select_for_update()
        return rows.first()

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        token = self.data.get(self.add_prefix(DRAWN_STATE)) if self.instance.pk is not None else None  # type: ignore[attr-defined]
        if not token:
            return data
        try:
            drawn = signing.loads(token, salt=DRAWN_STATE_SALT)
        except signing.BadSignature:
            raise ValidationError(_("This form is out of date: reload the page."), code="stale") from None
        current = self._current()
        if current is None:
            raise ValidationError(_("This record was deleted since you opened the page."), code="deleted")
        now = self._state(current)
        changed = [name for name in now if name in drawn and drawn[name] != now[name]]
        if not changed:
            return data
        self.changes_since_drawn = [
            (str(self.fields[name].label or name), drawn[name], now[name]) for name in changed
        ]
        # Posting again saves over the change knowingly: the form now carries what is stored.
        self.data = self.data.copy()
        self.data[self.add_prefix(DRAWN_STATE)] = self._sign(current)  # type: ignore[attr-defined]
        raise ValidationError(
            [
                _(
                    "This was changed elsewhere since you opened the page. Check the changes below, then save again to keep yours."
                )
            ]
            + [
                ValidationError(
                    _("%(field)s: “%(drawn)s” when you opened the page, now “%(now)s”."),
                    params={"field": label, "drawn": drawn_value or "—", "now": now_value or "—"},
                    code="changed",
                )
                for label, drawn_value, now_value in self.changes_since_drawn
            ],
            code="changed",
        )


class RoundTripMixin:
    """Store what an unchanged form submits exactly as it was.

    `datetime-local` shows minutes (and seconds when set), never microseconds: a submitted value equal to what
    was drawn keeps the initial value exactly, so an unchanged edit does not trim it. Browsers submit a
    textarea's lines with CRLF: they are stored with LF, as every other path writes them.
    """

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def clean(self) -> dict[str, Any]:
        data = super().clean()  # type: ignore[misc]
        for name, field in self.fields.items():
            if name not in data:
                continue
            if isinstance(field, forms.CharField) and isinstance(data[name], str):
                data[name] = data[name].replace("\r\n", "\n")
            if not isinstance(field, forms.DateTimeField):
                continue
            initial = self.get_initial_for_field(field, name)  # type: ignore[attr-defined]
            drawn = field.widget.format_value(field.prepare_value(initial))
            if isinstance(initial, datetime) and self[name].data == drawn:  # type: ignore[index]
                # get_initial_for_field drops the microseconds (Django #22502): keep the stored value itself.
                stored = self.initial.get(name)  # type: ignore[attr-defined]
                data[name] = stored if isinstance(stored, datetime) else initial
        return data

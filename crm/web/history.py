"""Who changed what and when: a record's history (django-simple-history's rows) as its page shows it.

Each save of a client, project or journal record writes one history row (a copy of the record, the time and the
signed-in freelancer, from `HistoryRequestMiddleware`). A page reads the newest rows in one query, with their
users, and compares each row with the one before it in Python: "when — who — field: old → new", field names as
their verbose names and values as the reader's language, time zone and formats write them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import formats, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

# The newest changes a page shows; older ones stay stored.
HISTORY_SHOWN = 20
TEXT_SHOWN = 80  # characters of a long text before "…"


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    kind: str  # "+" created, "~" changed, "-" deleted (django-simple-history's history_type)
    changes: list[FieldChange] = field(default_factory=list)


def history_of(record: models.Model, viewer: Any) -> list[HistoryEntry]:
    """Return the newest changes of `record`, newest first, in one query (saves that changed nothing shown
    are left out)."""
    rows = list(
        record.history.select_related("history_user__profile").order_by("-history_date", "-history_id")[
            : HISTORY_SHOWN + 1
        ]
    )
    model = type(record)
    diffs = []
    for newer, older in zip(rows[:HISTORY_SHOWN], [*rows[1:], None], strict=False):
        # The first change of a record inserted in bulk (the demo) has nothing before it to compare with.
        compared = newer.history_type == "~" and older is not None
        diffs.append((newer, newer.diff_against(older).changes if compared else [], compared))
    names = _related_names(model, [change for _row, changes, _compared in diffs for change in changes])
    entries = []
    for row, changes, compared in diffs:
        if compared and not changes:
            continue  # saved without a change anyone could see
        entries.append(
            HistoryEntry(
                row.history_date,
                _who(row.history_user, viewer),
                row.history_type,
                [
                    FieldChange(
                        capfirst(str(model._meta.get_field(change.field).verbose_name)),
                        _shown(model._meta.get_field(change.field), change.old, names),
                        _shown(model._meta.get_field(change.field), change.new, names),
                    )
                    for change in changes
                ],
            )
        )
    return entries


def _related_names(model: type[models.Model], changes: list[Any]) -> dict[tuple[type, Any], str]:
    """Return the names of the related records (a project) that changes point to: a query per related model,
    only when such a change is shown."""
    wanted: dict[type, set[Any]] = {}
    for change in changes:
        model_field = model._meta.get_field(change.field)
        if isinstance(model_field, models.ForeignKey):
            wanted.setdefault(model_field.related_model, set()).update({change.old, change.new} - {None})
    return {
        (related, obj.pk): str(obj)
        for related, ids in wanted.items()
        for obj in related._base_manager.filter(pk__in=ids)
    }


def _who(user: Any, viewer: Any) -> str:
    if user is None:
        return _("Confiance (automatically)")
    if user.pk == getattr(viewer, "pk", None):
        return _("you")
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_username()


def _shown(model_field: models.Field, value: Any, names: dict[tuple[type, Any], str]) -> str:
    """Return a stored value as the page writes it."""
    if value is None or value == "":
        return "–"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return names.get((model_field.related_model, value)) or _("deleted")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "DATE_FORMAT")
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    return Truncator(str(value)).chars(TEXT_SHOWN)

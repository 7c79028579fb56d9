"""Check constraints validated in Python: the condition the database enforces, read once more on the row's values.

Django validates a `CheckConstraint` by asking the database: a SAVEPOINT, a `SELECT 1 WHERE <condition>` over the
row's values and its RELEASE, three queries per constraint, each time a form or the API runs `full_clean()` (a
client has five: fifteen queries for an edit of its name). The conditions are plain comparisons of the row's own
columns, so `CheckConstraint` here evaluates the *same* `Q` in Python, with SQL's three-valued logic (a comparison
with NULL is unknown, and an unknown condition passes, as a database check does): one rule, the condition object,
enforced by the database and validated by `full_clean()`. A condition this evaluator cannot read (a lookup across a
relation, a function, a value of the wrong type) is asked of the database as Django does.

Models declare their checks with this class instead of `models.CheckConstraint` (the migrations are unchanged: a
constraint compares equal to Django's own with the same name and condition).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models
from django.db.models import F, Q
from django.utils.functional import cached_property

__all__ = ["CheckConstraint", "LoadedRelationsChecked", "Undecided", "truth"]

# The lookups read in Python, as the database compares (NULL on either side gives NULL: "unknown").
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class Undecided(Exception):
    """The condition holds something this evaluator does not read: the database answers instead."""


class Excluded(Exception):
    """The condition names a field left out of the validation: Django skips such a constraint, and so do we."""


def truth(condition: Q | tuple[str, Any], values: Mapping[str, Any]) -> bool | None:
    """Return the SQL truth of `condition` over a row's `values` (by field name): True, False or None (unknown).

    Raise `Undecided` for what is not a comparison of the row's own columns with constants or `F()` of them, and
    `Excluded` when the condition names a column missing from `values`.
    """
    if isinstance(condition, Q):
        results = [truth(child, values) for child in condition.children]
        if condition.connector == Q.AND:
            result = False if False in results else None if None in results else True
        elif condition.connector == Q.OR:
            result = True if True in results else None if None in results else False
        else:  # XOR: an odd number of them true, as Django writes it for SQLite and PostgreSQL (CASE WHEN ... THEN 1
            # ELSE 0, summed, modulo 2), where an unknown one counts as not true
            result = sum(1 for one in results if one is True) % 2 == 1
        return (None if result is None else not result) if condition.negated else result
    if not isinstance(condition, tuple):
        raise Undecided(condition)
    lookup, right = condition
    name, _, kind = lookup.partition("__")
    kind = kind or "exact"
    left = _value(name, values)
    if isinstance(right, F):
        right = _value(right.name, values)
    elif hasattr(right, "resolve_expression"):
        raise Undecided(right)
    if kind == "isnull":
        return (left is None) == bool(right)
    if kind == "exact" and right is None:  # `field=None` is `IS NULL` in a query
        return left is None
    if left is None or right is None:
        return None
    if kind == "in":
        if not isinstance(right, Iterable) or None in right:
            raise Undecided(condition)
        return left in right
    if kind not in COMPARISONS:
        raise Undecided(condition)
    try:
        return COMPARISONS[kind](left, right)
    except (
        TypeError
    ):  # a date beside a datetime, a naive beside an aware one: as the database would read them
        raise Undecided(condition) from None


# A generated column's value is the database's to compute: a condition reading one is asked of the database.
GENERATED = object()


def _value(name: str, values: Mapping[str, Any]) -> Any:
    if "__" in name:
        raise Undecided(name)
    try:
        value = values[name]
    except KeyError:
        raise Excluded(name) from None
    if value is GENERATED:
        raise Undecided(name)
    return value


def names_in(condition: Q | tuple[str, Any]) -> frozenset[str] | None:
    """Return the names of the row's columns `condition` reads (its lookups' and its `F()`s' first parts), or None
    when it holds something else (then every column is read)."""
    if isinstance(condition, Q):
        names: set[str] = set()
        for child in condition.children:
            inner = names_in(child)
            if inner is None:
                return None
            names |= inner
        return frozenset(names)
    if not isinstance(condition, tuple):
        return None
    lookup, right = condition
    found = {lookup.partition("__")[0]}
    if isinstance(right, F):
        found.add(right.name.partition("__")[0])
    return frozenset(found)


def row_values(
    model: type[models.Model],
    instance: models.Model,
    exclude: Iterable[str] | None,
    names: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Return the row's values by field name and column name (as `Model._get_field_expression_map`), each as its
    field reads it (`to_python`), leaving out the `exclude`d fields, and those not in `names` when given."""
    excluded = set(exclude or ())
    values: dict[str, Any] = {}
    for field in model._meta.concrete_fields:
        if field.name in excluded or field.attname in excluded:
            continue
        if names is not None and field.name not in names and field.attname not in names:
            continue
        if field.generated:
            values[field.name] = values[field.attname] = GENERATED
            continue
        value = getattr(instance, field.attname)
        try:
            value = field.to_python(value)
        except ValidationError:
            raise Undecided(field.name) from None
        values[field.name] = values[field.attname] = value
    if model._meta.pk.name not in excluded:
        values["pk"] = instance.pk
    return values


class CheckConstraint(models.CheckConstraint):
    """A database check constraint whose `validate` (run by `full_clean()`) reads the same condition in Python."""

    @cached_property
    def names(self) -> frozenset[str] | None:
        """The columns the condition reads: only those are read from the row (`to_python`) to validate it."""
        return names_in(self.condition)

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS) -> None:
        try:
            values = row_values(model, instance, exclude, self.names)
            holds = truth(self.condition, values) is not False
        except Excluded:
            return
        except Undecided:
            super().validate(model, instance, exclude=exclude, using=using)
            return
        if not holds:
            raise ValidationError(self.get_violation_error_message(), code=self.violation_error_code)


class LoadedRelationsChecked:
    """A model mixin: `full_clean()` does not look up again a foreign key whose object is loaded on the row already.

    Django checks that each foreign key's row exists (one `SELECT 1 ... LIMIT 1` each); a form has just read that
    object from its choices (for its owner) and set it on the row, and the database's foreign key refuses a row
    deleted meanwhile all the same.
    """

    _meta: Any

    def clean_fields(self, exclude: Any = None) -> None:
        loaded = [field.name for field in self._meta.concrete_fields if _is_loaded(self, field)]
        super().clean_fields(exclude=[*(exclude or ()), *loaded])  # type: ignore[misc]  # a mixin of Model


def _is_loaded(instance: Any, field: Any) -> bool:
    """Return whether `field` is a foreign key whose object, read from the database, is cached on `instance`."""
    if not field.is_relation or not field.many_to_one or not field.is_cached(instance):
        return False
    related = field.get_cached_value(instance)
    return (
        related is not None
        and not related._state.adding
        and related.pk is not None
        and getattr(related, field.target_field.attname) == getattr(instance, field.attname)
    )

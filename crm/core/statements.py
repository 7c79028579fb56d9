"""Reads compiled once and run again with other values.

For the few rows a click reads, building and compiling a queryset costs Django more than the database takes to
answer it (a millisecond against a tenth of one). A read `build(*values)` is compiled once with stand-in values
(negative ids, moments and days of 1901), each found again among the statement's parameters; every run puts its
own values in their places, adapted for the database as Django adapts them. So every parameter that depends on
the values must be one of them, never computed from them inside `build`; a read whose stand-ins cannot all be
found is not compiled (`compiled` returns None) and is built as usual. A statement is kept per active time zone,
whose name a moment's local day is compiled with.

`objects` builds a read's model rows as the ORM would (with the related rows it selects and its annotations), and
`rows` gives a `values_list()` read's tuples, both without the ORM's work per queryset: building it, compiling
it, working out how to build its rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

from django.db import connections, router
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators
from django.utils import timezone

# One statement per name, shape, database and time zone; a name may hold a freelancer and a day, so the oldest go
# first.
_KEPT = 4096
_COMPILED: dict[tuple[Any, ...], Compiled | None] = {}


@dataclass(frozen=True)
class Compiled:
    """A read's SQL, its parameters as compiled with stand-ins, and where each value goes among them."""

    sql: str
    params: tuple[Any, ...]
    places: tuple[tuple[int, int], ...]  # (position among the params, index of the value among the leaves)
    compiler: Any
    plain: bool = False  # a queryset of model rows, without prefetch or a related manager's rows
    tuples: bool = False  # a values_list() read whose rows come in the order of its fields, as selected

    def params_for(self, values: Iterable[Any], connection: Any) -> list[Any]:
        """Return the parameters with `values` (as given to `compiled`) in the places of their stand-ins."""
        leaves = _leaves(values)
        params = list(self.params)
        for position, leaf in self.places:
            params[position] = adapt(leaves[leaf], connection)
        return params

    @cached_property
    def _converters(self) -> dict[int, Any]:
        compiler = self.compiler
        return compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])

    def converted(self, rows: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        """Yield `rows` through the ORM's converters, as `SQLCompiler.results_iter` applies them."""
        converters = self._converters
        return (
            map(tuple, self.compiler.apply_converters(rows, converters)) if converters else map(tuple, rows)
        )

    @cached_property
    def _builder(self) -> tuple[Any, slice, list[str], list[Any], dict[str, int]]:
        """What `ModelIterable` works out for each queryset it runs, worked out once: the model, where its columns
        are in a row and their names, the related rows' populators, the annotations' positions."""
        compiler = self.compiler
        info, select = compiler.klass_info, compiler.select
        columns = slice(info["select_fields"][0], info["select_fields"][-1] + 1)
        names = [column[0].target.attname for column in select[columns]]
        populators = get_related_populators(info, select, compiler.using)
        return info["model"], columns, names, populators, compiler.annotation_col_map or {}

    def objects(self, rows: Iterable[Any]) -> list[Any]:
        """Return `rows` as the model instances Django's `ModelIterable` would build from them."""
        model, columns, names, populators, annotations = self._builder
        database = self.compiler.using
        built = []
        for row in self.converted(rows):
            instance = model.from_db(database, names, row[columns])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in annotations.items():
                setattr(instance, name, row[position])
            built.append(instance)
        return built


def compiled(
    name: Hashable, build: Callable[..., Any], values: tuple[Any, ...], connection: Any
) -> Compiled | None:
    """Return the read `build(*values)` compiled once for `name`, the shape of `values` (a value may be a list:
    its length counts), the database and the active time zone; None when its stand-ins cannot all be found among
    its parameters."""
    shape = tuple(len(value) if isinstance(value, list) else -1 for value in values)
    # A moment's local day (`__date`, `TruncDate`) is compiled in the active time zone's name.
    key = (name, connection.alias, shape, timezone.get_current_timezone_name())
    if key not in _COMPILED:
        _COMPILED[key] = _compile(build, values, connection)
        while len(_COMPILED) > _KEPT:
            _COMPILED.pop(next(iter(_COMPILED)), None)
    return _COMPILED[key]


def objects(name: Hashable, build: Callable[..., Any], values: tuple[Any, ...], model: Any) -> list[Any]:
    """Return the `model` instances the queryset `build(*values)` reads, with the related rows it selects and its
    annotations, through its statement compiled once for `name` (`compiled`). The queryset must be a plain one
    (no `values()`, no prefetch, not a related manager's)."""
    refusal = "`objects` builds model rows read in one statement: no values(), prefetch or related manager."
    fetched = _fetched(name, build, values, model, "plain", refusal)
    if fetched is None:
        return list(build(*values))
    read, found = fetched
    return read.objects(found)


def rows(
    name: Hashable, build: Callable[..., Any], values: tuple[Any, ...], model: Any
) -> list[tuple[Any, ...]]:
    """Return the rows of the `values_list()` read `build(*values)` as tuples, through its statement compiled once
    for `name` (`compiled`). Its fields must be named in the order the ORM selects them: the model's, then the
    annotations."""
    refusal = "`rows` reads a values_list() naming the model's fields first, then its annotations."
    fetched = _fetched(name, build, values, model, "tuples", refusal)
    if fetched is None:
        return list(build(*values))
    read, found = fetched
    return list(read.converted(found))


def _fetched(
    name: Hashable, build: Callable[..., Any], values: tuple[Any, ...], model: Any, shape: str, refusal: str
) -> tuple[Compiled, list[Any]] | None:
    """Return the read `build(*values)`'s statement compiled once for `name` and the rows it fetches, None when it
    is not compiled; raise ValueError(`refusal`) when the read is not of the `shape` ("plain", "tuples") asked."""
    connection = connections[router.db_for_read(model)]
    read = compiled(name, build, values, connection)
    if read is None:
        return None
    if not getattr(read, shape):
        raise ValueError(refusal)
    with connection.cursor() as cursor:
        cursor.execute(read.sql, read.params_for(values, connection))
        return read, cursor.fetchall()


def _compile(build: Callable[..., Any], values: tuple[Any, ...], connection: Any) -> Compiled | None:
    counter = iter(range(1, 10**6))

    def stand_in(value: Any) -> Any:
        if isinstance(value, datetime):
            return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(seconds=next(counter))
        if isinstance(value, date):
            return date(1901, 1, 1) + timedelta(days=next(counter))
        return -(10**9) - next(counter)

    stand_ins = tuple(
        [stand_in(item) for item in value] if isinstance(value, list) else stand_in(value) for value in values
    )
    queryset = build(*stand_ins)
    # Whether `objects` may build its rows as the ORM would: model rows, one statement, nothing set from outside.
    plain = (
        queryset._iterable_class is ModelIterable
        and not queryset._prefetch_related_lookups
        and not queryset._known_related_objects
    )
    query = queryset.query
    # Whether `rows` may hand its rows on as selected: `ValuesListIterable` puts them back in the order of the
    # fields named when that order is not the one selected.
    selected = [*query.extra_select, *query.values_select, *query.annotation_select]
    fields = queryset._fields or ()
    named = [*fields, *(name for name in query.annotation_select if name not in fields)]
    tuples = queryset._iterable_class is ValuesListIterable and (not fields or named == selected)
    compiler = query.get_compiler(using=connection.alias)
    sql, params = compiler.as_sql()
    places = []
    for leaf, value in enumerate(_leaves(stand_ins)):
        adapted = adapt(value, connection)
        found = [i for i, param in enumerate(params) if type(param) is type(adapted) and param == adapted]
        if not found:
            return None
        places += [(position, leaf) for position in found]
    return Compiled(sql, tuple(params), tuple(places), compiler, plain, tuples)


def _leaves(values: Iterable[Any]) -> list[Any]:
    return [item for value in values for item in (value if isinstance(value, list) else [value])]


def adapt(value: Any, connection: Any) -> Any:
    """Return `value` as Django hands it to the database driver for a query's parameter."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value

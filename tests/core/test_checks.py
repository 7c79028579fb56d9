"""Check constraints are validated in Python from the condition the database enforces (crm/core/checks.py): the
same verdict as the database's for every check of every model, without a query."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.test.utils import CaptureQueriesContext

from crm.core.checks import CheckConstraint, Undecided, names_in, truth
from crm.core.days import END_MOMENT, FIRST_DAY, FIRST_MOMENT, LAST_DAY

DAY = date(2026, 3, 10)
MOMENT = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def _pool(field: models.Field) -> list[Any]:
    """Return values worth trying for `field`: its bounds' neighbours, its choices and a wrong one, NULL."""
    values: list[Any] = [value for value, _label in field.flatchoices] if field.choices else []
    if isinstance(field, models.CharField) and field.choices:
        values += ["", "bogus"]
    elif isinstance(field, models.ForeignKey):
        values = [1]
    elif isinstance(field, models.DateTimeField):
        second = timedelta(seconds=1)
        values += [MOMENT, FIRST_MOMENT, FIRST_MOMENT - second, END_MOMENT, END_MOMENT - second]
    elif isinstance(field, models.DateField):
        values += [DAY, DAY - timedelta(days=1), DAY + timedelta(days=1), FIRST_DAY, LAST_DAY]
        values += [FIRST_DAY - timedelta(days=1), LAST_DAY + timedelta(days=1)]
    elif isinstance(field, models.DecimalField):
        values += [Decimal("-0.01"), Decimal(0), Decimal("0.01"), Decimal("950.00")]
    elif isinstance(field, models.IntegerField):
        values += [-1, 0, 1, 2, 3, 4, 6, 7, 14, 23, 24, 30, 365, 366, 65535, 65536]
    elif isinstance(field, models.CharField | models.TextField):
        values += ["", "x"]
    return [*values, None]


def _checks() -> list[Any]:
    return [
        pytest.param(model, constraint, id=constraint.name)
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, models.CheckConstraint)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "constraint"), _checks())
def test_every_check_is_validated_in_python_as_the_database_would(model: Any, constraint: Any) -> None:
    assert isinstance(constraint, CheckConstraint), f"{constraint.name}: declare it with crm.core.checks"
    fields = [model._meta.get_field(name) for name in sorted(constraint.condition.referenced_base_fields)]
    pools = {field.attname: _pool(field) for field in fields}
    chance = random.Random(constraint.name)
    for _ in range(40):
        row = model(**{name: chance.choice(pool) for name, pool in pools.items()})
        with CaptureQueriesContext(connection) as queries:
            in_python = _verdict(lambda row=row: constraint.validate(model, row))
        assert len(queries) == 0, f"{constraint.name} asked the database: {row.__dict__}"
        by_the_database = _verdict(lambda row=row: models.CheckConstraint.validate(constraint, model, row))
        assert in_python == by_the_database, f"{constraint.name} on {pools.keys()}: {row.__dict__}"


def _verdict(validate: Any) -> bool:
    try:
        validate()
    except ValidationError:
        return False
    return True


def test_a_comparison_with_null_is_unknown_and_an_unknown_check_passes() -> None:
    assert truth(Q(a__gte=1), {"a": None}) is None
    assert truth(Q(a__gte=1) | Q(b=2), {"a": None, "b": 2}) is True
    assert truth(Q(a__gte=1) & Q(b=2), {"a": None, "b": 3}) is False
    assert truth(~Q(a__gte=F("b")), {"a": 1, "b": None}) is None
    assert truth(Q(a=None), {"a": None}) is True


def test_what_the_evaluator_cannot_read_goes_to_the_database() -> None:
    with pytest.raises(Undecided):
        truth(Q(client__owner=1), {"client": 1})
    with pytest.raises(Undecided):
        truth(Q(name__icontains="x"), {"name": "X"})
    with pytest.raises(Undecided):
        truth(Q(day__gte=MOMENT), {"day": DAY})  # a date beside a datetime: the database's own reading


def test_a_check_reads_only_the_columns_its_condition_names() -> None:
    assert names_in(Q(start_on__lte=F("end_on")) | Q(end_on=None)) == {"start_on", "end_on"}
    assert names_in(~Q(client_id=1) & Q(amount__gt=0)) == {"client_id", "amount"}
    assert names_in(Q(Exact(F("a"), 1))) is None  # an expression, not a lookup: every column is read


@pytest.mark.django_db
def test_a_promise_is_validated_with_no_query_for_its_checks(alice: Any) -> None:
    from tests.factories import make_client, make_promise

    promise = make_promise(make_client(alice))
    promise.due_on = promise.made_on - timedelta(days=1)
    with CaptureQueriesContext(connection) as queries, pytest.raises(ValidationError) as refused:
        promise.full_clean()
    assert "promise_due_not_before_made" in str(refused.value) or refused.value.error_dict
    assert [query["sql"] for query in queries] == []

"""The rules of `crm/core/rules.py` asked in SQL: each takes its bounds from the rule itself, so a list drawn by
the database says what the rule says in Python (tests/core/test_queries.py runs both on the same rows).

Column names are passed in or named after the book's fields; no model is imported (the floor imports no room).
"""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from typing import Any

from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Coalesce, TruncDate

from crm.core import rules
from crm.core.days import add_days, local_midnight


class AddDaysToDate(Func):
    """`day + days` (a date expression plus an integer column), as a date, on PostgreSQL and SQLite."""

    output_field = models.DateField()

    def _parts(self, compiler: Any) -> tuple[str, str, list[Any]]:
        day_sql, day_params = compiler.compile(self.source_expressions[0])
        days_sql, days_params = compiler.compile(self.source_expressions[1])
        return day_sql, days_sql, [*day_params, *days_params]

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        day, days, params = self._parts(compiler)
        return f"(({day}) + ({days}))", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        day, days, params = self._parts(compiler)
        return f"date({day}, '+' || ({days}) || ' days')", params


def past_due(field: str, today: date) -> Q:
    """Return "`field` (a due day) is past due on `today`" (`rules.is_overdue`)."""
    return Q(**{f"{field}__lt": today})


def to_settle(field: str, today: date) -> Q:
    """Return "`field` (an open promise's due day) is to settle on `today`" (`rules.is_to_settle`)."""
    return Q(**{f"{field}__lt": rules.settle_before(today)})


def status_update_listed(today: date, zone: tzinfo) -> Q:
    """Return "the client's status update is listed as due on `today`" over the client table
    (`rules.status_update_listed`, with `rules.status_update_due_on` on the local days of `zone`).

    Not away (an absence ended before today only moves the due day to today at the latest, so it never takes a
    client off the list), active, and the local day of the last status update (or of the start) plus the
    cadence at most STATUS_UPDATE_COMING_DAYS after today. The generated `status_update_due_at` (the same
    instant plus the cadence in days of 24 hours, at most a day away from that local day across a change of
    clock) is bounded first, two days wide of the local day on each side, so the database walks
    `client_update_due_idx` and computes the exact local day only for the few rows near the edge: a client due
    more than two days before it is listed without it (in a book of late clients, that is most of them).
    """
    last_listed = add_days(today, rules.STATUS_UPDATE_COMING_DAYS)
    since_day = TruncDate(Coalesce(F("last_status_update_at"), F("created_at")), tzinfo=zone)
    surely_listed_before = local_midnight(last_listed, zone) - timedelta(days=2)
    exactly_listed = Q(
        models.lookups.LessThanOrEqual(AddDaysToDate(since_day, F("cadence_days")), models.Value(last_listed))
    )
    return (
        Q(status="active")
        & (Q(away_until__isnull=True) | Q(away_until__lt=today))
        & Q(status_update_due_at__lt=local_midnight(add_days(last_listed, 1), zone) + timedelta(days=2))
        & (Q(status_update_due_at__lt=surely_listed_before) | exactly_listed)
    )

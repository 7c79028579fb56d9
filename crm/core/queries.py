"""The rules of `crm/core/rules.py` asked in SQL: each takes its bounds from the rule itself, so a list drawn by
the database says what the rule says in Python (tests/core/test_queries.py runs both on the same rows).

Column names are passed in or named after the book's fields; no model is imported (the floor imports no room).
"""

from __future__ import annotations

from datetime import date, timedelta, tzinfo
from typing import Any

from django.db import models
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet
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


def away_on(day: date, absences: QuerySet[Any], active_projects: QuerySet[Any]) -> Q:
    """Return "the client is away on `day`" over the client table (`rules.is_covered` of `rules.away_spans`): one
    of its own absences holds the day, or it has active projects and every one of them is paused that day.

    `absences` is the absence table and `active_projects` the active projects (the floor imports no model); each
    `Exists` walks absence_client_start_idx or absence_project_start_idx.
    """
    holds = Q(start_on__lte=day) & (Q(end_on__isnull=True) | Q(end_on__gte=day))
    own = Exists(absences.filter(holds, client=OuterRef("pk"), project__isnull=True))
    projects = active_projects.filter(client=OuterRef("pk"))
    unpaused = projects.filter(~Exists(absences.filter(holds, project=OuterRef("pk"))))
    return Q(own) | (Q(Exists(projects)) & ~Q(Exists(unpaused)))


def status_update_listed(
    today: date, zone: tzinfo, absences: QuerySet[Any], active_projects: QuerySet[Any]
) -> Q:
    """Return "the client's status update is listed as due on `today`" over the client table
    (`rules.status_update_listed`, with `rules.status_update_due_on` on the local days of `zone`).

    Active, not away today, and the local day of the last status update (or of the start) plus the cadence (`d`)
    at most STATUS_UPDATE_COMING_DAYS after today. `rules.status_update_due_on` moves `d` to the first day back
    when the client is away on it: as the client is not away today, a `d` up to today is listed (today is a day
    back, so the first one is today at the latest); a `d` in the coming days is listed when one of the coming days
    from `d` on is a day back. The generated `status_update_due_at` (the same instant plus the cadence in days of
    24 hours, at most a day away from that local day across a change of clock) is bounded first, two days wide of
    the local day on each side, so the database walks `client_update_due_idx` and computes the exact local day
    only for the few rows near the edge: a client due more than two days before it is listed when not away today.
    """
    last_listed = add_days(today, rules.STATUS_UPDATE_COMING_DAYS)
    since_day = TruncDate(Coalesce(F("last_status_update_at"), F("created_at")), tzinfo=zone)
    due_day = AddDaysToDate(since_day, F("cadence_days"))
    surely_listed_before = local_midnight(last_listed, zone) - timedelta(days=2)

    def due_by(day: date) -> Q:
        return Q(models.lookups.LessThanOrEqual(due_day, models.Value(day)))

    back_in_time = due_by(today)
    for ahead in range(1, rules.STATUS_UPDATE_COMING_DAYS + 1):
        day = add_days(today, ahead)
        back_in_time |= due_by(day) & ~away_on(day, absences, active_projects)
    return (
        Q(status="active")
        & Q(status_update_due_at__lt=local_midnight(add_days(last_listed, 1), zone) + timedelta(days=2))
        & ~away_on(today, absences, active_projects)
        & (Q(status_update_due_at__lt=surely_listed_before) | (due_by(last_listed) & back_in_time))
    )

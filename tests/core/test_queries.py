"""The rules asked in SQL (crm/core/queries.py) list exactly what the rules say in Python, on the same rows."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Absence, Client
from crm.core import rules
from crm.models import Invoice, Promise
from tests.factories import make_client, make_invoice, make_project, make_promise

ZONES = [
    zoneinfo.ZoneInfo(name)
    for name in ("Europe/Paris", "Pacific/Kiritimati", "Pacific/Niue", "America/New_York", "UTC")
]
START = datetime(2026, 1, 1, tzinfo=UTC)
TODAY = date(2026, 3, 29)  # the day Paris moves to summer time
periods = st.tuples(st.integers(-6, 3), st.one_of(st.none(), st.integers(0, 4)))
EXAMPLES = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@EXAMPLES
@given(
    # The last update sent around (today - cadence): its due day falls around today, where the zone matters.
    since_minutes=st.integers(-4 * 24 * 60, 4 * 24 * 60),
    cadence=st.integers(1, 365),
    # Mostly active clients at home: the rows where the due day alone decides.
    status=st.sampled_from(["active"] * 6 + Client.Status.values),
    # Absences around today (first day, length; None: open), and the pauses of 0 to 2 active projects.
    absences=st.lists(periods, max_size=2),
    projects=st.lists(st.lists(periods, max_size=2), max_size=2),
    zone=st.sampled_from(ZONES),
    today_shift=st.integers(-3, 3),
    never_sent=st.booleans(),
)
def test_the_status_updates_listed_in_sql_are_those_listed_in_python(
    alice: Any,
    since_minutes: int,
    cadence: int,
    status: str,
    absences: list[tuple[int, int | None]],
    projects: list[list[tuple[int, int | None]]],
    zone: zoneinfo.ZoneInfo,
    today_shift: int,
    never_sent: bool,
) -> None:
    today = TODAY + timedelta(days=today_shift)
    since = datetime.combine(today - timedelta(days=cadence), time(), tzinfo=UTC) + timedelta(
        minutes=since_minutes
    )
    client = make_client(alice, cadence_days=cadence, status=status)
    Client.objects.filter(pk=client.pk).update(
        created_at=since if never_sent else START - timedelta(days=400),
        last_status_update_at=None if never_sent else since,
    )
    for start, length in absences:
        first = today + timedelta(days=start)
        Absence.objects.create(
            client=client, start_on=first, end_on=None if length is None else first + timedelta(days=length)
        )
    for pauses in projects:
        project = make_project(client)
        for start, length in pauses:
            first = today + timedelta(days=start)
            Absence.objects.create(
                client=client,
                project=project,
                kind=Absence.Kind.PAUSED,
                start_on=first,
                end_on=None if length is None else first + timedelta(days=length),
            )
    client.refresh_from_db()

    in_sql = Client.objects.filter(pk=client.pk).status_update_listed(today, zone).exists()

    assert in_sql == client.status_update_listed(today, zone)
    client.delete()


@EXAMPLES
@given(since_minutes=st.integers(0, 400 * 24 * 60), cadence=st.integers(1, 365))
def test_the_generated_due_moment_is_the_rules(alice: Any, since_minutes: int, cadence: int) -> None:
    client = make_client(alice, cadence_days=cadence)
    since = START + timedelta(minutes=since_minutes, microseconds=since_minutes % 1000 * 1000)
    Client.objects.filter(pk=client.pk).update(last_status_update_at=since)
    client.refresh_from_db()

    assert client.status_update_due_at == rules.status_update_due_at(since, cadence)
    client.delete()


def test_overdue_and_to_settle_in_sql_agree_with_the_rules(alice: Any) -> None:
    client = make_client(alice)
    made = date(2026, 1, 1)
    promises = [
        make_promise(client, made_on=made, due_on=TODAY - timedelta(days=days)) for days in (-1, 0, 1, 30, 31)
    ]
    invoices = [
        make_invoice(client, issued_on=made, due_on=TODAY - timedelta(days=days), number=f"F-{days}")
        for days in (0, 1)
    ]
    renegotiated = make_invoice(
        client, issued_on=made, due_on=made, renegotiated_due_on=TODAY, number="F-renegotiated"
    )

    assert set(Promise.objects.overdue(TODAY)) == {p for p in promises if rules.is_overdue(p.due_on, TODAY)}
    assert set(Promise.objects.to_settle(TODAY)) == {
        p for p in promises if rules.is_to_settle(p.due_on, TODAY)
    }
    assert [p.due_on for p in Promise.objects.to_settle(TODAY)] == [TODAY - timedelta(days=31)]
    assert (
        set(Invoice.objects.overdue(TODAY))
        == {i for i in [*invoices, renegotiated] if i.is_overdue(TODAY)}
        == {invoices[1]}
    )

"""A read compiled once (crm/core/statements.py) reads, run after run with other values, what the ORM reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client
from crm.core import statements
from crm.models import Promise
from tests.factories import make_client, make_promise


def _promises(client_ids: list[int], due_by: date, made_since: date) -> Any:
    return Promise.objects.filter(
        client_id__in=client_ids, due_on__lte=due_by, made_on__gte=made_since
    ).order_by("pk")


def test_each_run_reads_its_own_values(alice: Any, bob: Any) -> None:
    today = timezone.localdate()
    anne, bruno, bobs = make_client(alice, name="Anne"), make_client(alice, name="Bruno"), make_client(bob)
    for client in (anne, bruno, bobs):
        for days in (-20, -3, 0, 4, 30):
            make_promise(
                client,
                made_on=today - timedelta(days=40) + timedelta(days=days),
                due_on=today + timedelta(days=days),
            )
    runs = [
        ([anne.pk], today, today - timedelta(days=40)),
        ([bruno.pk], today + timedelta(days=10), today - timedelta(days=30)),
        ([bobs.pk], today - timedelta(days=5), today - timedelta(days=100)),
        ([anne.pk, bobs.pk], today, today - timedelta(days=40)),  # another number of ids: compiled on its own
        ([bruno.pk, anne.pk], today + timedelta(days=40), today - timedelta(days=60)),
    ]
    assert statements.compiled("test:promises", _promises, runs[0], connection) is not None  # run compiled
    for values in runs:
        compiled = statements.objects("test:promises", _promises, values, Promise)
        assert [promise.pk for promise in compiled] == [promise.pk for promise in _promises(*values)]
        assert all(isinstance(promise, Promise) and promise.due_on <= values[1] for promise in compiled)


def test_moments_are_put_in_place_as_django_adapts_them(alice: Any) -> None:
    client = make_client(alice)
    now = timezone.now()
    since = lambda ids, moment: Client.objects.filter(pk__in=ids, created_at__lte=moment)  # noqa: E731
    for moment, expected in ((now + timedelta(minutes=1), [client.pk]), (now - timedelta(days=1), [])):
        read = statements.objects("test:since", since, ([client.pk], moment), Client)
        assert [row.pk for row in read] == expected


def test_a_value_computed_inside_the_read_is_not_compiled(alice: Any) -> None:
    """A parameter `build` computes from a value cannot be found again among the parameters: the read is built
    as usual each time, never run with the stand-in's derived value."""
    today = timezone.localdate()
    client = make_client(alice)
    promise = make_promise(client, made_on=today - timedelta(days=3), due_on=today + timedelta(days=1))

    def due_within_a_week(ids: list[int], day: date) -> Any:
        return Promise.objects.filter(client_id__in=ids, due_on__lte=day + timedelta(days=7))

    assert statements.compiled("test:derived", due_within_a_week, ([client.pk], today), connection) is None
    read = statements.objects("test:derived", due_within_a_week, ([client.pk], today), Promise)
    assert [row.pk for row in read] == [promise.pk]
    assert (
        statements.objects(
            "test:derived", due_within_a_week, ([client.pk], today - timedelta(days=7)), Promise
        )
        == []
    )


def test_the_statements_kept_are_bounded(alice: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statements, "_KEPT", 3)
    monkeypatch.setattr(statements, "_COMPILED", {})
    client = make_client(alice)
    for n in range(6):
        statements.objects(
            ("test:bounded", n), lambda ids: Client.objects.filter(pk__in=ids), ([client.pk],), Client
        )
    assert len(statements._COMPILED) == 3
    assert ("test:bounded", 5) in {key[0] for key in statements._COMPILED}


def _with_client(owner_id: int, due_by: date) -> Any:
    return (
        Promise.objects.filter(owner=owner_id, due_on__lte=due_by)
        .select_related("client", "project")
        .annotate(days=Value(7))
        .order_by("due_on", "pk")
    )


def test_objects_are_built_as_the_orm_builds_them_with_their_related_rows(alice: Any, bob: Any) -> None:
    today = timezone.localdate()
    for owner in (alice, bob):
        client = make_client(owner, name=f"Client of {owner.username}")
        for days in (-3, 0, 5):
            make_promise(client, made_on=today - timedelta(days=10), due_on=today + timedelta(days=days))
    make_promise(
        make_client(alice, name="Another"),
        made_on=today - timedelta(days=10),
        due_on=today - timedelta(days=1),
    )
    fields = ("pk", "due_on", "description", "state", "client_id", "project_id")
    for owner, due_by in (
        (alice, today),
        (bob, today + timedelta(days=10)),
        (alice, today - timedelta(days=2)),
    ):
        expected = list(_with_client(owner.pk, due_by))
        with CaptureQueriesContext(connection) as queries:
            built = statements.objects("test:objects", _with_client, (owner.pk, due_by), Promise)
            # Their client was read with them: drawing its name reads nothing more.
            names = [promise.client.name for promise in built]
        assert len(queries) == 1
        assert [[getattr(p, name) for name in fields] for p in built] == [
            [getattr(p, name) for name in fields] for p in expected
        ]
        assert names == [promise.client.name for promise in expected]
        assert all(p.project is None and p.days == 7 and not p._state.adding for p in built)
        assert {p._state.db for p in built} <= {connection.alias}
    # Built again from the statement compiled on the first run.
    assert statements.compiled("test:objects", _with_client, (alice.pk, today), connection) is not None


def test_objects_refuses_what_one_statement_cannot_build(alice: Any) -> None:
    client = make_client(alice)
    for build in (
        lambda ids: Promise.objects.filter(client_id__in=ids).values("pk"),
        lambda ids: Client.objects.filter(pk__in=ids).prefetch_related("promises"),
        lambda ids: client.promises.filter(pk__in=ids),
    ):
        with pytest.raises(ValueError, match="one statement"):
            statements.objects(("test:refused", id(build)), build, ([client.pk],), Promise)


def _promise_days(client_id: int, since: Any) -> Any:
    return (
        Promise.objects.filter(client_id=client_id, created_at__gte=since)
        .annotate(days=Value(7))
        .order_by("-due_on", "-pk")
        .values_list("pk", "due_on", "created_at", "days")
    )


def test_rows_are_the_orms_tuples_run_after_run(alice: Any, bob: Any) -> None:
    """A values_list() read gives, run after run with other values, the tuples the ORM gives: converted (days,
    moments in UTC) and in the order of its fields."""
    today = timezone.localdate()
    clients = [make_client(alice), make_client(bob)]
    for client in clients:
        for days in (-5, 0, 9):
            make_promise(client, made_on=today - timedelta(days=10), due_on=today + timedelta(days=days))
    now = timezone.now()
    reads = []
    for client, since in (
        (clients[0], now - timedelta(days=1)),
        (clients[1], now - timedelta(days=1)),
        (clients[0], now + timedelta(days=1)),
    ):
        reads.append(statements.rows("test:rows", _promise_days, (client.pk, since), Promise))
        assert reads[-1] == list(_promise_days(client.pk, since))
    assert [len(read) for read in reads] == [3, 3, 0]
    assert {(type(day), at.tzinfo is not None) for _pk, day, at, _days in reads[0]} == {(date, True)}
    assert statements.compiled("test:rows", _promise_days, (clients[0].pk, now), connection) is not None


def test_rows_refuses_a_read_whose_order_the_orm_would_change(alice: Any) -> None:
    """`ValuesListIterable` puts an annotation named before a field back in its place: compiled, the row would
    come in the selected order instead, so `rows` refuses it (and a flat or named read)."""
    client = make_client(alice)
    for build in (
        lambda ids: (
            Promise.objects.filter(client_id__in=ids).annotate(days=Value(7)).values_list("days", "pk")
        ),
        lambda ids: Promise.objects.filter(client_id__in=ids).values_list("pk", flat=True),
        lambda ids: Promise.objects.filter(client_id__in=ids).values_list("pk", named=True),
        lambda ids: Promise.objects.filter(client_id__in=ids),
    ):
        with pytest.raises(ValueError, match="values_list"):
            statements.rows(("test:rows-refused", id(build)), build, ([client.pk],), Promise)


def test_a_local_day_is_read_in_the_active_time_zone(alice: Any) -> None:
    """A moment's local day is compiled in the active time zone's name: a statement compiled in one zone is never
    run in another, where the same moment falls on another day."""
    client = make_client(alice)
    promise = make_promise(client)
    moment = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # the 10th in UTC, the 11th in Auckland
    Promise.objects.filter(pk=promise.pk).update(created_at=moment)

    def created_on(client_id: int, day: date) -> Any:
        return Promise.objects.filter(client_id=client_id, created_at__date=day)

    for zone, day in (
        ("UTC", date(2026, 3, 10)),
        ("Pacific/Auckland", date(2026, 3, 11)),
        ("UTC", date(2026, 3, 10)),
    ):
        with timezone.override(zone):
            assert [
                p.pk for p in statements.objects("test:local-day", created_on, (client.pk, day), Promise)
            ] == [promise.pk]
            assert (
                statements.objects(
                    "test:local-day", created_on, (client.pk, day + timedelta(days=1)), Promise
                )
                == []
            )

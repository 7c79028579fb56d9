"""The migration that dated absences (clients/migrations/0022_absences.py) turns each client's `away_until` and
paused status into absence rows, so the next status update falls due where it did before; migrating back gives
`away_until` back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("clients", "0021_client_status_update_listed_at")]
AFTER = [("clients", "0022_absences")]
CREATED = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
LAST_UPDATE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _migrate(targets: list[tuple[str, str]] | None = None) -> Any:
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before(transactional_db: None) -> Iterator[Any]:
    try:
        yield _migrate(BEFORE)
    finally:
        _migrate()


def test_the_current_absence_and_the_paused_status_become_dated_rows(before: Any) -> None:
    user = before.get_model("auth", "User").objects.create(username="old-alice")
    client = before.get_model("clients", "Client")
    away = client.objects.create(
        owner=user,
        name="Away",
        created_at=CREATED,
        last_status_update_at=LAST_UPDATE,
        away_until=date(2026, 3, 20),
    )
    paused = client.objects.create(owner=user, name="Paused", created_at=CREATED, status="paused")
    client.objects.create(owner=user, name="Present", created_at=CREATED)

    after = _migrate(AFTER)

    absence = after.get_model("clients", "Absence")
    rows = {row.client_id: row for row in absence.objects.all()}
    assert set(rows) == {away.pk, paused.pk}
    assert (rows[away.pk].kind, rows[away.pk].start_on, rows[away.pk].end_on) == (
        "holiday",
        date(2026, 3, 2),  # from the last status update: the due day moves as it did before
        date(2026, 3, 20),
    )
    assert (rows[paused.pk].kind, rows[paused.pk].end_on, rows[paused.pk].owner_id) == (
        "paused",
        None,
        user.pk,
    )

    back = _migrate(BEFORE)
    assert back.get_model("clients", "Client").objects.get(pk=away.pk).away_until == date(2026, 3, 20)

"""The migrations that added the stored owners, the generated columns and the missing trust health rows fill them
in for a book that existed before them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Invoice, Promise
from crm.web.views import board

BEFORE = [("clients", "0001_initial"), ("conflicts", "0001_initial"), ("crm", "0001_initial")]
CREATED = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
DAY = date(2026, 2, 10)


def _migrate(targets: list[tuple[str, str]] | None = None) -> Any:
    """Migrate the test database to `targets` (the latest migrations when None); return the state's apps."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()  # what is applied now
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_the_migrations(transactional_db: None) -> Iterator[Any]:
    """Yield the apps of the state before the migrations under test; migrate back to the latest afterwards."""
    try:
        yield _migrate(BEFORE)
    finally:
        _migrate()


def _old_book(apps: Any) -> dict[str, Any]:
    """Insert a small book with the models as they were, one client without its trust health row."""
    user = apps.get_model("auth", "User")
    client = apps.get_model("clients", "Client")
    promise = apps.get_model("crm", "Promise")
    invoice = apps.get_model("crm", "Invoice")
    health = apps.get_model("crm", "ClientHealth")
    signal = apps.get_model("conflicts", "ConflictSignal")

    alice, bob = user.objects.create(username="old-alice"), user.objects.create(username="old-bob")
    ranked = client.objects.create(owner=alice, name="Ranked", cadence_days=14, created_at=CREATED)
    unranked = client.objects.create(owner=alice, name="Unranked", cadence_days=7, created_at=CREATED)
    bobs = client.objects.create(owner=bob, name="Bob's", cadence_days=21, created_at=CREATED)
    for owned, score, band in [(ranked, 20, "at_risk"), (bobs, 80, "healthy")]:
        health.objects.create(
            client=owned,
            owner=owned.owner,
            score=score,
            band=band,
            components={},
            reasons=[],
            evidence_count=5,
            computed_at=CREATED,
        )
    promises = {
        owned.name: promise.objects.create(client=owned, description="Maquette", made_on=DAY, due_on=DAY)
        for owned in [ranked, unranked, bobs]
    }
    signals = {
        owned.name: signal.objects.create(client=owned, kind="ideas", severity=1, observed_on=DAY)
        for owned in [ranked, bobs]
    }
    invoices = {
        renegotiated: invoice.objects.create(
            owner=alice,
            client=ranked,
            number=f"F-{renegotiated}",
            amount=Decimal("500.00"),
            issued_on=DAY,
            due_on=DAY + timedelta(days=30),
            renegotiated_due_on=DAY + timedelta(days=60) if renegotiated else None,
        )
        for renegotiated in [False, True]
    }
    return {
        "alice": alice.pk,
        "bob": bob.pk,
        "clients": {c.name: c.pk for c in [ranked, unranked, bobs]},
        "promises": {name: row.pk for name, row in promises.items()},
        "signals": {name: row.pk for name, row in signals.items()},
        "invoices": {renegotiated: row.pk for renegotiated, row in invoices.items()},
    }


def test_migrations_fill_in_owners_trust_health_and_generated_columns(before_the_migrations: Any) -> None:
    book = _old_book(before_the_migrations)
    owners = {"Ranked": book["alice"], "Unranked": book["alice"], "Bob's": book["bob"]}

    _migrate()

    # 1. Promises and conflict signals took their client's owner.
    assert {pk: Promise.objects.get(pk=pk).owner_id for pk in book["promises"].values()} == {
        book["promises"][name]: owner for name, owner in owners.items()
    }
    assert {pk: ConflictSignal.objects.get(pk=pk).owner_id for pk in book["signals"].values()} == {
        book["signals"][name]: owners[name] for name in book["signals"]
    }
    # 2. The client without a trust health row got "not enough history"; the others kept theirs.
    added = ClientHealth.objects.get(client_id=book["clients"]["Unranked"])
    assert (added.owner_id, added.band, added.score, added.rank, added.evidence_count) == (
        book["alice"],
        "insufficient",
        50,
        3,
        0,
    )
    kept = ClientHealth.objects.get(client_id=book["clients"]["Ranked"])
    assert (kept.band, kept.score, kept.rank, kept.evidence_count) == ("at_risk", 20, 0, 5)
    assert ClientHealth.objects.get(client_id=book["clients"]["Bob's"]).rank == 2
    assert ClientHealth.objects.count() == 3
    # 3. The generated columns hold their values for the existing rows.
    assert Invoice.objects.get(pk=book["invoices"][False]).current_due_on == DAY + timedelta(days=30)
    assert Invoice.objects.get(pk=book["invoices"][True]).current_due_on == DAY + timedelta(days=60)
    assert Client.objects.get(pk=book["clients"]["Unranked"]).status_update_due_at == CREATED + timedelta(
        days=7
    )
    # 4. So the board ranks the whole of alice's book, the new row last.
    assert [client.name for client in board.ranked_clients(book["alice"])] == ["Ranked", "Unranked"]
    assert Promise.objects.for_owner(book["bob"]).get().pk == book["promises"]["Bob's"]

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


# -- the window (clients/bounds.py): rows stored before it are brought into it, then the constraints added ------

BEFORE_THE_WINDOW = [
    ("clients", "0004_history"),
    ("conflicts", "0003_history"),
    ("crm", "0004_batch_job_runs_and_mail_retries"),
]
YEAR_1, YEAR_9999 = date(1, 1, 1), date(9999, 12, 31)
FIRST, LAST = date(1970, 1, 1), date(2100, 12, 31)


@pytest.fixture
def before_the_window(transactional_db: None) -> Iterator[Any]:
    try:
        yield _migrate(BEFORE_THE_WINDOW)
    finally:
        _migrate()


def _book_outside_the_window(apps: Any) -> dict[str, Any]:
    """Insert, with the models as they were, rows whose dates lie before 1970 and after 2100."""
    user = apps.get_model("auth", "User").objects.create(username="old-timer")
    models = {name: apps.get_model(app, name) for app, name in [
        ("clients", "Client"), ("clients", "Project"), ("crm", "Interaction"), ("crm", "Promise"),
        ("crm", "Invoice"), ("conflicts", "ConflictSignal"),
    ]}  # fmt: skip
    early = models["Client"].objects.create(
        owner=user, name="Early", created_at=datetime(1, 1, 1, tzinfo=UTC)
    )
    late = models["Client"].objects.create(
        owner=user,
        name="Late",
        created_at=CREATED,
        last_status_update_at=datetime(9999, 6, 1, tzinfo=UTC),
        last_contact_at=datetime(9999, 6, 1, tzinfo=UTC),
    )
    within = models["Promise"].objects.create(
        owner=user, client=late, description="Within", made_on=DAY, due_on=DAY, created_at=CREATED
    )
    return {
        "early": early.pk,
        "late": late.pk,
        "within": within.pk,
        "project": models["Project"]
        .objects.create(client=early, title="P", start_on=YEAR_1, due_on=YEAR_9999, created_at=CREATED)
        .pk,
        "interaction": models["Interaction"]
        .objects.create(
            client=early,
            kind="email",
            direction="to_client",
            happened_at=datetime(9999, 12, 31, 23, tzinfo=UTC),
        )
        .pk,
        "kept": models["Promise"]
        .objects.create(
            owner=user,
            client=early,
            description="Kept",
            made_on=YEAR_1,
            due_on=YEAR_9999,
            state="kept",
            kept_on=date(9999, 12, 30),
            created_at=CREATED,
        )
        .pk,
        "far": models["Promise"]
        .objects.create(
            owner=user,
            client=early,
            description="Far",
            made_on=date(9999, 12, 1),
            due_on=YEAR_9999,
            created_at=CREATED,
        )
        .pk,
        "invoice": models["Invoice"]
        .objects.create(
            owner=user,
            client=early,
            number="F-1",
            amount=Decimal("10.00"),
            issued_on=YEAR_1,
            due_on=YEAR_9999,
            paid_on=YEAR_9999,
            renegotiated_due_on=YEAR_9999,
            created_at=CREATED,
        )
        .pk,
        "signal": models["ConflictSignal"]
        .objects.create(
            owner=user,
            client=early,
            kind="ideas",
            severity=1,
            observed_on=YEAR_1,
            state="resolved",
            resolved_on=YEAR_9999,
        )
        .pk,
    }


def test_the_window_migrations_bring_old_rows_into_it_before_the_constraints(before_the_window: Any) -> None:
    from clients.models import Project
    from crm.models import Interaction

    book = _book_outside_the_window(before_the_window)

    _migrate()

    first_moment = datetime(1970, 1, 1, tzinfo=UTC)
    last_moment = datetime(2100, 12, 31, 23, 59, tzinfo=UTC)
    assert Client.objects.get(pk=book["early"]).created_at == first_moment
    late = Client.objects.get(pk=book["late"])
    assert (late.last_status_update_at, late.last_contact_at, late.created_at) == (
        last_moment,
        last_moment,
        CREATED,
    )
    assert late.status_update_due_at == last_moment + timedelta(days=7)  # the generated column follows
    project = Project.objects.get(pk=book["project"])
    assert (project.start_on, project.due_on) == (FIRST, LAST)
    assert Interaction.objects.get(pk=book["interaction"]).happened_at == last_moment
    kept = Promise.objects.get(pk=book["kept"])
    assert (kept.made_on, kept.due_on, kept.kept_on, kept.state) == (FIRST, LAST, LAST, "kept")
    far = Promise.objects.get(pk=book["far"])
    assert (far.made_on, far.due_on) == (LAST, LAST)  # still "due not before made"
    within = Promise.objects.get(pk=book["within"])
    assert (within.made_on, within.due_on, within.created_at) == (DAY, DAY, CREATED)  # untouched
    invoice = Invoice.objects.get(pk=book["invoice"])
    assert (invoice.issued_on, invoice.due_on, invoice.paid_on, invoice.renegotiated_due_on) == (
        FIRST,
        LAST,
        LAST,
        LAST,
    )
    assert invoice.current_due_on == LAST
    signal = ConflictSignal.objects.get(pk=book["signal"])
    assert (signal.observed_on, signal.resolved_on) == (FIRST, LAST)
    # Every row now passes its model's validation, constraints included.
    for row in [late, project, kept, far, invoice, signal]:
        row.full_clean()

    # Going back removes the constraints and leaves the rows as they are (the data step is a no-op backwards). Only
    # the column read: today's model has fields the old table lacks (issue 26's deliverables).
    _migrate(BEFORE_THE_WINDOW)
    assert Project.objects.filter(pk=book["project"]).values_list("start_on", flat=True).get() == FIRST

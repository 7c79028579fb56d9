"""The migrations that store the calendar feed's and the client's page secrets hashed (crm/core/links.py) keep
every address already handed out working, and leave no secret in clear."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from clients.models import Profile
from crm.models import ClientPage

BEFORE = [("clients", "0016_contact_other_emails"), ("crm", "0018_promise_to_pay_names_its_invoice")]
CREATED = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
# Tokens as the old code made them: secrets.token_urlsafe(24) for a calendar, (9) + (32) for a client's page.
CALENDAR_TOKENS = {
    "old-alice": "q3Vn0dYw8mJ4zLr2TbXe5KfHs1GcPa9U",
    "old-bob": "Z-8kLm_2nBv4Cx6Dz0Fa1Gs3Hd5Jf7Kq",
}
PAGE_KEY, PAGE_SECRET = "pKey_1234567", "S" * 20 + "-_ecret" + "9" * 16


def _migrate(targets: list[tuple[str, str]] | None = None) -> Any:
    """Migrate the test database to `targets` (the latest migrations when None); return the state's apps."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_the_migrations(transactional_db: None) -> Iterator[Any]:
    try:
        yield _migrate(BEFORE)
    finally:
        _migrate()


def test_every_calendar_address_and_client_page_link_keeps_working(
    client: Any, before_the_migrations: Any
) -> None:
    apps = before_the_migrations
    user, profile = apps.get_model("auth", "User"), apps.get_model("clients", "Profile")
    old_client, page = apps.get_model("clients", "Client"), apps.get_model("crm", "ClientPage")
    users = {}
    for name, token in CALENDAR_TOKENS.items():
        users[name] = user.objects.create(username=name)
        profile.objects.create(user=users[name], calendar_token=token)
    acme = old_client.objects.create(
        owner=users["old-alice"], name="ACME", cadence_days=14, created_at=CREATED
    )
    page.objects.create(client=acme, owner=users["old-alice"], key=PAGE_KEY, secret=PAGE_SECRET)

    _migrate()

    # 1. Every feed address still opens its own feed; the row keeps the key and the secret's hash only.
    for name, token in CALENDAR_TOKENS.items():
        stored = Profile.objects.get(user__username=name)
        assert (stored.calendar_key, stored.calendar_secret_hash) == (
            token[:12],
            hashlib.sha256(token[12:].encode()).hexdigest(),
        )
        assert client.get(reverse("web:calendar_feed", kwargs={"token": token})).status_code == 200
    # Alice's key with bob's secret opens nothing.
    mixed = CALENDAR_TOKENS["old-alice"][:12] + CALENDAR_TOKENS["old-bob"][12:]
    assert client.get(reverse("web:calendar_feed", kwargs={"token": mixed})).status_code == 404
    # 2. The client's page link too.
    assert client.get(reverse("portal:page", kwargs={"token": PAGE_KEY + PAGE_SECRET})).status_code == 200
    assert ClientPage.objects.get().secret_hash == hashlib.sha256(PAGE_SECRET.encode()).hexdigest()
    # 3. No secret is left in clear anywhere in the database.
    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    for secret in [token[12:] for token in CALENDAR_TOKENS.values()] + [PAGE_SECRET]:
        assert secret not in dump.getvalue()
    # 4. Replacing an old address makes one that works, and the old one stops.
    alice = Profile.objects.get(user__username="old-alice")
    alice.revoke_calendar_token()
    old = CALENDAR_TOKENS["old-alice"]
    assert client.get(reverse("web:calendar_feed", kwargs={"token": old})).status_code == 404

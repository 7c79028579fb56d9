"""The dated rates in the database: seeded with the published values, read by the claim, refreshed when edited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Count

from clients.models import Client, ClientKind
from crm.models import LatePaymentRate
from crm.payments import interest, ratefile
from crm.payments.claims import load_rates, regime_of
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_the_migration_loaded_the_shipped_file() -> None:
    shipped = ratefile.read(ratefile.SHIPPED)
    assert not shipped.errors
    counts = dict(
        LatePaymentRate.objects.values_list("series").annotate(n=Count("pk")).values_list("series", "n")
    )
    assert counts == {"ecb_mro": 20, "fr_legal_pro": 12, "fr_legal_personal": 12}
    assert len(shipped.rows) == 44
    stored = {(r.series, r.starts_on): r for r in LatePaymentRate.objects.all()}
    assert {(row.kind, row.valid_from, row.percent) for row in shipped.rows} == {
        (series, day, rate.percent) for (series, day), rate in stored.items()
    }
    legal = stored[("fr_legal_pro", date(2024, 1, 1))]
    assert (legal.percent, legal.checked_on) == (Decimal("5.07"), date(2025, 12, 31))
    assert stored[("ecb_mro", date(2023, 9, 20))].percent == Decimal("4.5")
    assert "Banque de France" in legal.source
    # 0014's half-year copies of the ECB's rate are gone: the ECB's rate is now its dated changes.
    assert ("ecb_mro", date(2022, 1, 1)) not in stored


@pytest.mark.django_db(transaction=True)
def test_the_migration_replaces_the_old_seed_and_keeps_a_rate_entered_by_hand() -> None:
    executor = MigrationExecutor(connection)
    try:
        executor.migrate([("crm", "0021_late_payment_rate_checked_on")])
        old = executor.loader.project_state([("crm", "0021_late_payment_rate_checked_on")]).apps
        rate = old.get_model("crm", "LatePaymentRate")
        # 0014's seed (its 2026 legal rate, not confirmed by the shipped file; a transactional test starts from an
        # empty table) and a row entered in the admin.
        seeded = import_module("crm.migrations.0014_seed_late_payment_rates")
        rate.objects.create(
            series="fr_legal_pro", starts_on=date(2026, 1, 1), percent=Decimal("2.62"), source=seeded.LEGAL
        )
        rate.objects.create(
            series="fr_legal_pro", starts_on=date(2026, 7, 1), percent=Decimal("3"), source="me"
        )
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    legal = dict(LatePaymentRate.objects.filter(series="fr_legal_pro").values_list("starts_on", "source"))
    assert date(2026, 1, 1) not in legal  # 0014's unconfirmed value is gone
    assert legal[date(2026, 7, 1)] == "me"  # a row entered by hand is kept
    assert LatePaymentRate.objects.filter(series="ecb_mro").count() == 20


def test_a_rate_loaded_later_is_used_at_once() -> None:
    before = interest.rate_in_force(load_rates()[interest.ECB_MAIN_REFINANCING], date(2026, 9, 1))
    assert before is None  # read, and now cached: the shipped file stops at 1 January 2026
    LatePaymentRate.objects.create(
        series=interest.ECB_MAIN_REFINANCING, starts_on=date(2026, 7, 1), percent=Decimal("2.40")
    )
    rates = load_rates()[interest.ECB_MAIN_REFINANCING]
    assert interest.rate_in_force(rates, date(2026, 9, 1)) == interest.DatedRate(
        date(2026, 7, 1), Decimal("2.4")
    )


def test_the_reminder_days_must_come_one_after_the_other(alice: Any) -> None:
    client = Client(
        owner=alice, name="Dupont", reminder_courteous_days=10, reminder_firm_days=5, reminder_notice_days=30
    )
    with pytest.raises(ValidationError, match="The reminders must come one after the other"):
        client.full_clean()
    client.reminder_firm_days = None
    with pytest.raises(ValidationError, match="Set the three reminder days"):
        client.full_clean()
    client.reminder_courteous_days = client.reminder_notice_days = None
    client.full_clean()  # none: the freelancer's own days
    assert client.reminder_days(alice.profile) == (3, 15, 30)
    alice.profile.reminder_firm_days = 40
    with pytest.raises(ValidationError, match="The reminders must come one after the other"):
        alice.profile.full_clean()


def test_the_client_type_and_country_choose_the_law(alice: Any) -> None:
    assert (
        regime_of(make_client(alice)).code == interest.FR_BUSINESS
    )  # a French business unless told otherwise
    assert regime_of(make_client(alice, country="BE")).code == interest.EU_BUSINESS
    assert regime_of(make_client(alice, country="CH")).code == interest.NO_STATUTORY_CLAIM
    assert regime_of(make_client(alice, kind=ClientKind.CONSUMER, country="DE")).code == interest.FR_CONSUMER

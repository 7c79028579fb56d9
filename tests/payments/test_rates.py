"""The dated rates in the database: seeded with the published values, read by the claim, refreshed when edited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from clients.models import Client, ClientKind
from crm.models import LatePaymentRate
from crm.payments import interest
from crm.payments.claims import load_rates, regime_of
from tests.factories import make_client

pytestmark = pytest.mark.django_db


def test_the_migration_seeded_the_published_rates_of_the_doc() -> None:
    published = {
        series: [(r.starts_on, r.percent) for r in interest.published_rates(series)]
        for series in interest.SERIES
    }
    seeded = {
        series: sorted(LatePaymentRate.objects.filter(series=series).values_list("starts_on", "percent"))
        for series in interest.SERIES
    }
    assert seeded == published


def test_a_rate_entered_in_the_admin_is_used_at_once() -> None:
    before = interest.rate_in_force(load_rates()[interest.ECB_MAIN_REFINANCING], date(2026, 9, 1))
    assert before == interest.DatedRate(date(2026, 1, 1), Decimal("2.15"))  # read, and now cached
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

"""The client's payment terms and the freelancer's reminder days, through their forms."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from clients.models import Client

pytestmark = pytest.mark.django_db

CLIENT = {
    "name": "Atelier Dupont",
    "company": "Dupont",
    "language": "fr",
    "status": "active",
    "cadence_days": 10,
}


def test_the_type_country_tone_claim_and_days_are_stored(alice: Any, alice_client: Any) -> None:
    terms = {"kind": "consumer", "country": "BE", "tone": "friendly", "claim_late_payment": "on"}
    days = {"reminder_courteous_days": 5, "reminder_firm_days": 10, "reminder_notice_days": 20}
    alice_client.post(reverse("web:client_new"), {**CLIENT, **terms, **days})
    client = Client.objects.get(owner=alice)
    assert (client.kind, client.country.code, client.tone, client.claim_late_payment) == (
        "consumer",
        "BE",
        "friendly",
        True,
    )
    assert client.reminder_days(alice.profile) == (5, 10, 20)


def test_days_out_of_order_are_refused_with_a_clear_message_and_nothing_changes(
    alice: Any, alice_client: Any
) -> None:
    alice_client.post(reverse("web:client_new"), CLIENT)
    client = Client.objects.get(owner=alice)
    bad = {"reminder_courteous_days": 10, "reminder_firm_days": 5, "reminder_notice_days": 20}
    page = alice_client.post(reverse("web:client_edit", kwargs={"client_id": client.pk}), {**CLIENT, **bad})
    assert "The reminders must come one after the other" in page.content.decode()
    half = {"reminder_courteous_days": 10}
    page = alice_client.post(reverse("web:client_edit", kwargs={"client_id": client.pk}), {**CLIENT, **half})
    assert "Set the three reminder days, or leave the three empty" in page.content.decode()
    client.refresh_from_db()
    assert client.reminder_days(alice.profile) == (3, 15, 30)


def test_a_post_without_the_new_fields_keeps_what_the_client_had(alice: Any, alice_client: Any) -> None:
    alice_client.post(
        reverse("web:client_new"), {**CLIENT, "kind": "consumer", "country": "DE", "tone": "friendly"}
    )
    client = Client.objects.get(owner=alice)
    alice_client.post(
        reverse("web:client_edit", kwargs={"client_id": client.pk}), {**CLIENT, "cadence_days": 14}
    )
    client.refresh_from_db()
    assert (client.cadence_days, client.kind, client.country.code, client.tone) == (
        14,
        "consumer",
        "DE",
        "friendly",
    )


def test_an_unknown_country_is_refused(alice: Any, alice_client: Any) -> None:
    page = alice_client.post(reverse("web:client_new"), {**CLIENT, "country": "XX"})
    assert "Select a valid choice" in page.content.decode()
    assert not Client.objects.filter(owner=alice).exists()


def test_the_freelancers_reminder_days_and_opt_in(alice: Any, alice_client: Any) -> None:
    profile = {"display_name": "Alice", "language": "en", "time_zone": "Europe/Paris", "digest_weekday": 0}
    profile |= {"digest_hour": 8, "payment_reminders_auto": "on"}
    alice_client.post(
        reverse("profile"),
        {**profile, "reminder_courteous_days": 2, "reminder_firm_days": 9, "reminder_notice_days": 25},
    )
    alice.profile.refresh_from_db()
    assert (alice.profile.reminder_days, alice.profile.payment_reminders_auto) == ((2, 9, 25), True)
    page = alice_client.post(
        reverse("profile"),
        {**profile, "reminder_courteous_days": 2, "reminder_firm_days": 30, "reminder_notice_days": 25},
    )
    assert "The reminders must come one after the other" in page.content.decode()
    alice.profile.refresh_from_db()
    assert alice.profile.reminder_days == (2, 9, 25)

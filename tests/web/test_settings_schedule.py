"""A freelancer's time zone and reminder days are what the book's sweep columns are counted in
(crm/payments/due.py): Settings (crm/web/views/profile.py) and the admin's profile save move them, by an explicit
call, in the save's transaction; no receiver on the profile does it behind a reader's back."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client, Profile
from crm.core.days import local_day, local_midnight
from crm.models import Invoice
from crm.payments import due
from tests.factories import make_client, make_invoice

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 29)
SETTINGS = {
    "display_name": "Alice",
    "time_zone": "Europe/Paris",
    "digest_weekday": 0,
    "digest_hour": 8,
    "reminder_courteous_days": 3,
    "reminder_firm_days": 15,
    "reminder_notice_days": 30,
}


def a_book(owner: Any) -> tuple[Client, Invoice]:
    """Return a client and its invoice ten days overdue, their columns written by the door."""
    client = make_client(owner, name="Dupont", email="d@example.com", cadence_days=14)
    invoice = make_invoice(
        client, number="F-1", issued_on=TODAY - timedelta(days=40), due_on=TODAY - timedelta(days=10)
    )
    client.refresh_from_db()
    invoice.refresh_from_db()
    assert client.status_update_listed_at is not None and invoice.next_reminder_at is not None
    return client, invoice


def assert_columns_follow_the_rules() -> None:
    """Nothing is left for a refresh of the whole book to move."""
    assert due.refresh_clients(Q()) == 0
    assert due.refresh_invoices(Q()) == 0


@pytest.mark.parametrize(
    ("language", "saved"), [("en", "Your settings are saved."), ("fr", "Vos réglages sont enregistrés.")]
)
def test_a_new_time_zone_in_settings_moves_both_columns(
    alice: Any, alice_client: Any, language: str, saved: str
) -> None:
    client, invoice = a_book(alice)
    paris_day = local_day(invoice.next_reminder_at, alice.profile.zone)
    listed_before = client.status_update_listed_at
    page = alice_client.post(
        reverse("profile"), {**SETTINGS, "language": language, "time_zone": "Pacific/Kiritimati"}, follow=True
    )
    assert saved in page.content.decode()
    client.refresh_from_db()
    invoice.refresh_from_db()
    profile = Profile.objects.get(user=alice)
    assert profile.time_zone == "Pacific/Kiritimati"
    # The same local day, now at midnight on Kiritimati (14 hours ahead of UTC).
    assert invoice.next_reminder_at == local_midnight(paris_day, profile.zone)
    # Kiritimati's midnights are never Paris's: the client's column moved too (to what the rule says, below).
    assert client.status_update_listed_at != listed_before
    assert_columns_follow_the_rules()


@pytest.mark.parametrize("language", ["en", "fr"])
def test_new_reminder_days_in_settings_move_the_invoices_column(
    alice: Any, alice_client: Any, language: str
) -> None:
    _client, invoice = a_book(alice)
    # The default three days after the due date: the first reminder is prepared on that day.
    assert local_day(invoice.next_reminder_at, alice.profile.zone) == TODAY - timedelta(days=7)
    days = {"reminder_courteous_days": 20, "reminder_firm_days": 30, "reminder_notice_days": 40}
    alice_client.post(reverse("profile"), {**SETTINGS, "language": language, **days})
    invoice.refresh_from_db()
    assert local_day(invoice.next_reminder_at, alice.profile.zone) == TODAY + timedelta(days=10)
    assert_columns_follow_the_rules()


def test_settings_that_leave_the_schedule_alone_do_not_read_the_book(alice: Any, alice_client: Any) -> None:
    a_book(alice)
    with CaptureQueriesContext(connection) as queries:
        alice_client.post(reverse("profile"), {**SETTINGS, "language": "en", "digest_hour": 9})
    assert Profile.objects.get(user=alice).digest_hour == 9
    assert not [q for q in queries.captured_queries if "crm_invoice" in q["sql"]]
    assert_columns_follow_the_rules()


def test_refused_settings_move_nothing(alice: Any, alice_client: Any) -> None:
    client, invoice = a_book(alice)
    before = (client.status_update_listed_at, invoice.next_reminder_at)
    page = alice_client.post(
        reverse("profile"), {**SETTINGS, "language": "en", "time_zone": "Mars/Olympus_Mons"}
    )
    assert page.status_code == 200 and Profile.objects.get(user=alice).time_zone == "Europe/Paris"
    client.refresh_from_db()
    invoice.refresh_from_db()
    assert (client.status_update_listed_at, invoice.next_reminder_at) == before


def _admin_form_data(page: Any) -> dict[str, Any]:
    """Return the admin change form's data as drawn (what a browser would post back unchanged)."""
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data


def test_the_admins_profile_save_moves_both_columns(alice: Any, admin_client: Any) -> None:
    client, invoice = a_book(alice)
    url = reverse("admin:clients_profile_change", args=[alice.profile.pk])
    data = _admin_form_data(admin_client.get(url))
    data |= {"time_zone": "America/New_York", "reminder_courteous_days": 20}
    data |= {"reminder_firm_days": 30, "reminder_notice_days": 40}
    page = admin_client.post(url, data)
    assert page.status_code == 302, page.context["adminform"].form.errors
    profile = Profile.objects.get(user=alice)
    invoice.refresh_from_db()
    client.refresh_from_db()
    assert invoice.next_reminder_at == local_midnight(TODAY + timedelta(days=10), profile.zone)
    assert_columns_follow_the_rules()


def test_no_receiver_listens_to_a_profile_save() -> None:
    # The team's rule: a recompute is a call a reader can follow, never a receiver.
    assert not post_save.has_listeners(Profile)

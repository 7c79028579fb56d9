"""The private calendar feed: parses, holds the right all-day events, and only for the right token."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
import pytest
import time_machine
from django.urls import reverse

from clients.models import Client
from crm.models import Promise
from crm.reminders.calendar import feed_token
from tests.factories import make_client, make_promise

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def feed_url(user: Any) -> str:
    user.profile.refresh_from_db()
    return reverse("web:calendar_feed", kwargs={"token": feed_token(user.profile)})


def events(response: Any) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def alices_book(alice: Any, bob: Any) -> dict[str, Any]:
    with time_machine.travel(NOW - timedelta(days=3), tick=False):
        dupont = make_client(alice, name="Atelier Dupont", cadence_days=14)
        paused = make_client(alice, name="En pause", status=Client.Status.PAUSED)
        make_client(bob, name="Bob's client")
    today = NOW.date()
    return {
        "dupont": dupont,
        "open": make_promise(dupont, description="Mise en ligne", made_on=today, due_on=date(2026, 12, 1)),
        "theirs": make_promise(
            dupont,
            description="Textes",
            promisor=Promise.Promisor.CLIENT,
            made_on=today,
            due_on=date(2026, 11, 27),
        ),
        "kept": make_promise(
            dupont, description="Devis", made_on=today, due_on=today, state="kept", kept_on=today
        ),
        "paused": paused,
    }


@time_machine.travel(NOW, tick=False)
def test_feed_holds_open_promises_and_status_update_due_dates(
    client: Any, alice: Any, alices_book: dict[str, Any]
) -> None:
    response = client.get(feed_url(alice))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    found = events(response)
    dupont, promise, theirs = alices_book["dupont"], alices_book["open"], alices_book["theirs"]
    assert set(found) == {
        f"promise-{promise.pk}@127.0.0.1",
        f"promise-{theirs.pk}@127.0.0.1",
        f"status-update-{dupont.pk}@127.0.0.1",
    }
    mine = found[f"promise-{promise.pk}@127.0.0.1"]
    assert str(mine["summary"]) == "Promise due: Mise en ligne (Atelier Dupont)"
    # All-day: DATE values, ending the next day.
    assert mine.decoded("dtstart") == date(2026, 12, 1)
    assert mine.decoded("dtend") == date(2026, 12, 2)
    assert str(found[f"promise-{theirs.pk}@127.0.0.1"]["summary"]) == "Atelier Dupont promised: Textes"
    update = found[f"status-update-{dupont.pk}@127.0.0.1"]
    assert str(update["summary"]) == "Status update due: Atelier Dupont"
    assert update.decoded("dtstart") == date(2026, 12, 4)  # created 20 Nov, every 14 days


@time_machine.travel(NOW, tick=False)
def test_event_ids_stay_the_same_when_a_date_moves(
    client: Any, alice: Any, alices_book: dict[str, Any]
) -> None:
    before = events(client.get(feed_url(alice)))
    Promise.objects.filter(pk=alices_book["open"].pk).update(due_on=date(2026, 12, 8))
    after = events(client.get(feed_url(alice)))
    assert set(before) == set(after)
    assert after[f"promise-{alices_book['open'].pk}@127.0.0.1"].decoded("dtstart") == date(2026, 12, 8)


def test_wrong_token_is_a_404(client: Any, alice: Any) -> None:
    url = reverse("web:calendar_feed", kwargs={"token": "not-the-token"})
    assert client.get(url).status_code == 404


def test_revoked_token_is_a_404_and_the_new_one_works(
    alice_client: Any, alice: Any, alices_book: dict[str, Any]
) -> None:
    old = feed_url(alice)
    response = alice_client.post(reverse("web:calendar_token_rotate"), {"confirm": "yes"})
    assert response.status_code == 302
    assert alice_client.get(old).status_code == 404
    new = feed_url(alice)
    assert new != old
    assert alice_client.get(new).status_code == 200
    settings_page = alice_client.get(reverse("web:calendar_settings")).content.decode()
    assert f"http://127.0.0.1:8000{new}" in settings_page


def test_rotation_cannot_be_undone_so_it_asks_first(alice_client: Any, alice: Any) -> None:
    """A GET, or a POST without the confirmation, shows what replacing breaks and changes nothing."""
    token = alice.profile.calendar_key
    url = reverse("web:calendar_token_rotate")
    page = alice_client.get(url).content.decode()
    assert "This cannot be undone." in page and 'name="confirm" value="yes"' in page
    assert "This cannot be undone." in alice_client.post(url).content.decode()
    settings_page = alice_client.get(reverse("web:calendar_settings")).content.decode()
    assert f'href="{url}"' in settings_page  # the settings page links to the question, it does not post
    alice.profile.refresh_from_db()
    assert alice.profile.calendar_key == token


def test_rotation_confirmation_in_french(alice_client: Any, alice: Any) -> None:
    alice.profile.language = "fr"
    alice.profile.save()
    page = alice_client.get(reverse("web:calendar_token_rotate")).content.decode()
    assert "Remplacer l’adresse du calendrier\u00a0?" in page
    assert "Oui, remplacer l’adresse" in page


def test_rotation_needs_a_logged_in_post(client: Any, alice_client: Any, alice: Any) -> None:
    token = alice.profile.calendar_key
    alice_client.logout()
    response = client.post(reverse("web:calendar_token_rotate"), {"confirm": "yes"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    alice.profile.refresh_from_db()
    assert alice.profile.calendar_key == token


@time_machine.travel(NOW, tick=False)
def test_bobs_feed_shows_none_of_alices_dates(client: Any, bob: Any, alices_book: dict[str, Any]) -> None:
    found = events(client.get(feed_url(bob)))
    assert all("Dupont" not in str(event["summary"]) for event in found.values())
    assert len(found) == 1  # his own client's status update

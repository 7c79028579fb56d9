"""Dates at and beyond the book's window (crm/core/dates.py): refused with words, never a 500.

On main, a status update dated 9999-12-31 broke its client's workspace and the weekly digest for good, a promise due
9999-12-31 broke the whole calendar feed, and a project starting 0001-01-01 broke the trust health and the nightly
snapshots. Now such dates are refused by the forms (and the database), the bounds themselves work everywhere,
and the date arithmetic holds even on rows that predate the window.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from clients.models import Client
from crm.core.dates import (
    END_MOMENT,
    FIRST_DAY,
    FIRST_MOMENT,
    FUTURE_TOLERANCE,
    LAST_DAY,
    add_days,
    add_to_moment,
    clamp_day,
    clamp_moment,
)
from crm.core.days import local_midnight
from crm.models import HealthSnapshot, Interaction, Promise
from crm.reminders.calendar import _event, feed_token
from crm.reminders.digest import clients_due_for_status_update, digest_message
from crm.trust import nightly
from crm.trust.health import recompute_client
from crm.web.views.timeline import _timed_rows
from tests.factories import make_client, make_interaction, make_project, make_promise

KIRITIMATI = zoneinfo.ZoneInfo(
    "Pacific/Kiritimati"
)  # UTC+14: the first midnight of year 1 has no UTC instant


def _entry(alice_client: Any, client: Client, kind: str, data: dict[str, str]) -> Any:
    url = reverse(f"web:client_{kind}_new", kwargs={"client_id": client.pk})
    return alice_client.post(url, {"client": client.pk, **data})


# -- the forms refuse what lies outside, in words, and store nothing ------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Enter a date between"), ("fr", "Saisissez une date comprise entre")],
)
def test_a_status_update_dated_9999_is_refused_in_words(
    alice: Any, alice_client: Any, language: str, words: str
) -> None:
    alice.profile.language = language
    alice.profile.save()
    client = make_client(alice)
    before = Interaction.objects.count()
    answer = _entry(
        alice_client,
        client,
        "interaction",
        {
            "kind": "status_update",
            "direction": "to_client",
            "happened_at": "9999-12-31T10:00",
            "summary": "x",
        },
    )
    assert answer.status_code == 200
    assert words in answer.content.decode()
    assert Interaction.objects.count() == before
    assert alice_client.get(reverse("web:client", kwargs={"client_id": client.pk})).status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("due_on", "9999-12-31"),
        ("due_on", "2101-01-01"),
        ("made_on", "1969-12-31"),
        ("made_on", "0001-01-01"),
    ],
)
def test_a_promise_outside_the_window_is_refused(
    alice: Any, alice_client: Any, field: str, value: str
) -> None:
    client = make_client(alice)
    data = {
        "promisor": "freelancer",
        "description": "Livrer",
        "made_on": "2026-09-01",
        "due_on": "2026-09-30",
    }
    answer = _entry(alice_client, client, "promise", {**data, field: value})
    assert "Enter a date between" in answer.content.decode()
    assert not Promise.objects.exists()


def test_the_window_bounds_are_accepted_by_the_forms(alice: Any, alice_client: Any) -> None:
    client = make_client(alice)
    data = {"promisor": "freelancer", "description": "Un long engagement", "made_on": "1970-01-01"}
    answer = _entry(alice_client, client, "promise", {**data, "due_on": "2100-12-31"})
    assert answer.status_code == 302
    promise = Promise.objects.get()
    assert (promise.made_on, promise.due_on) == (FIRST_DAY, LAST_DAY)


@pytest.mark.parametrize(
    ("kind", "made", "due"), [("promise", "made_on", "due_on"), ("invoice", "issued_on", "due_on")]
)
def test_a_due_date_before_the_made_date_is_refused(
    alice: Any, alice_client: Any, kind: str, made: str, due: str
) -> None:
    client = make_client(alice)
    data = {"promisor": "freelancer", "description": "x", "number": "F-1", "amount": "10", "currency": "EUR"}
    answer = _entry(alice_client, client, kind, {**data, made: "2026-09-10", due: "2026-09-09"})
    assert "cannot be before" in answer.content.decode()
    assert not Promise.objects.exists()


def test_an_interaction_in_the_future_is_refused_beyond_the_tolerance(alice: Any, alice_client: Any) -> None:
    client = make_client(alice)
    local = timezone.localtime(timezone.now(), alice.profile.zone)
    data = {"kind": "call", "direction": "from_client", "summary": "Appel"}
    too_late = (local + FUTURE_TOLERANCE + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    answer = _entry(alice_client, client, "interaction", {**data, "happened_at": too_late})
    assert "cannot be in the future" in answer.content.decode()
    assert not Interaction.objects.exists()
    within = (local + FUTURE_TOLERANCE - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M")
    assert _entry(alice_client, client, "interaction", {**data, "happened_at": within}).status_code == 302
    assert Interaction.objects.count() == 1


def test_the_future_is_refused_in_french(alice: Any, alice_client: Any) -> None:
    alice.profile.language = "fr"
    alice.profile.save()
    client = make_client(alice)
    answer = _entry(
        alice_client,
        client,
        "interaction",
        {"kind": "call", "direction": "from_client", "happened_at": "2099-01-01T10:00", "summary": "Appel"},
    )
    assert "ne peut pas être dans le futur" in answer.content.decode()


def test_a_renegotiated_date_outside_the_window_is_refused(alice: Any, alice_client: Any) -> None:
    from tests.factories import make_invoice

    invoice = make_invoice(make_client(alice))
    url = reverse("web:invoice_renegotiate", kwargs={"invoice_id": invoice.pk})
    answer = alice_client.post(url, {"renegotiated_due_on": "9999-12-31"}, headers={"HX-Request": "true"})
    assert "Enter a date between" in answer.content.decode()
    invoice.refresh_from_db()
    assert invoice.renegotiated_due_on is None


# -- the bounds themselves work on every page and job -----------------------------------------------------------


def test_a_promise_due_on_the_last_day_keeps_the_calendar_feed_working(alice: Any, client: Any) -> None:
    make_promise(make_client(alice), made_on=FIRST_DAY, due_on=LAST_DAY)
    feed = client.get(reverse("web:calendar_feed", kwargs={"token": feed_token(alice.profile)}))
    assert feed.status_code == 200
    body = feed.content.decode()
    assert "DTSTART;VALUE=DATE:21001231" in body
    assert "DTEND;VALUE=DATE:21010101" in body


def test_a_project_starting_on_the_first_day_keeps_health_and_snapshots_working(alice: Any) -> None:
    alice.profile.time_zone = "Pacific/Kiritimati"
    alice.profile.save()
    client = make_client(alice)
    make_project(client, start_on=FIRST_DAY, due_on=LAST_DAY)
    assert recompute_client(client.pk) is not None
    run = nightly.run_inline(timezone.now())
    assert (run.failed, HealthSnapshot.objects.filter(client=client).count()) == (0, 1)


def test_status_updates_at_the_bounds_keep_the_workspace_the_digest_and_the_generated_column_working(
    alice: Any, alice_client: Any
) -> None:
    oldest = make_client(alice, name="Oldest", cadence_days=365)
    newest = make_client(alice, name="Newest", cadence_days=365)
    last = END_MOMENT - timedelta(minutes=1)
    Client.objects.filter(pk=oldest.pk).update(created_at=FIRST_MOMENT, last_status_update_at=FIRST_MOMENT)
    Client.objects.filter(pk=newest.pk).update(created_at=last, last_status_update_at=last)
    stored = Client.objects.get(pk=newest.pk)
    assert stored.status_update_due_at == last + timedelta(days=365)  # year 2101: no overflow in the database
    assert stored.status_update_due_on(KIRITIMATI) == date(2102, 1, 1)
    for client in (oldest, newest):
        assert alice_client.get(reverse("web:client", kwargs={"client_id": client.pk})).status_code == 200
    assert alice_client.get(reverse("web:dashboard")).status_code == 200
    message = digest_message(alice, timezone.now())
    assert message is not None and "Oldest" in message.body
    assert "Oldest" in message.alternatives[0][0]


def test_interactions_at_the_bounds_keep_the_timeline_working(alice: Any, alice_client: Any) -> None:
    client = make_client(alice)
    make_interaction(client, happened_at=FIRST_MOMENT, summary="Premier")
    make_interaction(client, happened_at=timezone.now(), summary="Dernier")
    with timezone.override(KIRITIMATI):
        assert len(_timed_rows(client, "interaction", 1)) == 1
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Pago_Pago")):
        rows = _timed_rows(client, "interaction", 2)
    assert {day for day, _pk, _source in rows} >= {
        date(1969, 12, 31)
    }  # 1 January 00:00 UTC, local day in -11
    page = alice_client.get(reverse("web:client", kwargs={"client_id": client.pk}))
    assert page.status_code == 200 and "Premier" in page.content.decode()


# -- the arithmetic holds on rows that predate the window ----------------------------------------------------


def test_date_arithmetic_never_overflows() -> None:
    assert add_days(date.max, 1) == date.max
    assert add_days(date.min, -1) == date.min
    assert add_days(LAST_DAY, 365) == date(2101, 12, 31)
    late = datetime.max.replace(tzinfo=UTC) - timedelta(hours=1)
    assert add_to_moment(late, timedelta(days=1)) == datetime.max.replace(tzinfo=UTC)
    assert add_to_moment(datetime.min.replace(tzinfo=UTC), timedelta(days=-1)) == datetime.min.replace(
        tzinfo=UTC
    )
    # Held at the window's first day, whose midnight exists in every zone (Kiritimati was UTC-10:40 then).
    assert local_midnight(date(1, 1, 1), KIRITIMATI) == datetime(1970, 1, 1, tzinfo=KIRITIMATI)
    assert local_midnight(date(1, 1, 1), KIRITIMATI).astimezone(UTC).year == 1970
    assert local_midnight(date(9999, 12, 31), KIRITIMATI).year == 2100
    assert _event("x", date.max, "s", "https://example.com", timezone.now()) is not None


def test_a_status_update_dated_9999_in_memory_no_longer_breaks_its_due_date(alice: Any) -> None:
    client = Client(
        owner=alice, name="Legacy", cadence_days=7, created_at=datetime(9999, 12, 31, 12, tzinfo=UTC)
    )
    client.last_status_update_at = datetime(9999, 12, 31, 12, tzinfo=UTC)
    with translation.override("fr"):
        assert client.status_update_due_on(zoneinfo.ZoneInfo("UTC")) == date.max
        due = clients_due_for_status_update([client], date(2026, 9, 5), zoneinfo.ZoneInfo("UTC"))
    assert due == []


def test_clamps_bring_values_into_the_window() -> None:
    assert clamp_day(date(1, 1, 1)) == FIRST_DAY
    assert clamp_day(date(9999, 12, 31)) == LAST_DAY
    assert clamp_day(date(2026, 9, 5)) == date(2026, 9, 5)
    assert clamp_moment(datetime(1, 1, 1, tzinfo=UTC)) == FIRST_MOMENT
    assert clamp_moment(datetime(9999, 1, 1, tzinfo=UTC)) < END_MOMENT

"""Issue 13 in the web app: both sides shown, day counts that agree at any hour, the freelancer's feeling,
promises to settle, answers linked to the message they answer, clients away."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientHealth, Feeling, Interaction, Promise
from crm.trust.health import recompute_client
from tests.factories import form_moment, make_client, make_interaction, make_invoice, make_promise, make_user

HTMX = {"HX-Request": "true"}


def _numbers(pattern: str, html: str) -> list[int]:
    return [int(n) for n in re.findall(pattern, html)]


# -- numbers agree at any hour: just after midnight in two time zones ---------------------------------------


@pytest.mark.parametrize(
    ("zone", "evening"),
    [
        ("Europe/Paris", datetime(2026, 3, 9, 22, 30, tzinfo=UTC)),  # 23:30 in Paris
        ("Pacific/Auckland", datetime(2026, 3, 9, 10, 30, tzinfo=UTC)),  # 23:30 in Auckland (NZDT, +13)
    ],
)
def test_day_counts_agree_just_after_local_midnight_without_a_recompute(
    client: Any, db: None, zone: str, evening: datetime
) -> None:
    owner = make_user("kiri", language="en", time_zone=zone)
    client.force_login(owner)
    with time_machine.travel(evening, tick=False):
        today = timezone.localtime(evening, timezone.get_fixed_timezone(0)).date()
        local_today = owner.profile.local_today(evening)
        rita = make_client(owner, name="Rita")
        make_invoice(
            rita,
            amount=Decimal("4500.00"),
            issued_on=local_today - timedelta(days=95),
            due_on=local_today - timedelta(days=65),
        )
        recompute_client(rita.pk, evening)  # the last recompute, at 23:30 local time
        assert today  # (UTC day, for the reader: the two zones cross midnight at different UTC hours)
    # 01:00 the next local day: the stored health still says 65, the invoice row is drawn from its due date.
    with time_machine.travel(evening + timedelta(minutes=90), tick=False):
        html = client.get(reverse("web:client", kwargs={"client_id": rita.pk})).content.decode()
        panel = html.split('id="score-panel"')[1].split('id="timeline"')[0]
        timeline = html.split('id="timeline"')[1]
        assert _numbers(r"overdue by (\d+) days", panel) == [66]
        assert _numbers(r"(\d+) days late", timeline) == [66]
        board = client.get(reverse("web:dashboard")).content.decode()
        row = board.split('id="client-')[1].split("</tr>")[0]
        week = board.split('data-group="invoices_overdue"')[1].split('class="week-group"')[0]
        assert _numbers(r"overdue by (\d+) days", row) == _numbers(r"(\d+) days late", week) == [66]


def test_right_after_a_status_update_is_marked_sent_the_advice_no_longer_asks_for_one(
    alice_client: Any, alice: Any
) -> None:
    with time_machine.travel("2026-03-10 09:00 +01:00", tick=False):
        now = timezone.now()
        rita = make_client(alice, name="Rita", cadence_days=7)
        rita.projects.create(title="Site", start_on=(now - timedelta(days=60)).date())
        for weeks in (5, 6, 7):
            make_interaction(
                rita, kind=Interaction.Kind.STATUS_UPDATE, happened_at=now - timedelta(weeks=weeks)
            )
        url = reverse("web:client", kwargs={"client_id": rita.pk})
        assert "Send a status update" in alice_client.get(url).content.decode()
        alice_client.post(reverse("web:status_update_mark_sent", kwargs={"client_id": rita.pk}))
        panel = alice_client.get(url).content.decode().split('id="score-panel"')[1].split('id="timeline"')[0]
    assert "Send a status update" not in panel
    assert "status update" in panel.lower()  # the past gap is still told, with its own next step


# -- both sides on the score panel and the dashboard rows -----------------------------------------------------


@time_machine.travel("2026-03-10 09:00 +01:00", tick=False)
def test_score_panel_and_dashboard_show_both_sides_with_words_and_icons(
    alice_client: Any, alice: Any
) -> None:
    today = timezone.localdate()
    rita = make_client(alice, name="Rita")
    for n in range(4):
        due = today - timedelta(days=10 + 7 * n)
        make_promise(rita, made_on=due - timedelta(days=5), due_on=due, state="kept", kept_on=due)
    make_invoice(
        rita,
        amount=Decimal("6000.00"),
        issued_on=today - timedelta(days=70),
        due_on=today - timedelta(days=40),
    )
    health = ClientHealth.objects.get(client=rita)
    assert health.client_band == "at_risk" and health.my_band == "healthy"
    html = alice_client.get(reverse("web:client", kwargs={"client_id": rita.pk})).content.decode()
    assert f'data-side="mine">{health.my_score}<' in html
    assert f'data-side="client">{health.client_score}<' in html
    assert "Hurts: −" in html and "Helps: +" in html  # words beside the icons, not colour alone
    assert "Next step, on the client&#x27;s side:" in html or "Next step, on the client's side:" in html
    assert "as much as a promise" in html  # the weight in words
    board = alice_client.get(reverse("web:dashboard")).content.decode()
    pair = board.split('data-testid="side-pair"')[1].split("</span></span>")[0]
    assert f"me&nbsp;{health.my_score}" in pair.replace("\xa0", "&nbsp;")


def test_the_score_panel_reads_in_french(client: Any, bob: Any) -> None:
    client.force_login(bob)
    rita = make_client(bob, name="Rita")
    make_promise(
        rita,
        made_on=timezone.localdate() - timedelta(days=20),
        due_on=timezone.localdate() - timedelta(days=10),
    )
    html = client.get(reverse("web:client", kwargs={"client_id": rita.pk})).content.decode()
    assert "Ma parole" in html and "La parole du client" in html
    assert "Votre propre ressenti" in html


# -- the freelancer's feeling ----------------------------------------------------------------------------------


@time_machine.travel("2026-03-10 09:00 +01:00", tick=False)
def test_noting_a_feeling_stores_it_and_shows_it_as_the_freelancers_until_it_expires(
    alice_client: Any, alice: Any, django_assert_max_num_queries: Any
) -> None:
    rita = make_client(alice, name="Rita")
    url = reverse("web:client_feeling_new", kwargs={"client_id": rita.pk})
    # session, user, profile, the client, the insert in its savepoint, one recompute of the client (as for any
    # journal entry: its reads, the upsert, the book version), and the flash message: a query per row is kept out
    # +4 at most every 5 minutes of a session (here the first request at the frozen moment): its "last seen" in the
    # sessions list (clients/devices.py) and the session row saved in its savepoint.
    with django_assert_max_num_queries(
        26
    ):  # the feeling, its history and undo rows, the rescore, the request's savepoint
        response = alice_client.post(url, {"rating": "doubt", "note": "Asked for a discount after signing"})
    assert response.status_code == 302
    feeling = Feeling.objects.get(client=rita)
    assert (feeling.rating, feeling.felt_on, feeling.owner_id) == ("doubt", timezone.localdate(), alice.pk)
    html = alice_client.get(reverse("web:client", kwargs={"client_id": rita.pk})).content.decode()
    shown = html.split('data-testid="feeling"')[1].split("</p>")[0]
    assert "Something is off" in shown and "Asked for a discount after signing" in shown
    assert "until" in shown
    with time_machine.travel("2026-04-10 09:00 +02:00", tick=False):
        recompute_client(rita.pk)
        assert not any(
            r["code"].startswith("feeling_") for r in ClientHealth.objects.get(client=rita).reasons
        )


def test_a_feeling_needs_a_rating_and_bob_cannot_note_one_on_alices_client(
    alice_client: Any, alice: Any, client: Any, bob: Any
) -> None:
    rita = make_client(alice, name="Rita")
    url = reverse("web:client_feeling_new", kwargs={"client_id": rita.pk})
    alice_client.post(url, {"rating": "meh"})
    assert not Feeling.objects.exists()
    client.force_login(bob)
    assert client.post(url, {"rating": "trust"}).status_code == 404
    assert not Feeling.objects.exists()


# -- promises to settle ------------------------------------------------------------------------------------------


@time_machine.travel("2026-03-10 09:00 +01:00", tick=False)
def test_a_promise_open_long_past_due_asks_to_be_settled_and_can_be_dropped_by_agreement(
    alice_client: Any, alice: Any, client: Any, bob: Any, django_assert_max_num_queries: Any
) -> None:
    today = timezone.localdate()
    rita = make_client(alice, name="Rita")
    forgotten = make_promise(rita, made_on=today - timedelta(days=90), due_on=today - timedelta(days=60))
    html = alice_client.get(reverse("web:client", kwargs={"client_id": rita.pk})).content.decode()
    assert "Open 60 days past its due date: settle it" in html
    assert "Dropped by agreement" in html and "Kept late" in html
    url = reverse("web:promise_drop", kwargs={"promise_id": forgotten.pk})
    # As the other promise actions (history, trust-health move and undo rows and the request's savepoint included);
    # +2 the sweep's columns through the door: the client with its open invoices, its absences (issue 23); -7 the
    # door's one read of the history, the sweep's columns counted from it (issue 23).
    with django_assert_max_num_queries(16):
        response = alice_client.post(url, headers=HTMX)
    assert response.status_code == 200
    forgotten.refresh_from_db()
    assert (forgotten.state, forgotten.dropped_on) == (Promise.State.DROPPED, today)
    codes = [r["code"] for r in ClientHealth.objects.get(client=rita).reasons]
    assert "promise_to_settle" not in codes
    other = make_promise(rita, made_on=today - timedelta(days=90), due_on=today - timedelta(days=60))
    client.force_login(bob)
    assert client.post(reverse("web:promise_drop", kwargs={"promise_id": other.pk})).status_code == 404
    other.refresh_from_db()
    assert other.state == Promise.State.OPEN


# -- answers ----------------------------------------------------------------------------------------------------


@time_machine.travel("2026-03-10 09:00 +01:00", tick=False)
def test_an_answer_is_set_in_the_interaction_form_from_the_clients_own_messages(
    alice_client: Any, alice: Any, bob: Any
) -> None:
    rita = make_client(alice, name="Rita")
    question = make_interaction(
        rita,
        direction="from_client",
        summary="Can we move the launch?",
        happened_at=timezone.now() - timedelta(days=1),
    )
    bobs = make_interaction(
        make_client(bob), direction="from_client", happened_at=timezone.now() - timedelta(days=1)
    )
    form_url = reverse("web:client_interaction_new", kwargs={"client_id": rita.pk})
    html = alice_client.get(f"{form_url}?answers={question.pk}").content.decode()
    assert "Can we move the launch?" in html
    assert f'<option value="{question.pk}" selected>' in html
    data = {
        "client": rita.pk,
        "kind": "email",
        "direction": "to_client",
        "happened_at": form_moment(),
        "summary": "Yes, to the 20th",
        "answers": question.pk,
    }
    alice_client.post(form_url, data)
    answer = Interaction.objects.get(summary="Yes, to the 20th")
    assert answer.answers_id == question.pk
    assert "unanswered_message" not in [r["code"] for r in ClientHealth.objects.get(client=rita).reasons]
    # Bob's message is not among alice's choices: refused, nothing written.
    alice_client.post(form_url, {**data, "summary": "Tampered", "answers": bobs.pk})
    assert not Interaction.objects.filter(summary="Tampered").exists()


# -- clients away ----------------------------------------------------------------------------------------------


@time_machine.travel("2026-03-10 09:00 +01:00", tick=False)
def test_a_client_away_owes_no_status_update_on_the_dashboard(alice_client: Any, alice: Any) -> None:
    today = timezone.localdate()
    away = make_client(alice, name="Away on holiday", created_at=timezone.now() - timedelta(days=40))
    present = make_client(alice, name="Present", created_at=timezone.now() - timedelta(days=40))
    new = reverse("web:absence_new", kwargs={"client_id": away.pk})
    form = {
        "kind": "holiday",
        "start_on": today.isoformat(),
        "end_on": (today + timedelta(days=5)).isoformat(),
    }
    alice_client.post(new, form)
    assert [a.period for a in away.absences.all()] == [(today, today + timedelta(days=5))]
    board = alice_client.get(reverse("web:dashboard")).content.decode()
    group = board.split('data-group="status_updates"')[1].split("</div>")[0]
    assert present.name in group and away.name not in group
    # A last day before the first is refused.
    response = alice_client.post(new, {**form, "end_on": (today - timedelta(days=1)).isoformat()})
    assert "The last day cannot be before the first day." in response.content.decode()


def test_the_feeling_form_in_the_cached_score_panel_carries_a_working_csrf_token(alice: Any) -> None:
    from django.test import Client as Browser

    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(alice)
    rita = make_client(alice, name="Rita")
    workspace = reverse("web:client", kwargs={"client_id": rita.pk})
    browser.get(workspace)  # fills the cache
    html = browser.get(workspace).content.decode()  # drawn from the cache
    form = html.split('class="feeling-form"')[1].split("</form>")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = browser.post(
        reverse("web:client_feeling_new", kwargs={"client_id": rita.pk}),
        {"rating": "trust", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Feeling.objects.filter(client=rita, rating="trust").exists()

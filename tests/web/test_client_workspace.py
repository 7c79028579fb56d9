"""A client's workspace: card, score panel, 90-day trend, and one timeline merging the four journals."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from crm.models import ClientHealth, HealthSnapshot, Interaction
from tests.factories import (
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

NOW = "2026-03-10 09:00 +01:00"


def workspace(client: Any, target: Client, **params: Any) -> Any:
    return client.get(reverse("web:client", kwargs={"client_id": target.pk}), params)


@time_machine.travel(NOW, tick=False)
def test_workspace_shows_the_card_projects_and_cadence(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice, name="Rita", company="Rita SARL", email="rita@example.com", cadence_days=14)
    make_project(rita, title="Refonte du site", goals="Doubler les demandes de devis")
    html = workspace(alice_client, rita).content.decode()
    assert "Rita SARL" in html and "mailto:rita@example.com" in html
    assert "Refonte du site" in html and "Doubler les demandes de devis" in html
    assert "every 14 days" in html and "next due March 24, 2026" in html


@time_machine.travel(NOW, tick=False)
def test_new_client_reads_not_enough_history(alice_client: Any, alice: Any) -> None:
    html = workspace(alice_client, make_client(alice)).content.decode()
    assert "not enough history" in html
    assert "Not enough history yet to judge this relationship" in html


@time_machine.travel(NOW, tick=False)
def test_score_panel_shows_score_band_components_reasons_and_next_step(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice, name="Rita")
    promise = make_promise(
        rita,
        description="Send the quote",
        made_on=timezone.localdate() - timedelta(days=9),
        due_on=timezone.localdate() - timedelta(days=2),
    )
    ClientHealth.objects.update_or_create(
        client=rita,
        defaults={
            "owner": alice,
            "score": 31,
            "band": "at_risk",
            "score_week_ago": 43,
            "evidence_count": 14,
            "components": {"promises": {"score": 20.0, "weight": 0.35, "contribution": 7.0}},
            "reasons": [
                {
                    "code": "promise_overdue",
                    "component": "promises",
                    "impact": -9.0,
                    "params": {"days": 2, "description": "Send the quote"},
                    "events": [{"type": "promise", "id": promise.pk}],
                }
            ],
        },
    )
    html = workspace(alice_client, rita).content.decode()
    assert 'data-testid="score">31<' in html
    assert "at risk" in html and "Down 12 since last week." in html and "Based on 14 events." in html
    assert "Promises kept" in html
    assert reverse("web:promise", kwargs={"promise_id": promise.pk}) in html
    assert "Next step:" in html


@time_machine.travel(NOW, tick=False)
def test_trend_chart_draws_the_last_90_days_of_snapshots(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    today = timezone.localdate()
    HealthSnapshot.objects.bulk_create(
        [
            HealthSnapshot(client=rita, day=today - timedelta(days=120), score=99, band="healthy"),
            HealthSnapshot(client=rita, day=today - timedelta(days=90), score=80, band="healthy"),
            HealthSnapshot(client=rita, day=today, score=40, band="at_risk"),
        ]
    )
    html = workspace(alice_client, rita).content.decode()
    assert '<polyline points="0.0,22.4 300.0,59.2"/>' in html
    assert "From 80 to 40; lowest 40, highest 80." in html


@time_machine.travel(NOW, tick=False)
def test_timeline_merges_the_four_journals_newest_first(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    today = timezone.localdate()
    make_interaction(
        rita, kind="call", summary="Kick-off call", happened_at=timezone.now() - timedelta(days=10)
    )
    make_promise(rita, description="Deliver the mock-up", made_on=today - timedelta(days=8))
    make_invoice(rita, number="F-7", issued_on=today - timedelta(days=5))
    make_conflict(rita, kind="posture", observed_on=today - timedelta(days=1), description="Raised voice")
    html = workspace(alice_client, rita).content.decode()
    positions = [html.index(text) for text in ("Raised voice", "F-7", "Deliver the mock-up", "Kick-off call")]
    assert positions == sorted(positions)
    assert 'Timeline <span class="muted">(4)</span>' in html


@time_machine.travel(NOW, tick=False)
def test_timeline_is_paginated(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    start = timezone.now() - timedelta(days=100)
    Interaction.objects.bulk_create(
        [
            Interaction(client=rita, summary=f"Note {i:03d}", happened_at=start + timedelta(days=i))
            for i in range(40)
        ]
    )
    first = workspace(alice_client, rita).content.decode()
    assert "Note 039" in first and "Note 009" not in first and "Page 1 of 2" in first
    second = workspace(alice_client, rita, page=2).content.decode()
    assert "Note 009" in second and "Note 039" not in second


@time_machine.travel(NOW, tick=False)
def test_htmx_refresh_of_timeline_and_score_panel_returns_only_that_region(
    alice_client: Any, alice: Any
) -> None:
    rita = make_client(alice)
    make_interaction(rita, summary="Hello")
    for target in ("timeline", "score-panel"):
        response = alice_client.get(
            reverse("web:client", kwargs={"client_id": rita.pk}),
            headers={"HX-Request": "true", "HX-Target": target},
        )
        html = response.content.decode().lstrip()
        assert html.startswith(f'<section id="{target}"')
        assert "<html" not in html


def test_bob_cannot_open_alices_client(client: Any, alice: Any, bob: Any) -> None:
    rita = make_client(alice)
    client.force_login(bob)
    assert workspace(client, rita).status_code == 404


@pytest.mark.parametrize("size", [10, 500])
def test_workspace_query_count_is_constant(
    alice_client: Any, alice: Any, size: int, django_assert_max_num_queries: Any
) -> None:
    clients = Client.objects.bulk_create([Client(owner=alice, name=f"C{i}") for i in range(size)])
    rita = clients[0]
    make_project(rita)
    now = timezone.now()
    Interaction.objects.bulk_create(
        [Interaction(client=rita, summary=f"n{i}", happened_at=now - timedelta(hours=i)) for i in range(size)]
    )
    for _ in range(3):
        make_promise(rita)
        make_invoice(rita)
        make_conflict(rita)
    # Budget: session, user, profile, client+health, its absences (the next due day and the list), projects,
    # snapshots, timeline count and page (each journal's newest rows, the trust-health moves' too), one load per
    # journal on the page, and the project choices of the three forms, the client's contacts. Loading events row
    # by row would blow it. +1 the client's check-ins, a journal of the timeline like the others (issue 26).
    with django_assert_max_num_queries(21):
        response = workspace(alice_client, rita)
    assert response.status_code == 200

"""The dashboard: the book worst-first, counts per band, the week's work, filters, htmx partials."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from crm.models import ClientHealth
from crm.web.views import board
from tests.factories import make_client, make_conflict, make_invoice, make_promise

NOW = "2026-03-10 09:00 +01:00"


def health(client: Client, score: int, band: str, **extra: Any) -> ClientHealth:
    return ClientHealth.objects.update_or_create(
        client=client, defaults={"owner": client.owner, "score": score, "band": band, **extra}
    )[0]


@pytest.fixture
def book(alice: Any) -> dict[str, Client]:
    with time_machine.travel(NOW, tick=False):
        risky = make_client(alice, name="Risky Rita", company="Rita SARL")
        fine = make_client(alice, name="Fine Fabien", company="Fabien & Co")
        fresh = make_client(alice, name="New Nadia", status=Client.Status.PROSPECT)
    health(risky, 22, "at_risk", score_week_ago=40, sparkline_points="0,20 50,12 100,18")
    health(fine, 88, "healthy", score_week_ago=85)
    return {"risky": risky, "fine": fine, "fresh": fresh}


def page(client: Any, **params: Any) -> str:
    return client.get(reverse("web:dashboard"), params).content.decode()


@time_machine.travel(NOW, tick=False)
def test_dashboard_lists_clients_worst_trust_health_first(alice_client: Any, book: dict) -> None:
    html = page(alice_client)
    assert html.index("Risky Rita") < html.index("Fine Fabien") < html.index("New Nadia")
    assert "down 18 this week" in html
    assert 'points="0,20 50,12 100,18"' in html


@time_machine.travel(NOW, tick=False)
def test_band_is_shown_with_a_word_and_an_icon(alice_client: Any, book: dict) -> None:
    html = page(alice_client)
    assert '<span class="band-icon" aria-hidden="true">▲</span> at risk' in html
    assert "not enough history" in html


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("url_name", ["web:dashboard", "web:clients"])
def test_a_row_shows_the_top_reason_read_alone(alice_client: Any, book: dict, url_name: str) -> None:
    # Unknown codes read as themselves (`reasons.describe`): the row says the first reason, never the second.
    first = {"code": "the_first_reason", "impact": -12, "events": [{"type": "promise", "id": 1}]}
    health(book["risky"], 22, "at_risk", reasons=[first, {"code": "the_second_reason", "impact": -3}])
    html = alice_client.get(reverse(url_name)).content.decode()
    row = html[html.index(f'id="client-{book["risky"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert "the_first_reason" in row
    assert "the_second_reason" not in html
    # Only the first is read: the rest of the reasons stay in the database.
    risky = board.ranked_clients(book["risky"].owner).get(pk=book["risky"].pk)
    assert risky.top_reason == first
    assert "reasons" in risky.health.get_deferred_fields()


@time_machine.travel(NOW, tick=False)
def test_counts_clients_per_band(alice_client: Any, book: dict) -> None:
    html = page(alice_client)
    assert '<span class="count" data-count="at_risk">1</span>' in html
    assert '<span class="count" data-count="healthy">1</span>' in html
    assert '<span class="count" data-count="insufficient">1</span>' in html


@time_machine.travel(NOW, tick=False)
def test_weeks_work_lists_promises_status_updates_invoices_and_conflicts(
    alice_client: Any, book: dict
) -> None:
    today = timezone.localdate()
    risky, fine = book["risky"], book["fine"]
    late = make_promise(
        risky,
        description="Send the mock-ups",
        made_on=today - timedelta(days=9),
        due_on=today - timedelta(days=2),
    )
    soon = make_promise(fine, description="Ship the blog", due_on=today + timedelta(days=3))
    make_promise(fine, description="Far away", due_on=today + timedelta(days=30))
    invoice = make_invoice(
        risky, number="F-042", issued_on=today - timedelta(days=40), due_on=today - timedelta(days=10)
    )
    signal = make_conflict(
        risky, kind="payment", severity=2, observed_on=today, description="Disputes the bill"
    )
    Client.objects.filter(pk=risky.pk).update(created_at=timezone.now() - timedelta(days=20))

    html = page(alice_client)
    assert '<span class="count-pill" data-count="promises_overdue">1</span>' in html
    assert '<span class="count-pill" data-count="promises_due">1</span>' in html
    assert "Far away" not in html
    assert '<span class="count-pill" data-count="invoices_overdue">1</span>' in html
    assert '<span class="count-pill" data-count="conflicts_open">1</span>' in html
    # Every item links to the event behind it.
    assert reverse("web:promise", kwargs={"promise_id": late.pk}) in html
    assert reverse("web:promise", kwargs={"promise_id": soon.pk}) in html
    assert reverse("web:invoice", kwargs={"invoice_id": invoice.pk}) in html
    assert reverse("web:conflict", kwargs={"signal_id": signal.pk}) in html
    assert "10 days late" in html
    # Risky's cadence (7 days) lapsed 13 days ago; Fine's was created today (due in 7 days: not listed).
    assert '<span class="count-pill" data-count="status_updates">1</span>' in html
    assert "13 days late" in html


@time_machine.travel(NOW, tick=False)
def test_status_update_lapsing_within_two_days_is_due(alice_client: Any, alice: Any) -> None:
    client = make_client(alice, name="Soon Sam", cadence_days=7)
    Client.objects.filter(pk=client.pk).update(last_status_update_at=timezone.now() - timedelta(days=6))
    html = page(alice_client)
    assert '<span class="count-pill" data-count="status_updates">1</span>' in html
    assert "due in 1 day" in html


@time_machine.travel(NOW, tick=False)
def test_filters_by_band_status_and_search(alice_client: Any, book: dict) -> None:
    at_risk = page(alice_client, band="at_risk")
    assert "Risky Rita" in at_risk and "Fine Fabien" not in at_risk
    insufficient = page(alice_client, band="insufficient")
    assert "New Nadia" in insufficient and "Risky Rita" not in insufficient
    prospects = page(alice_client, status="prospect")
    assert "New Nadia" in prospects and "Fine Fabien" not in prospects
    by_company = page(alice_client, q="fabien & co")
    assert "Fine Fabien" in by_company and "Risky Rita" not in by_company


@pytest.mark.parametrize(
    "filters", [{}, {"band": "insufficient"}, {"status": "prospect"}, {"q": "fabien & co"}, {"q": "nobody"}]
)
def test_a_page_of_ranked_rows_is_the_querysets_page_read_only_when_drawn(
    alice: Any, book: dict, filters: dict, django_assert_num_queries: Any
) -> None:
    for number in (1, 2):
        expected = Paginator(board.ranked_clients(alice, **filters), 2).get_page(number)
        expected_pks = [client.pk for client in expected]
        with django_assert_num_queries(
            0
        ):  # nothing built nor read: the count is given, as the board gives it
            paginator = Paginator(board.RankedRows(alice, filters), 2)
            paginator.count = expected.paginator.count
            shown = paginator.get_page(number)
        with django_assert_num_queries(1 if expected.paginator.count else 0):  # an empty slice reads nothing
            assert [client.pk for client in shown] == expected_pks
        assert bool(shown.object_list) is bool(expected.object_list)


@time_machine.travel(NOW, tick=False)
def test_htmx_request_for_the_board_gets_only_the_board(alice_client: Any, book: dict) -> None:
    response = alice_client.get(
        reverse("web:dashboard"), {"q": "rita"}, headers={"HX-Request": "true", "HX-Target": "board"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="board"')
    assert "<html" not in html
    assert "Risky Rita" in html and "Fine Fabien" not in html


def test_dashboard_needs_login(client: Any) -> None:
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bob_sees_none_of_alices_book(client: Any, bob: Any, book: dict) -> None:
    client.force_login(bob)
    html = page(client)
    assert "Risky Rita" not in html
    assert '<span class="count" data-count="at_risk">0</span>' in html


def _bulk_book(owner: Any, size: int) -> None:
    today = timezone.localdate()
    clients = Client.objects.bulk_create(
        [Client(owner=owner, name=f"Client {i:04d}", company="Bulk") for i in range(size)]
    )
    ClientHealth.objects.bulk_create(
        [
            ClientHealth(
                client=c,
                owner=owner,
                score=i % 100,
                band="at_risk" if i % 100 < 45 else "watch",
                reasons=[{"code": "x", "events": [{"type": "promise", "id": 1}]}],
            )
            for i, c in enumerate(clients)
        ]
    )
    for c in clients[:: max(1, size // 10)]:
        make_promise(c, made_on=today - timedelta(days=10), due_on=today - timedelta(days=1))
        make_invoice(c, issued_on=today - timedelta(days=40), due_on=today - timedelta(days=5))
        make_conflict(c)


@pytest.mark.parametrize("size", [10, 500])
def test_dashboard_query_count_does_not_grow_with_the_book(
    alice_client: Any, alice: Any, size: int, django_assert_max_num_queries: Any
) -> None:
    _bulk_book(alice, size)
    # Budget: session, user, profile, per-band and week counts, page count, page rows (health joined),
    # and one query per list of the week's work, and whether the book is empty or a sample (the first run),
    # and the recaps to clarify and the concerns clients raised on their pages (issue 26, one query each). An N+1
    # on health, reasons or clients would blow it.
    with django_assert_max_num_queries(14):
        response = alice_client.get(reverse("web:dashboard"))
    assert response.status_code == 200
    assert "Client 0000" in response.content.decode()

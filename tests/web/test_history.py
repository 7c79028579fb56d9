"""History on each record's page: when, who, what changed (field: old → new), in the reader's language and zone;
and the trust-health moves in the workspace timeline, in words."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.models import HealthChange, Interaction, Invoice, Promise
from crm.trust.door import journal_changed
from tests.factories import make_client, make_project

NOW = datetime.fromisoformat("2026-03-04T09:00:00+00:00")  # 10:00 in Paris, alice's and bob's zone
TODAY = "2026-03-04"

# How a page that lists the history writes it, in each language.
WORDS = {
    "en": {"who": "you", "created": "record created", "time": "March 4, 2026, 10 a.m."},
    "fr": {"who": "vous", "created": "création", "time": "4 mars 2026 10:00"},
}


def _text(response: Any) -> str:
    """Return the page's text without tags and with single spaces."""
    return html.unescape(re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())))


def _history(response: Any) -> str:
    page = response.content.decode()
    start = page.index('id="history-title"')
    return html.unescape(
        re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page[start : page.index("</section>", start)]))
    )


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(params=["en", "fr"])
def reader(request: Any, client: Any, alice: Any, frozen: Any) -> tuple[Any, str]:
    alice.profile.language = request.param
    alice.profile.save()
    client.force_login(alice)
    return client, request.param


def _create(client: Any, kind: str, rita: Client, project: Project) -> None:
    data = {
        "interaction": {
            "kind": "call",
            "direction": "from_client",
            "happened_at": f"{TODAY}T08:30",
            "summary": "Call",
        },
        "promise": {
            "promisor": "freelancer",
            "description": "Send the quote",
            "made_on": TODAY,
            "due_on": "2026-03-20",
        },
        "invoice": {
            "number": "F-1",
            "amount": "450.00",
            "currency": "EUR",
            "issued_on": TODAY,
            "due_on": "2026-04-10",
        },
        "conflict": {"kind": "posture", "severity": 2, "observed_on": TODAY, "description": "Raised voice"},
    }[kind]
    url = f"{reverse(f'web:{kind}_new')}?client={rita.pk}"
    response = client.post(url, {"client": rita.pk, "project": project.pk, **data})
    assert response.status_code in (200, 302), response.content.decode()[:500]


@pytest.mark.parametrize(
    ("kind", "model", "route", "kwarg"),
    [
        ("interaction", Interaction, "web:interaction", "interaction_id"),
        ("promise", Promise, "web:promise", "promise_id"),
        ("invoice", Invoice, "web:invoice", "invoice_id"),
        ("conflict", ConflictSignal, "web:conflict", "signal_id"),
    ],
)
def test_a_record_logged_in_the_app_shows_who_created_it_and_when(
    reader: Any, alice: Any, kind: str, model: Any, route: str, kwarg: str
) -> None:
    client, language = reader
    rita = make_client(alice, name="Rita")
    _create(client, kind, rita, make_project(rita))
    record = model.objects.get(client=rita)
    row = record.history.get()
    assert (row.history_type, row.history_user) == ("+", alice)
    page = _history(client.get(reverse(route, kwargs={kwarg: record.pk})))
    words = WORDS[language]
    assert f"{words['time']} — {words['who']} — {words['created']}" in page


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("en", ["State: open → kept", "Kept on: – → March 4, 2026"]),
        ("fr", ["État\u00a0: ouverte → tenue", "Tenue le\u00a0: – → 4 mars 2026"]),
    ],
)
def test_a_kept_promise_shows_what_changed_in_the_readers_words(
    client: Any, alice: Any, frozen: Any, language: str, lines: list[str]
) -> None:
    alice.profile.language = language
    alice.profile.save()
    client.force_login(alice)
    rita = make_client(alice, name="Rita")
    _create(client, "promise", rita, make_project(rita))
    promise = Promise.objects.get(client=rita)
    frozen.shift(timedelta(hours=2))
    client.post(reverse("web:promise_keep", kwargs={"promise_id": promise.pk}))
    assert [row.history_user for row in promise.history.all()] == [alice, alice]
    page = _history(client.get(reverse("web:promise", kwargs={"promise_id": promise.pk})))
    for line in lines:
        assert line in page
    # Newest first: the change above the creation.
    assert page.index(lines[0]) < page.index(WORDS[language]["created"])


def test_paid_invoice_and_resolved_signal_show_their_changes(
    alice_client: Any, alice: Any, frozen: Any
) -> None:
    rita = make_client(alice, name="Rita")
    project = make_project(rita)
    _create(alice_client, "invoice", rita, project)
    _create(alice_client, "conflict", rita, project)
    invoice, signal = Invoice.objects.get(client=rita), ConflictSignal.objects.get(client=rita)
    alice_client.post(reverse("web:invoice_mark_paid", kwargs={"invoice_id": invoice.pk}))
    alice_client.post(
        reverse("web:conflict_resolve", kwargs={"signal_id": signal.pk}),
        {"resolved_on": TODAY, "resolution": "We talked it through"},
    )
    invoice_page = _history(alice_client.get(reverse("web:invoice", kwargs={"invoice_id": invoice.pk})))
    assert "Paid on: – → March 4, 2026" in invoice_page
    signal_page = _history(alice_client.get(reverse("web:conflict", kwargs={"signal_id": signal.pk})))
    assert "State: open → resolved" in signal_page
    assert "How it was resolved: – → We talked it through" in signal_page


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("en", ["Name: Rita → Rita Lopez", "Status-update cadence (days): 7 → 14"]),
        ("fr", ["Nom\u00a0: Rita → Rita Lopez", "Rythme des points d’étape (jours)\u00a0: 7 → 14"]),
    ],
)
def test_the_client_edit_page_shows_the_clients_history(
    client: Any, alice: Any, frozen: Any, language: str, lines: list[str]
) -> None:
    alice.profile.language = language
    alice.profile.save()
    client.force_login(alice)
    client.post(
        reverse("web:client_new"), {"name": "Rita", "language": "fr", "status": "active", "cadence_days": 7}
    )
    rita = Client.objects.get(owner=alice)
    url = reverse("web:client_edit", kwargs={"client_id": rita.pk})
    response = client.post(
        url, {"name": "Rita Lopez", "language": "fr", "status": "active", "cadence_days": 14}
    )
    assert response.status_code == 302
    page = _history(client.get(url))
    for line in lines:
        assert line in page
    assert rita.history.count() == 2
    assert set(rita.history.values_list("history_user", flat=True)) == {alice.pk}


def test_the_project_edit_page_names_dates_in_the_readers_format(
    alice_client: Any, alice: Any, frozen: Any
) -> None:
    rita = make_client(alice, name="Rita")
    url = reverse("web:project_new", kwargs={"client_id": rita.pk})
    alice_client.post(url, {"client": rita.pk, "title": "Shop", "status": "active", "currency": "EUR"})
    project = Project.objects.get(client=rita)
    edit = reverse("web:project_edit", kwargs={"project_id": project.pk})
    data = {
        "client": rita.pk,
        "title": "Shop",
        "status": "active",
        "currency": "EUR",
        "start_on": "2026-09-05",
    }
    assert alice_client.post(edit, data).status_code == 302
    assert "Start date: – → Sept. 5, 2026" in _history(alice_client.get(edit))


def test_a_change_made_outside_a_request_is_the_apps(alice_client: Any, alice: Any, frozen: Any) -> None:
    # A nightly task or a management command: no one signed in.
    rita = make_client(alice, name="Rita")
    interaction = Interaction.objects.create(client=rita, summary="Call", happened_at=timezone.now())
    interaction.summary = "Call about the logo"
    interaction.save()
    page = _history(alice_client.get(reverse("web:interaction", kwargs={"interaction_id": interaction.pk})))
    assert "Confiance (automatically) — Summary: Call → Call about the logo" in page


def test_history_on_a_page_is_one_query_whatever_its_length(
    alice_client: Any, alice: Any, frozen: Any
) -> None:
    rita = make_client(alice, name="Rita")
    short = Interaction.objects.create(client=rita, summary="v0")
    long = Interaction.objects.create(client=rita, summary="v0")
    for n in range(30):
        long.summary = f"v{n + 1}"
        long.save()
    counts = []
    # A first request of the session writes its "last seen" (at most every 5 minutes): not what is measured here.
    alice_client.get(reverse("web:interaction", kwargs={"interaction_id": short.pk}))
    for record in (short, long):
        url = reverse("web:interaction", kwargs={"interaction_id": record.pk})
        with CaptureQueriesContext(connection) as queries:
            response = alice_client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert "Summary: v29 → v30" in _history(response)


# -- trust-health moves in the timeline ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "62 → 48: 1 promise broken without a word to the client."),
        ("fr", "62 → 48\u00a0: 1 promesse non tenue sans un mot au client."),
    ],
)
def test_the_timeline_says_when_trust_health_moved_and_why(
    client: Any, alice: Any, frozen: Any, language: str, said: str
) -> None:
    alice.profile.language = language
    alice.profile.save()
    client.force_login(alice)
    rita = make_client(alice, name="Rita")
    HealthChange.objects.create(
        client=rita,
        at=timezone.now(),
        old_score=62,
        new_score=48,
        old_band="watch",
        new_band="at_risk",
        reason={"code": "promise_broken_silently", "params": {"count": 1}},
    )
    page = _text(client.get(reverse("web:client", kwargs={"client_id": rita.pk})))
    assert said in page
    assert ("now" if language == "en" else "désormais") in page


def test_a_reason_that_went_away_says_so(alice_client: Any, alice: Any, frozen: Any) -> None:
    rita = make_client(alice, name="Rita")
    HealthChange.objects.create(
        client=rita,
        old_score=40,
        new_score=55,
        old_band="at_risk",
        new_band="watch",
        reason={"code": "promise_overdue", "params": {"count": 1, "days_overdue": 3}, "gone": True},
    )
    page = _text(alice_client.get(reverse("web:client", kwargs={"client_id": rita.pk})))
    assert (
        "40 → 55: no longer the case: 1 promise overdue (by up to 3 days), not explained to the client."
        in page
    )


def test_a_kept_promise_appears_in_the_timeline_with_the_move_it_caused(
    alice_client: Any, alice: Any, frozen: Any
) -> None:
    # Through the app, end to end: the action, the recompute, the timeline region drawn again.
    from tests.trust.test_health_changes import _steady_client

    rita = _steady_client(alice)
    today = timezone.localdate()
    promise = Promise.objects.create(
        client=rita, description="Logo", made_on=today - timedelta(days=30), due_on=today - timedelta(days=10)
    )
    journal_changed([rita.pk])  # as every path that logs a promise does
    workspace = reverse("web:client", kwargs={"client_id": rita.pk})
    said = "no longer the case: 1 promise overdue (by up to 10 days), not explained to the client."
    assert said not in _text(alice_client.get(workspace))
    alice_client.post(reverse("web:promise_keep", kwargs={"promise_id": promise.pk}))
    change = HealthChange.objects.filter(client=rita).latest("pk")
    page = _text(alice_client.get(workspace))
    assert f"{change.old_score} → {change.new_score}: {said}" in page

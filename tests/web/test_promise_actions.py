"""One-click promise actions: kept, broken, explain the delay; with htmx and as plain POST + redirect."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from crm.models import Promise, Undo
from tests.factories import make_client, make_promise

NOW = "2026-03-10 09:00 +01:00"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def slipping(alice: Any) -> Promise:
    with time_machine.travel(NOW, tick=False):
        today = timezone.localdate()
        return make_promise(
            make_client(alice, name="Rita"),
            description="Deliver the mock-up",
            made_on=today - timedelta(days=10),
            due_on=today + timedelta(days=1),
        )


def post(client: Any, name: str, promise: Promise, data: dict | None = None, **headers: Any) -> Any:
    return client.post(reverse(name, kwargs={"promise_id": promise.pk}), data or {}, headers=headers)


@time_machine.travel(NOW, tick=False)
def test_htmx_keep_returns_the_kept_promise_and_asks_the_page_to_refresh(
    alice_client: Any, slipping: Promise
) -> None:
    response = post(alice_client, "web:promise_keep", slipping, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<li class="event event-promise outcome-kept_on_time"')
    assert "Kept on time" in html and "<html" not in html
    assert "journal-changed" in response["HX-Trigger"]
    slipping.refresh_from_db()
    assert slipping.state == "kept" and slipping.kept_on == timezone.localdate()


@time_machine.travel(NOW, tick=False)
def test_keeping_a_promise_updates_the_clients_trust_health(alice_client: Any, slipping: Promise) -> None:
    post(alice_client, "web:promise_keep", slipping, **HTMX)
    panel = alice_client.get(
        reverse("web:client", kwargs={"client_id": slipping.client_id}),
        headers={**HTMX, "HX-Target": "score-panel"},
    ).content.decode()
    assert 'data-testid="score">–<' not in panel  # the signal stored a score for the client


@time_machine.travel(NOW, tick=False)
def test_plain_post_keeps_the_promise_and_redirects_back(alice_client: Any, slipping: Promise) -> None:
    response = post(alice_client, "web:promise_keep", slipping, {"next": "/promises/?show=kept"})
    assert response.status_code == 302 and response["Location"] == "/promises/?show=kept"
    page = alice_client.get(response["Location"]).content.decode()
    assert "Promise marked as kept." in page and "Deliver the mock-up" in page


@time_machine.travel(NOW, tick=False)
def test_redirect_never_leaves_the_site(alice_client: Any, slipping: Promise) -> None:
    response = post(alice_client, "web:promise_break", slipping, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("web:client", kwargs={"client_id": slipping.client_id})


@time_machine.travel(NOW, tick=False)
def test_broken_promise_reads_broken_without_a_word(alice_client: Any, slipping: Promise) -> None:
    html = post(alice_client, "web:promise_break", slipping, **HTMX).content.decode()
    assert "Broken without a word" in html


@time_machine.travel(NOW, tick=False)
def test_explaining_the_delay_records_what_the_client_was_told(alice_client: Any, slipping: Promise) -> None:
    text = "Le serveur de test est tombé, livraison vendredi <b>promis</b>"
    html = post(
        alice_client, "web:promise_explain", slipping, {"clarification": text}, **HTMX
    ).content.decode()
    assert "Le serveur de test est tombé, livraison vendredi &lt;b&gt;promis&lt;/b&gt;" in html
    slipping.refresh_from_db()
    assert slipping.clarification == text and slipping.explained_in_time()


@time_machine.travel(NOW, tick=False)
def test_empty_explanation_is_refused_inline(alice_client: Any, slipping: Promise) -> None:
    response = post(alice_client, "web:promise_explain", slipping, {"clarification": "  "}, **HTMX)
    html = response.content.decode()
    assert 'class="errors" role="alert"' in html and "This field is required." in html
    assert "HX-Trigger" not in response
    slipping.refresh_from_db()
    assert slipping.clarification == ""


@time_machine.travel(NOW, tick=False)
def test_empty_explanation_without_js_redirects_with_the_error(alice_client: Any, slipping: Promise) -> None:
    response = alice_client.post(
        reverse("web:promise_explain", kwargs={"promise_id": slipping.pk}), {"clarification": ""}, follow=True
    )
    assert "This field is required." in response.content.decode()


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "plain"])
def test_a_refused_keep_stores_nothing_and_says_why(alice_client: Any, alice: Any, headers: Any) -> None:
    """The promise's verbs refuse before they write, so they save without a savepoint of their own: the refusal
    must still store nothing (no state, no history row, no undo) and leave the request able to answer."""
    made_tomorrow = make_promise(
        make_client(alice),
        made_on=timezone.localdate() + timedelta(days=1),
        due_on=timezone.localdate() + timedelta(days=5),
    )
    history = made_tomorrow.history.count()
    response = post(alice_client, "web:promise_keep", made_tomorrow, **headers)
    if headers:
        assert "A promise cannot be kept before it was made." in response.content.decode()
    else:
        page = alice_client.get(response["Location"]).content.decode()
        assert "A promise cannot be kept before it was made." in page
    made_tomorrow.refresh_from_db()
    assert made_tomorrow.state == "open" and made_tomorrow.kept_on is None
    assert made_tomorrow.history.count() == history and not Undo.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_actions_are_post_only(alice_client: Any, slipping: Promise) -> None:
    assert (
        alice_client.get(reverse("web:promise_keep", kwargs={"promise_id": slipping.pk})).status_code == 405
    )


@time_machine.travel(NOW, tick=False)
def test_bob_cannot_keep_alices_promise(client: Any, bob: Any, slipping: Promise) -> None:
    client.force_login(bob)
    for name in ("web:promise_keep", "web:promise_break", "web:promise_explain"):
        assert post(client, name, slipping, {"clarification": "x"}).status_code == 404
    slipping.refresh_from_db()
    assert slipping.state == "open" and slipping.clarification == ""


@pytest.mark.parametrize(
    ("language", "said"), [("en", "Broken, explained late"), ("fr", "Non tenue, expliquée en retard")]
)
def test_a_delay_explained_after_the_due_date_reads_explained_late_not_silence(
    alice_client: Any, slipping: Promise, language: str, said: str
) -> None:
    # Issue 22: explained after the due date used to read "broken without a word"; it is its own state.
    alice_client.cookies["django_language"] = language
    alice = slipping.client.owner
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])
    with time_machine.travel("2026-03-14 09:00 +01:00", tick=False):  # three days after the due date
        post(alice_client, "web:promise_explain", slipping, {"clarification": "Le serveur est tombé"}, **HTMX)
        html = post(alice_client, "web:promise_break", slipping, **HTMX).content.decode()
    assert html.lstrip().startswith('<li class="event event-promise outcome-broken_explained_late"')
    assert said in html
    slipping.refresh_from_db()
    assert slipping.outcome(slipping.broken_on) == Promise.Outcome.BROKEN_EXPLAINED_LATE

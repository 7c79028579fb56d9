"""The first run: sign-up in the browser's language, a dashboard that says where to start, a sample book to
explore and remove in one click, a client created from any "new X" form, and the guide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.demo.sample import BookNotEmpty, seed_sample_book
from crm.models import ClientHealth, Interaction, Invoice, Promise
from tests.factories import make_client, make_project

pytestmark = pytest.mark.django_db


def _sign_up(client: Any, accept_language: str) -> Any:
    return client.post(
        reverse("signup"),
        {
            "username": "nouvelle",
            "email": "nouvelle@example.com",
            "password1": "un-long-mot-de-passe-42",
            "password2": "un-long-mot-de-passe-42",
        },
        HTTP_ACCEPT_LANGUAGE=accept_language,
        follow=True,
    )


def test_sign_up_in_a_french_browser_makes_a_french_account_and_lands_on_the_first_run(client: Any) -> None:
    answer = _sign_up(client, "fr-FR,fr;q=0.9,en;q=0.5")
    user = get_user_model().objects.get(username="nouvelle")
    assert user.profile.language == "fr"
    assert answer.redirect_chain[-1][0] == reverse("web:dashboard")
    html = answer.content.decode()
    assert "Bienvenue" in html
    assert "Commencez votre carnet" in html  # the first-run panel, in French
    assert 'lang="fr"' in html


def test_sign_up_in_an_english_browser_stays_english(client: Any) -> None:
    _sign_up(client, "en-GB,en;q=0.9")
    assert get_user_model().objects.get(username="nouvelle").profile.language == "en"


def test_the_confirmation_speaks_the_language_just_chosen(alice_client: Any, alice: Any) -> None:
    data = {
        "display_name": "Alice",
        "language": "fr",
        "time_zone": "Europe/Paris",
        "digest_weekday": 0,
        "digest_hour": 8,
        "digest_enabled": "on",
    }
    answer = alice_client.post(reverse("profile"), data, follow=True)
    html = answer.content.decode()
    assert "Vos réglages sont enregistrés." in html
    assert "Your settings are saved." not in html


def test_an_empty_book_shows_the_three_ways_to_start_and_explains_the_empty_groups(alice_client: Any) -> None:
    html = alice_client.get(reverse("web:dashboard")).content.decode()
    assert "Start your book" in html
    assert reverse("web:client_new") in html
    assert reverse("web:sample_book") in html
    assert "trust health" in html
    # Each empty group says what will appear there and why it matters, not just "Nothing here."
    assert "a late payment is often the first sign of a drifting client" in html
    assert "keeping your word on time is what trust grows from" in html


def test_a_book_with_clients_shows_no_first_run(alice_client: Any, alice: Any) -> None:
    make_client(alice)
    html = alice_client.get(reverse("web:dashboard")).content.decode()
    assert "Start your book" not in html
    assert reverse("web:sample_book_remove") not in html


def test_explore_then_remove_the_sample_book_in_one_click(alice_client: Any, alice: Any, bob: Any) -> None:
    bobs = make_client(bob, name="Client de Bob")
    alice_client.post(reverse("web:sample_book"))
    samples = Client.objects.for_owner(alice)
    assert samples.count() == 12 and not samples.filter(sample=False).exists()
    assert Promise.objects.for_owner(alice).exists() and Invoice.objects.for_owner(alice).exists()
    assert ClientHealth.objects.filter(owner=alice).count() == 12  # scored, so the dashboard reads at once
    html = alice_client.get(reverse("web:dashboard")).content.decode()
    assert "You are exploring a sample book" in html

    # Her own first client, added while exploring, stays when the sample goes.
    mine = make_client(alice, name="Ma vraie cliente")
    alice_client.post(reverse("web:sample_book_remove"))
    assert list(Client.objects.for_owner(alice)) == [mine]
    assert not Promise.objects.for_owner(alice).exists() and not Invoice.objects.for_owner(alice).exists()
    assert not Interaction.objects.for_owner(alice).exists()
    assert Client.objects.filter(pk=bobs.pk).exists()
    assert (
        "You are exploring a sample book" not in alice_client.get(reverse("web:dashboard")).content.decode()
    )


def test_the_sample_never_goes_into_a_book_that_has_clients(alice_client: Any, alice: Any) -> None:
    mine = make_client(alice)
    answer = alice_client.post(reverse("web:sample_book"), follow=True)
    assert list(Client.objects.for_owner(alice)) == [mine]
    assert "the sample goes into an empty book only" in answer.content.decode()
    with pytest.raises(BookNotEmpty):
        seed_sample_book(alice)


def test_removing_the_sample_leaves_another_freelancers_sample_alone(
    alice_client: Any, alice: Any, bob: Any
) -> None:
    seed_sample_book(bob)
    alice_client.post(reverse("web:sample_book_remove"))
    assert Client.objects.for_owner(bob).count() == 12


def test_the_sample_pages_take_posts_only(alice_client: Any, alice: Any) -> None:
    assert alice_client.get(reverse("web:sample_book")).status_code == 405
    assert not Client.objects.for_owner(alice).exists()


def test_a_first_client_with_its_project_and_cadence(alice_client: Any, alice: Any) -> None:
    page = alice_client.get(reverse("web:client_new")).content.decode()
    assert 'name="project_title"' in page and 'name="cadence_days"' in page
    alice_client.post(
        reverse("web:client_new"),
        {"name": "Boulangerie Roux", "language": "fr", "status": "active", "cadence_days": "14",
         "project_title": "Site vitrine"},
    )  # fmt: skip
    client = Client.objects.get(owner=alice)
    assert client.cadence_days == 14
    assert list(client.projects.values_list("title", flat=True)) == ["Site vitrine"]


NEW_ENTRY_DATA = {
    "promise": {"promisor": "freelancer", "description": "Livrer la maquette", "made_on": "2026-01-05",
                "due_on": "2026-01-12"},
    "interaction": {"kind": "email", "direction": "to_client", "happened_at": "2026-01-05T10:00",
                    "summary": "Premier contact"},
    "invoice": {"number": "F-1", "amount": "1200", "currency": "EUR", "issued_on": "2026-01-05",
                "due_on": "2026-02-05"},
    "conflict": {"kind": "ideas", "severity": "1", "observed_on": "2026-01-05", "description": "Le logo"},
}  # fmt: skip
MODELS = {"promise": Promise, "interaction": Interaction, "invoice": Invoice, "conflict": ConflictSignal}


@pytest.mark.parametrize("kind", NEW_ENTRY_DATA)
def test_every_new_form_creates_the_missing_client_inline(alice_client: Any, alice: Any, kind: str) -> None:
    page = alice_client.get(reverse(f"web:{kind}_new")).content.decode()
    assert 'name="new_client"' in page
    answer = alice_client.post(reverse(f"web:{kind}_new"), {**NEW_ENTRY_DATA[kind], "new_client": "Léa Roux"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    client = Client.objects.get(owner=alice)
    assert client.name == "Léa Roux"
    # An English freelancer's client made on the way speaks English, in Britain (issue 24, item 2).
    assert (client.language, client.country) == ("en", "GB")
    record = MODELS[kind].objects.get()
    assert record.client == client
    assert answer["Location"] == reverse("web:client", kwargs={"client_id": client.pk})


def test_a_new_form_with_neither_a_client_nor_a_name_says_so_and_saves_nothing(alice_client: Any) -> None:
    answer = alice_client.post(reverse("web:promise_new"), NEW_ENTRY_DATA["promise"])
    assert answer.status_code == 200
    assert "Choose a client, or type the name of a new one below." in answer.content.decode()
    assert not Client.objects.exists() and not Promise.objects.exists()


def test_a_new_client_and_a_chosen_client_together_are_refused(alice_client: Any, alice: Any) -> None:
    existing = make_client(alice)
    data = {**NEW_ENTRY_DATA["promise"], "client": existing.pk, "new_client": "Quelqu'un d'autre"}
    answer = alice_client.post(reverse("web:promise_new"), data)
    assert "not both" in answer.content.decode()
    assert Client.objects.count() == 1 and not Promise.objects.exists()


def test_a_new_client_cannot_borrow_another_clients_project(alice_client: Any, alice: Any) -> None:
    project = make_project(make_client(alice))
    data = {**NEW_ENTRY_DATA["promise"], "new_client": "Nouvelle", "project": project.pk}
    answer = alice_client.post(reverse("web:promise_new"), data)
    assert "A new client has no project yet" in answer.content.decode()
    assert Client.objects.count() == 1 and not Promise.objects.exists()
    assert Project.objects.get().client.owner == alice


def test_an_invalid_entry_creates_no_client_either(alice_client: Any) -> None:
    data = {**NEW_ENTRY_DATA["promise"], "due_on": "2025-12-01", "new_client": "Fantôme"}  # due before made
    answer = alice_client.post(reverse("web:promise_new"), data)
    assert answer.status_code == 200
    assert not Client.objects.exists()


def test_a_workspace_form_offers_no_new_client(alice_client: Any, alice: Any) -> None:
    client = make_client(alice)
    page = alice_client.get(
        reverse("web:client_promise_new", kwargs={"client_id": client.pk})
    ).content.decode()
    assert 'name="new_client"' not in page


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "What the score means"), ("fr", "Ce que dit le score")]
)
def test_the_guide_speaks_the_freelancers_language(
    client: Any, alice: Any, language: str, heading: str
) -> None:
    alice.profile.language = language
    alice.profile.save()
    client.force_login(alice)
    html = client.get(reverse("web:guide")).content.decode()
    assert heading in html
    assert f'lang="{language}"' in html


def test_each_reason_links_to_the_guide(alice_client: Any, alice: Any) -> None:
    client = make_client(alice, created_at=timezone.now() - timedelta(days=60))
    ClientHealth.objects.update_or_create(
        client=client,
        defaults={"owner": alice, "score": 40, "band": "at_risk", "evidence_count": 5,
                  "reasons": [{"code": "status_update_overdue", "impact": -10, "params": {"days": 20}}]},
    )  # fmt: skip
    html = alice_client.get(reverse("web:client", kwargs={"client_id": client.pk})).content.decode()
    assert f'href="{reverse("web:guide")}#components"' in html


def test_settings_connect_the_calendar_feed_email_preferences_and_the_guide(alice_client: Any) -> None:
    html = alice_client.get(reverse("profile")).content.decode()
    assert f'href="{reverse("web:calendar_settings")}"' in html
    assert 'href="#id_digest_weekday"' in html and 'id="id_digest_weekday"' in html
    assert f'href="{reverse("web:guide")}"' in html

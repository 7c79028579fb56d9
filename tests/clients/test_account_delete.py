"""Delete my account: the password first, then the whole book goes in one transaction, and bob's stays."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from clients.account import delete_account
from clients.models import Client, Profile, Project
from conflicts.models import ConflictSignal
from crm.demo import book, derived, large, personas
from crm.models import (
    ClientHealth,
    ClientPage,
    EvidencePack,
    HealthChange,
    HealthSnapshot,
    Interaction,
    Invoice,
    Promise,
)
from tests.factories import (
    PASSWORD,
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

NOW = datetime.fromisoformat("2026-03-04T10:00:00+01:00")
BOOK_MODELS = [
    Project,
    Interaction,
    Promise,
    Invoice,
    ConflictSignal,
    ClientHealth,
    HealthSnapshot,
    ClientPage,
]


def _full_book(owner: Any) -> Client:
    """Give `owner` a client with one of every record, changed once each (so history and health changes exist)."""
    client = make_client(owner, name="Rita")
    project = make_project(client)
    make_interaction(client, project=project)
    make_interaction(client, kind=Interaction.Kind.STATUS_UPDATE)
    today = timezone.localdate()
    promise = make_promise(client, made_on=today - timedelta(days=20), due_on=today - timedelta(days=2))
    make_invoice(client)
    make_conflict(client)
    promise.break_(today)  # a broken promise: a health change and a second history row
    project.title = "Boutique"
    project.save()
    HealthSnapshot.objects.create(client=client, day=today, score=50, band="watch")
    ClientPage.objects.create(client=client)
    EvidencePack.objects.create(client=client, language="en", state="done", pdf=b"%PDF", archive=b"PK")
    return client


def _counts(owner_id: int) -> dict[str, int]:
    """Count every row that hangs off `owner_id`'s book, history included."""
    counts = {
        model.__name__: model.objects.filter(client__owner_id=owner_id).count() for model in BOOK_MODELS
    }
    counts["Client"] = Client.objects.filter(owner_id=owner_id).count()
    counts["HealthChange"] = HealthChange.objects.filter(client__owner_id=owner_id).count()
    counts["Profile"] = Profile.objects.filter(user_id=owner_id).count()
    client_ids = set(Client.history.model.objects.filter(owner_id=owner_id).values_list("id", flat=True))
    for model in (Client, Project, Interaction, Promise, Invoice, ConflictSignal):
        history = model.history.model.objects
        rows = (
            history.filter(owner_id=owner_id) if model is Client else history.filter(client_id__in=client_ids)
        )
        counts[f"Historical{model.__name__}"] = rows.count()
    return counts


def _history_tables() -> list[Any]:
    return [model for model in apps.get_models() if hasattr(model, "instance_type")]


@pytest.fixture
def books(alice: Any, bob: Any) -> tuple[Any, Any]:
    with time_machine.travel(NOW, tick=False):
        _full_book(alice)
        _full_book(bob)
    return alice, bob


def test_deleting_a_user_with_a_journal_does_not_rescore_the_clients_it_deletes(books: Any) -> None:
    # Django's own cascade (the admin's path): it used to rescore each client after each deleted row and
    # commit trust health rows for deleted clients (IntegrityError).
    alice, bob = books
    alice_id, before = alice.pk, _counts(bob.pk)
    alice.delete()
    # (That path leaves django-simple-history's rows: the app deletes accounts through `delete_account`.)
    left = {name: count for name, count in _counts(alice_id).items() if not name.startswith("Historical")}
    assert set(left.values()) == {0}
    assert _counts(bob.pk) == before


def test_deleting_a_client_still_rescores_nothing_of_it(books: Any) -> None:
    alice, _bob = books
    client = Client.objects.get(owner=alice)
    client.delete()
    assert not ClientHealth.objects.filter(client_id=client.pk).exists()


def test_delete_account_removes_the_whole_book_and_its_history_and_keeps_bobs(books: Any) -> None:
    alice, bob = books
    alice_id, mine, theirs = alice.pk, _counts(alice.pk), _counts(bob.pk)
    assert all(mine.values()), mine  # every kind of row exists before, history included
    assert mine["HealthChange"] and mine["HistoricalPromise"] == 2
    delete_account(alice)
    assert not get_user_model().objects.filter(pk=alice_id).exists()
    assert set(_counts(alice_id).values()) == {0}
    assert _counts(bob.pk) == theirs
    # No "deleted" history rows were written for the rows that went.
    assert not any(model.objects.filter(history_type="-").exists() for model in _history_tables())


def test_delete_account_removes_the_history_of_clients_deleted_earlier(books: Any) -> None:
    alice, _bob = books
    client = Client.objects.get(owner=alice)
    client_id = client.pk
    client.delete()  # leaves its history and its journal's "deleted" history rows behind
    assert Promise.history.model.objects.filter(client_id=client_id).exists()
    delete_account(alice)
    assert not Promise.history.model.objects.filter(client_id=client_id).exists()
    assert not Client.history.model.objects.filter(id=client_id).exists()


def test_delete_account_of_the_demo_book(bob: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        _full_book(bob)
        user, _created = personas.get_or_create_freelancer("demo", personas.DEMO_PASSWORD)
        book.seed_demo_book(user)
        derived.compute_trust_health(user)
    user_id, theirs = user.pk, _counts(bob.pk)
    assert Interaction.objects.filter(client__owner=user).count() > 100
    delete_account(user)
    assert set(_counts(user_id).values()) == {0}
    assert _counts(bob.pk) == theirs


def test_delete_account_of_a_generated_large_book(bob: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        _full_book(bob)
        user, _created = personas.get_or_create_freelancer("big", "big-password-1")
        large.seed_large_book(user, 60, 30)
        derived.compute_trust_health(user, history_weeks=2)
    user_id, theirs = user.pk, _counts(bob.pk)
    assert Interaction.objects.filter(client__owner=user).count() == 60 * 30
    delete_account(user)
    assert set(_counts(user_id).values()) == {0}
    assert _counts(bob.pk) == theirs


# -- the page ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Delete my account", "This cannot be undone.", "Take your book with you first"]),
        ("fr", ["Supprimer mon compte", "irréversible", "Emportez d’abord votre carnet"]),
    ],
)
def test_the_settings_link_to_a_page_that_says_what_goes(
    client: Any, alice: Any, language: str, words: list[str]
) -> None:
    alice.profile.language = language
    alice.profile.save()
    client.force_login(alice)
    settings_page = client.get(reverse("profile")).content.decode()
    assert reverse("account_delete") in settings_page
    assert reverse("password_change") in settings_page
    page = client.get(reverse("account_delete")).content.decode()
    for word in words:
        assert word in page
    # The export comes first: each link leads to a download of the book that is about to go.
    offer = page.index('data-testid="export-first"')
    assert offer < page.index('<form method="post" novalidate>')
    for name in ("web:export_json", "web:export_zip", "web:export_vcards"):
        assert f'href="{reverse(name)}"' in page[offer:]
    assert client.get(reverse("web:export_json")).status_code == 200


def test_a_wrong_password_deletes_nothing(client: Any, books: Any) -> None:
    alice, _bob = books
    before = _counts(alice.pk)
    client.force_login(alice)
    response = client.post(reverse("account_delete"), {"password": "not it"})
    assert response.status_code == 200
    assert "This is not your password. Nothing was deleted." in response.content.decode()
    assert _counts(alice.pk) == before
    assert client.get(reverse("profile")).status_code == 200  # still logged in


def test_the_right_password_deletes_everything_and_logs_out(client: Any, books: Any) -> None:
    alice, bob = books
    theirs = _counts(bob.pk)
    client.force_login(alice)
    response = client.post(reverse("account_delete"), {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "Your account and everything in it are deleted." in response.content.decode()
    assert set(_counts(alice.pk).values()) == {0}
    assert _counts(bob.pk) == theirs
    assert client.get(reverse("profile")).status_code == 302  # logged out


def test_deletion_is_one_transaction(books: Any, monkeypatch: Any) -> None:
    # A failure after the first DELETEs (here: deleting the user itself) leaves the whole book as it was.
    alice, _bob = books
    before = _counts(alice.pk)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(type(alice), "delete", fail)
    with pytest.raises(RuntimeError):
        delete_account(alice)
    assert _counts(alice.pk) == before


def test_the_page_needs_a_login(client: Any, db: None) -> None:
    response = client.get(reverse("account_delete"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_delete_account_costs_the_same_few_queries_whatever_the_size(
    books: Any, django_assert_max_num_queries: Any
) -> None:
    # One DELETE per table, not one per row: more clients and events add no query (76: one per table of the
    # book, history, feelings, trash, undos, form tokens and payment reminders and clients' pages included, plus the SET NULL of
    # answers between interactions; contacts, their history and API tokens since issue 15; mail capture's
    # tables since issue 16; since issue 25: the two-factor devices, their recovery codes and the sessions list,
    # one DELETE each, which Django's cascade of the account itself then looks at again; axes' failure and access logs;
    # since issue 24 the business logo's DELETE and the cascade looking for one; since issue 22 the absences and
    # their history, through the cascade; since issue 26 the scope changes and their history, the same way, and the
    # evidence packs: a DELETE through the clients, one through the owner, and the cascade looking for one; the
    # check-ins, the recaps and their lines with their histories).
    alice, _bob = books
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            _full_book(alice)
    with translation.override("en"), django_assert_max_num_queries(116):
        delete_account(alice)

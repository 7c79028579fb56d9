"""Edit, delete, reopen, undo and the trash through the web app: htmx partials, the no-JS path (POST/redirect/GET
with the Undo in the message), French and English, and bob never reaching alice's records."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.models import ClientHealth, Interaction, Invoice, Promise, TrashItem, Undo
from crm.models.trash import UNDO_MINUTES
from crm.trust.health import recompute_client
from tests.factories import (
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

NOW = "2026-03-10 09:00 +01:00"
HTMX = {"HX-Request": "true"}
TODAY = "2026-03-10"


@pytest.fixture(autouse=True)
def _frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def book(alice: Any) -> dict[str, Any]:
    today = timezone.localdate()
    client = make_client(alice, name="Rita")
    project = make_project(client, title="Boutique")
    return {
        "client": client,
        "project": project,
        "interaction": make_interaction(client, project=project, summary="Appel de lancement"),
        "promise": make_promise(client, description="Livrer la maquette", made_on=today - timedelta(days=3)),
        "kept": make_promise(
            client,
            description="Envoyer le devis",
            made_on=today - timedelta(days=9),
            due_on=today - timedelta(days=2),
            state=Promise.State.KEPT,
            kept_on=today - timedelta(days=3),
        ),
        "invoice": make_invoice(client, number="F-1", issued_on=today - timedelta(days=10)),
        "paid": make_invoice(client, number="F-0", issued_on=today - timedelta(days=40), paid_on=today),
        "signal": make_conflict(client, observed_on=today - timedelta(days=2), description="Ton sec"),
    }


def stored_health(client_id: int) -> dict[str, Any]:
    return ClientHealth.objects.filter(client_id=client_id).values(
        "score", "band", "reasons", "evidence_count"
    )[0]


def health_is_current(client_id: int) -> bool:
    """Return True when the stored trust health is what the formula gives for the stored history."""
    stored = stored_health(client_id)
    recompute_client(client_id)
    return stored_health(client_id) == stored


def in_french(alice: Any) -> None:
    alice.profile.language = "fr"
    alice.profile.save()


EDIT_URLS = {
    "interaction": ("web:interaction_edit", "interaction_id"),
    "promise": ("web:promise_edit", "promise_id"),
    "invoice": ("web:invoice_edit", "invoice_id"),
    "conflict": ("web:conflict_edit", "signal_id"),
}
BOOK_KEYS = {"interaction": "interaction", "promise": "promise", "invoice": "invoice", "conflict": "signal"}
EDITS = {
    "interaction": (
        {"kind": "call", "direction": "from_client", "happened_at": "2026-03-09T14:30", "summary": "Rappel"},
        {"kind": "call", "direction": "from_client", "summary": "Rappel"},
    ),
    "promise": (
        {
            "promisor": "client",
            "description": "Valider la maquette",
            "made_on": "2026-03-07",
            "due_on": "2026-03-20",
            "state": "open",
        },
        {
            "promisor": "client",
            "description": "Valider la maquette",
            "due_on": timezone.datetime(2026, 3, 20).date(),
        },
    ),
    "invoice": (
        {
            "number": "F-1b",
            "amount": "1 500,00".replace(" ", "").replace(",", "."),
            "currency": "eur",
            "issued_on": "2026-02-28",
            "due_on": "2026-03-30",
            "renegotiated_due_on": "2026-04-15",
            "paid_on": "",
        },
        {"number": "F-1b", "amount": Decimal("1500.00"), "currency": "EUR"},
    ),
    "conflict": (
        {
            "kind": "posture",
            "severity": 3,
            "observed_on": "2026-03-08",
            "description": "Ton très sec",
            "state": "open",
        },
        {"kind": "posture", "severity": 3, "description": "Ton très sec"},
    ),
}


def edit_url(kind: str, book: dict[str, Any]) -> str:
    name, kwarg = EDIT_URLS[kind]
    return reverse(name, kwargs={kwarg: book[BOOK_KEYS[kind]].pk})


# -- edit ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", EDIT_URLS)
def test_edit_page_without_js_saves_and_redirects(alice_client: Any, book: dict[str, Any], kind: str) -> None:
    url = edit_url(kind, book)
    page = alice_client.get(url).content.decode()
    assert '<form method="post"' in page and 'name="client"' in page and "<html" in page
    data, expected = EDITS[kind]
    response = alice_client.post(url, {"client": book["client"].pk, **data})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:client", kwargs={"client_id": book["client"].pk})
    item = type(book[BOOK_KEYS[kind]]).objects.get(pk=book[BOOK_KEYS[kind]].pk)
    assert {field: getattr(item, field) for field in expected} == expected
    assert health_is_current(book["client"].pk)


@pytest.mark.parametrize("kind", EDIT_URLS)
def test_inline_edit_swaps_the_item_for_its_form_and_back(
    alice_client: Any, book: dict[str, Any], kind: str
) -> None:
    url, item = edit_url(kind, book), book[BOOK_KEYS[kind]]
    form = alice_client.get(url, headers=HTMX).content.decode()
    assert "<html" not in form  # the partial only
    assert f'id="{kind}-{item.pk}"' in form and "event-editing" in form
    assert f'hx-post="{url}"' in form and 'hx-target="closest .event"' in form
    assert "keyup[key==&#x27;Escape&#x27;]" in form or "keyup[key=='Escape']" in form  # Escape cancels
    data, _expected = EDITS[kind]
    saved = alice_client.post(url, {"client": book["client"].pk, **data}, headers=HTMX)
    html = saved.content.decode()
    assert "journal-changed" in saved["HX-Trigger"]  # counts and score panel refresh
    assert f'id="{kind}-{item.pk}"' in html and "event-editing" not in html and "<html" not in html


def test_cancel_fetches_the_item_back(alice_client: Any, book: dict[str, Any]) -> None:
    promise = book["promise"]
    url = reverse("web:promise", kwargs={"promise_id": promise.pk})
    item = alice_client.get(url, headers=HTMX).content.decode()
    assert item.strip().startswith('<li class="event event-promise') and "Livrer la maquette" in item
    listed = alice_client.get(f"{url}?show_client=1", headers=HTMX).content.decode()
    assert 'class="event-client"' in listed  # back in a list, the item names its client again


def test_invalid_inline_edit_shows_errors_and_stores_nothing(alice_client: Any, book: dict[str, Any]) -> None:
    promise = book["promise"]
    before = Promise.objects.filter(pk=promise.pk).values()[0]
    url = edit_url("promise", book)
    data = {"client": book["client"].pk, "promisor": "freelancer", "description": "X", "made_on": TODAY}
    response = alice_client.post(url, {**data, "due_on": "2026-03-01", "state": "open"}, headers=HTMX)
    html = response.content.decode()
    assert "event-editing" in html and "The due date cannot be before the day the promise was made." in html
    assert "HX-Trigger" not in response
    assert Promise.objects.filter(pk=promise.pk).values()[0] == before


def test_promise_state_in_the_edit_form_keeps_its_dates_consistent(
    alice_client: Any, book: dict[str, Any]
) -> None:
    promise, url = book["promise"], edit_url("promise", book)
    data = {
        "client": book["client"].pk,
        "promisor": "freelancer",
        "description": "Maquette",
        "made_on": "2026-03-07",
        "due_on": "2026-03-17",
    }
    alice_client.post(url, {**data, "state": "kept"})
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on, promise.broken_on) == ("kept", timezone.localdate(), None)
    alice_client.post(url, {**data, "state": "broken", "broken_on": "2026-03-09", "kept_on": "2026-03-09"})
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on, promise.broken_on) == (
        "broken",
        None,
        timezone.datetime(2026, 3, 9).date(),
    )
    alice_client.post(url, {**data, "state": "open", "broken_on": "2026-03-09"})
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on, promise.broken_on) == ("open", None, None)
    assert health_is_current(book["client"].pk)


def test_edit_pages_speak_french_and_english(alice_client: Any, alice: Any, book: dict[str, Any]) -> None:
    english = alice_client.get(edit_url("promise", book)).content.decode()
    assert (
        "Edit the promise" in english
        and ">Save<" in english
        and "Who promised" in english.replace("who", "Who")
    )
    in_french(alice)
    french = alice_client.get(edit_url("promise", book)).content.decode()
    assert "Modifier la promesse" in french and ">Enregistrer<" in french and "Supprimer" in french
    inline = alice_client.get(edit_url("invoice", book), headers=HTMX).content.decode()
    assert "Annuler" in inline and "Enregistrer" in inline


def test_timeline_items_offer_edit_delete_and_reopen(alice_client: Any, book: dict[str, Any]) -> None:
    page = alice_client.get(reverse("web:client", kwargs={"client_id": book["client"].pk})).content.decode()
    for kind in EDIT_URLS:
        url = edit_url(kind, book)
        assert f'href="{url}"' in page and f'hx-get="{url}"' in page  # a real link, and in place with htmx
    assert reverse("web:promise_reopen", kwargs={"promise_id": book["kept"].pk}) in page
    assert reverse("web:invoice_reopen", kwargs={"invoice_id": book["paid"].pk}) in page
    assert reverse("web:promise_delete", kwargs={"promise_id": book["promise"].pk}) in page
    assert reverse("web:client_delete", kwargs={"client_id": book["client"].pk}) in page
    listed = alice_client.get(reverse("web:promises")).content.decode()
    assert f'hx-get="{edit_url("promise", book)}?show_client=1"' in listed


# -- reopen ----------------------------------------------------------------------------------------------


def test_reopen_each_closed_record_with_undo(alice_client: Any, book: dict[str, Any]) -> None:
    signal = book["signal"]
    signal.resolve(timezone.localdate(), "Réglé")
    cases = [
        (
            "web:promise_reopen",
            {"promise_id": book["kept"].pk},
            book["kept"],
            {"state": "open", "kept_on": None},
        ),
        ("web:invoice_reopen", {"invoice_id": book["paid"].pk}, book["paid"], {"paid_on": None}),
        ("web:conflict_reopen", {"signal_id": signal.pk}, signal, {"state": "open", "resolved_on": None}),
    ]
    for name, kwargs, item, expected in cases:
        before = type(item).objects.filter(pk=item.pk).values()[0]
        response = alice_client.post(reverse(name, kwargs=kwargs), headers=HTMX)
        html = response.content.decode()
        assert "journal-changed" in response["HX-Trigger"] and 'hx-swap-oob="innerHTML"' in html
        after = type(item).objects.filter(pk=item.pk).values()[0]
        assert {key: after[key] for key in expected} == expected
        assert health_is_current(book["client"].pk)
        undo_id = int(re.search(r"/undo/(\d+)/", html).group(1))
        alice_client.post(reverse("web:undo", kwargs={"undo_id": undo_id}), headers=HTMX)
        assert type(item).objects.filter(pk=item.pk).values()[0] == before
        assert health_is_current(book["client"].pk)


def test_reopening_an_open_promise_says_why_not(alice_client: Any, book: dict[str, Any]) -> None:
    url = reverse("web:promise_reopen", kwargs={"promise_id": book["promise"].pk})
    response = alice_client.post(url, follow=True)
    assert "This promise is already open." in response.content.decode()
    assert not Undo.objects.exists()


# -- undo through the toast ------------------------------------------------------------------------------


def test_kept_with_htmx_offers_an_accessible_undo_that_restores_everything(
    alice_client: Any, book: dict[str, Any]
) -> None:
    promise, client_id = book["promise"], book["client"].pk
    before, before_health = Promise.objects.filter(pk=promise.pk).values()[0], stored_health(client_id)
    response = alice_client.post(reverse("web:promise_keep", kwargs={"promise_id": promise.pk}), headers=HTMX)
    html = response.content.decode()
    # The toast is swapped into the page's live region (role=status, aria-live=polite, inside <main>).
    assert '<div id="toasts" hx-swap-oob="innerHTML">' in html and "Promise marked as kept." in html
    undo = Undo.objects.get()
    assert f'action="{reverse("web:undo", kwargs={"undo_id": undo.pk})}"' in html
    assert '<button type="submit" class="undo">Undo</button>' in html
    assert undo.expires_at - timezone.now() == timedelta(minutes=UNDO_MINUTES)  # far longer than 10 s
    page = alice_client.get(reverse("web:client", kwargs={"client_id": client_id})).content.decode()
    main = page[page.index('<main id="main">') : page.index("</main>")]
    assert '<div id="toasts" class="toasts" role="status" aria-live="polite">' in main
    undone = alice_client.post(reverse("web:undo", kwargs={"undo_id": undo.pk}), headers=HTMX)
    assert "Undone." in undone.content.decode() and "journal-changed" in undone["HX-Trigger"]
    assert Promise.objects.filter(pk=promise.pk).values()[0] == before
    assert stored_health(client_id) == before_health


def test_without_js_the_message_after_the_redirect_carries_the_undo(
    alice_client: Any, alice: Any, book: dict[str, Any]
) -> None:
    invoice = book["invoice"]
    workspace = reverse("web:client", kwargs={"client_id": book["client"].pk})
    response = alice_client.post(
        reverse("web:invoice_mark_paid", kwargs={"invoice_id": invoice.pk}), {"next": workspace}, follow=True
    )
    page = response.content.decode()
    undo = Undo.objects.get()
    undo_url = reverse("web:undo", kwargs={"undo_id": undo.pk})
    assert "Invoice marked as paid." in page and f'<form method="post" action="{undo_url}"' in page
    back = alice_client.post(undo_url, {"next": workspace})
    assert back.status_code == 302 and back["Location"] == workspace
    invoice.refresh_from_db()
    assert invoice.paid_on is None
    assert "Undone." in alice_client.get(workspace).content.decode()


def test_undo_toast_in_french(alice_client: Any, alice: Any, book: dict[str, Any]) -> None:
    in_french(alice)
    url = reverse("web:promise_break", kwargs={"promise_id": book["promise"].pk})
    html = alice_client.post(url, headers=HTMX).content.decode()
    assert "Promesse marquée comme non tenue." in html
    assert ">Annuler l’action<" in html and ">Fermer<" in html


def test_an_expired_undo_says_so_and_changes_nothing(alice_client: Any, book: dict[str, Any]) -> None:
    promise = book["promise"]
    alice_client.post(reverse("web:promise_keep", kwargs={"promise_id": promise.pk}), headers=HTMX)
    undo = Undo.objects.get()
    with time_machine.travel(undo.expires_at + timedelta(seconds=1), tick=False):
        html = alice_client.post(
            reverse("web:undo", kwargs={"undo_id": undo.pk}), headers=HTMX
        ).content.decode()
    assert "It is too late to undo this." in html and "toast error" in html
    promise.refresh_from_db()
    assert promise.state == "kept"


def test_status_update_sent_can_be_undone(alice_client: Any, book: dict[str, Any]) -> None:
    client = book["client"]
    before = Client.objects.filter(pk=client.pk).values("last_status_update_at", "last_contact_at")[0]
    alice_client.post(reverse("web:status_update_mark_sent", kwargs={"client_id": client.pk}), headers=HTMX)
    assert Interaction.objects.status_updates().filter(client=client).count() == 1
    alice_client.post(reverse("web:undo", kwargs={"undo_id": Undo.objects.get().pk}), headers=HTMX)
    assert Interaction.objects.status_updates().filter(client=client).count() == 0
    assert Client.objects.filter(pk=client.pk).values("last_status_update_at", "last_contact_at")[0] == before
    assert health_is_current(client.pk)


def test_bob_cannot_use_alices_undo(client: Any, bob: Any, book: dict[str, Any]) -> None:
    from crm.trash.undo import remember

    promise = book["promise"]
    undo = remember(
        promise.owner, promise, ["state", "kept_on", "broken_on"], lambda: promise.keep(promise.made_on)
    )
    client.force_login(bob)
    assert client.post(reverse("web:undo", kwargs={"undo_id": undo.pk})).status_code == 404
    assert client.post(reverse("web:undo", kwargs={"undo_id": undo.pk}), headers=HTMX).status_code == 404
    promise.refresh_from_db()
    assert promise.state == "kept" and Undo.objects.filter(pk=undo.pk).exists()


# -- delete, trash, restore ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", EDIT_URLS)
def test_inline_delete_removes_the_item_and_undo_brings_it_back(
    alice_client: Any, book: dict[str, Any], kind: str
) -> None:
    item, client_id = book[BOOK_KEYS[kind]], book["client"].pk
    model, pk = type(item), item.pk
    before, before_health = model.objects.filter(pk=pk).values()[0], stored_health(client_id)
    url = reverse(f"web:{kind}_delete", kwargs={EDIT_URLS[kind][1]: pk})
    response = alice_client.post(url, headers=HTMX)
    html = response.content.decode()
    assert html.startswith(
        '<div id="toasts" hx-swap-oob="innerHTML">'
    )  # nothing but the toast: the item goes
    assert "deleted." in html and "journal-changed" in response["HX-Trigger"]
    assert not model.objects.filter(pk=pk).exists()
    assert TrashItem.objects.filter(kind=kind, object_id=pk).exists()
    assert health_is_current(client_id)
    alice_client.post(reverse("web:undo", kwargs={"undo_id": Undo.objects.get().pk}), headers=HTMX)
    assert model.objects.filter(pk=pk).values()[0] == before
    assert stored_health(client_id) == before_health
    assert not TrashItem.objects.exists()


def test_delete_without_js_asks_first_then_redirects_with_undo(
    alice_client: Any, book: dict[str, Any]
) -> None:
    promise = book["promise"]
    url = reverse("web:promise_delete", kwargs={"promise_id": promise.pk})
    ask = alice_client.get(url).content.decode()
    assert "Delete Livrer la maquette?" in ask and "It goes to the trash" in ask
    assert Promise.objects.filter(pk=promise.pk).exists()
    detail = reverse("web:promise", kwargs={"promise_id": promise.pk})
    response = alice_client.post(url, {"next": detail})
    # Never back to the page of what no longer exists: to the workspace.
    assert response["Location"] == reverse("web:client", kwargs={"client_id": book["client"].pk})
    page = alice_client.get(response["Location"]).content.decode()
    assert (
        "Promise deleted." in page and reverse("web:undo", kwargs={"undo_id": Undo.objects.get().pk}) in page
    )


def test_client_delete_states_what_goes_with_it(alice_client: Any, alice: Any, book: dict[str, Any]) -> None:
    url = reverse("web:client_delete", kwargs={"client_id": book["client"].pk})
    page = alice_client.get(url).content.decode()
    for said in ("1 project", "1 interaction", "2 promises", "2 invoices", "1 conflict signal"):
        assert f"<li>{said}</li>" in page
    in_french(alice)
    page = alice_client.get(url).content.decode()
    for said in ("1 projet", "1 échange", "2 promesses", "2 factures", "1 signal de conflit"):
        assert f"<li>{said}</li>" in page
    assert "Supprimer Rita (ACME)\u00a0?" in page


def _book_rows(client_id: int) -> dict[str, list[dict[str, Any]]]:
    return {
        model.__name__: list(model.objects.filter(client_id=client_id).order_by("pk").values())
        for model in (Project, Interaction, Promise, Invoice, ConflictSignal)
    }


def test_deleted_client_is_restored_from_the_trash_page(alice_client: Any, book: dict[str, Any]) -> None:
    client_id = book["client"].pk
    before, before_health = _book_rows(client_id), stored_health(client_id)
    response = alice_client.post(reverse("web:client_delete", kwargs={"client_id": client_id}))
    assert response["Location"] == reverse("web:dashboard")
    dashboard = alice_client.get(response["Location"]).content.decode()
    assert "Rita deleted, with everything that went with it." in dashboard
    assert (
        not Client.objects.filter(pk=client_id).exists()
        and not ClientHealth.objects.filter(client_id=client_id).exists()
    )
    assert alice_client.get(reverse("web:client", kwargs={"client_id": client_id})).status_code == 404
    trash = alice_client.get(reverse("web:trash")).content.decode()
    item = TrashItem.objects.get()
    assert "Rita" in trash and reverse("web:trash_restore", kwargs={"trash_id": item.pk}) in trash
    restored = alice_client.post(reverse("web:trash_restore", kwargs={"trash_id": item.pk}))
    assert restored["Location"] == reverse("web:client", kwargs={"client_id": client_id})
    assert _book_rows(client_id) == before
    assert stored_health(client_id) == before_health
    assert "The trash is empty." in alice_client.get(reverse("web:trash")).content.decode()


def test_deleted_project_unlinks_and_restore_links_back(alice_client: Any, book: dict[str, Any]) -> None:
    project, client_id = book["project"], book["client"].pk
    before = _book_rows(client_id)
    alice_client.post(reverse("web:project_delete", kwargs={"project_id": project.pk}))
    assert not Project.objects.filter(pk=project.pk).exists()
    assert Interaction.objects.get(pk=book["interaction"].pk).project_id is None
    alice_client.post(reverse("web:trash_restore", kwargs={"trash_id": TrashItem.objects.get().pk}))
    assert _book_rows(client_id) == before


def test_trash_lists_only_the_owners_items(alice_client: Any, bob: Any, book: dict[str, Any]) -> None:
    from crm.trash.snapshot import to_trash

    bobs = to_trash(make_promise(make_client(bob, name="Client de Bob"), description="Promesse de Bob"), bob)
    to_trash(book["promise"], book["client"].owner)
    page = alice_client.get(reverse("web:trash")).content.decode()
    assert "Livrer la maquette" in page and "Promesse de Bob" not in page
    assert alice_client.post(reverse("web:trash_restore", kwargs={"trash_id": bobs.pk})).status_code == 404
    assert (
        alice_client.post(
            reverse("web:trash_delete", kwargs={"trash_id": bobs.pk}), {"confirm": "yes"}
        ).status_code
        == 404
    )
    assert TrashItem.objects.filter(pk=bobs.pk).exists()


def test_delete_for_good_asks_first(alice_client: Any, alice: Any, book: dict[str, Any]) -> None:
    from crm.trash.snapshot import to_trash

    item = to_trash(book["promise"], alice)
    url = reverse("web:trash_delete", kwargs={"trash_id": item.pk})
    assert "This cannot be undone." in alice_client.get(url).content.decode()
    alice_client.post(url)  # without the confirmation: nothing happens
    assert TrashItem.objects.filter(pk=item.pk).exists()
    response = alice_client.post(url, {"confirm": "yes"})
    assert response["Location"] == reverse("web:trash") and not TrashItem.objects.exists()
    in_french(alice)
    page = alice_client.get(reverse("web:trash")).content.decode()
    assert "Corbeille" in page and "La corbeille est vide." in page


def test_restore_that_would_collide_says_why(alice_client: Any, book: dict[str, Any]) -> None:
    alice_client.post(reverse("web:invoice_delete", kwargs={"invoice_id": book["invoice"].pk}))
    make_invoice(book["client"], number="F-1")
    item = TrashItem.objects.get()
    response = alice_client.post(reverse("web:trash_restore", kwargs={"trash_id": item.pk}), follow=True)
    assert "This cannot be restored as it was" in response.content.decode()
    assert TrashItem.objects.filter(pk=item.pk).exists()


def test_client_and_project_edit_pages_link_to_their_delete(alice_client: Any, book: dict[str, Any]) -> None:
    client, project = book["client"], book["project"]
    page = alice_client.get(reverse("web:client_edit", kwargs={"client_id": client.pk})).content.decode()
    assert f'href="{reverse("web:client_delete", kwargs={"client_id": client.pk})}"' in page
    page = alice_client.get(reverse("web:project_edit", kwargs={"project_id": project.pk})).content.decode()
    assert f'href="{reverse("web:project_delete", kwargs={"project_id": project.pk})}"' in page
    ask = alice_client.get(reverse("web:project_delete", kwargs={"project_id": project.pk})).content.decode()
    assert "no longer linked to the project" in ask


def test_conflict_state_in_the_edit_form(alice_client: Any, book: dict[str, Any]) -> None:
    signal, url = book["signal"], edit_url("conflict", book)
    data = {"client": book["client"].pk, "kind": "ideas", "severity": 2, "observed_on": "2026-03-08"}
    alice_client.post(url, {**data, "state": "resolved", "resolution": "Appel de mise au point"})
    signal.refresh_from_db()
    assert (signal.state, signal.resolved_on, signal.resolution) == (
        "resolved",
        timezone.localdate(),
        "Appel de mise au point",
    )
    alice_client.post(url, {**data, "state": "open", "resolved_on": TODAY, "resolution": "Appel"})
    signal.refresh_from_db()
    assert (signal.state, signal.resolved_on, signal.resolution) == ("open", None, "")
    assert health_is_current(book["client"].pk)

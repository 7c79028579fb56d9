"""The journal's one door (`crm.trust.door.journal_changed`): every path that changes a client's journal goes
through it exactly once, the page after the action shows the new score, and a save that cannot move a score
recomputes nothing.

"Once" is measured on what the door does, not on a spy: its read of the clients (one per run of a few clients),
the trust health upserts (one per run), the owner's book version (moves by exactly 1) and the health moves written
for the timeline (at most one per client).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.models import AccessToken, Client, Profile, Project
from conflicts.models import ConflictSignal
from crm.dataio import book as book_io
from crm.dataio.history import entry_from, import_entries, resolve_clients
from crm.dataio.people import Person, import_people
from crm.models import ClientHealth, ClientPage, Feeling, HealthChange, Interaction, Invoice, TrashItem, Undo
from crm.models import Promise as PromiseModel
from crm.trust.health import recompute_client
from tests.capture.conftest import mail
from tests.factories import (
    PASSWORD,
    form_moment,
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_promise,
)
from tests.web.formpage import drawn_forms

NOW = "2026-03-10 09:00 +01:00"
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Book:
    client: Client
    promise: PromiseModel
    invoice: Invoice
    signal: ConflictSignal


@pytest.fixture
def book(alice: Any) -> Book:
    """A client with a little history (so a move of its score is written), an open promise, an unpaid invoice
    and an open conflict signal."""
    today = timezone.localdate()
    client = make_client(
        alice, name="Rita", created_at=timezone.now() - timedelta(days=40), email="rita@acme.fr"
    )
    make_interaction(
        client, direction=Interaction.Direction.FROM_CLIENT, happened_at=timezone.now() - timedelta(days=3)
    )
    promise = make_promise(client, made_on=today - timedelta(days=20), due_on=today - timedelta(days=2))
    invoice = make_invoice(client, issued_on=today - timedelta(days=60), due_on=today - timedelta(days=20))
    signal = make_conflict(client, observed_on=today - timedelta(days=5))
    return Book(client, promise, invoice, signal)


@dataclass
class Watched:
    door_runs: int = 0  # the door's read of its clients (with their stored health and contact clocks)
    recomputes: int = 0  # trust health upserts
    versions: int = 0  # moves of the owner's book version
    moves: int = 0  # HealthChange rows written


# The door reads each batch of clients with their stored health and their contact clocks from the journal.
_DOOR_SQL = re.compile(r'^SELECT "clients_client"\."id".*"crm_clienthealth"\."evidence_count".*MAX\(', re.S)
_UPSERT_SQL = f'INSERT INTO "{ClientHealth._meta.db_table}"'


@contextmanager
def watching(owner: Any) -> Iterator[Watched]:
    """Count what the journal's door did for `owner` during the block."""
    version = Profile.objects.get(user=owner).book_version
    moves = HealthChange.objects.count()
    seen = Watched()
    with CaptureQueriesContext(connection) as queries:
        yield seen
    sql = [query["sql"] for query in queries.captured_queries]
    seen.door_runs = sum(bool(_DOOR_SQL.search(text)) for text in sql)
    seen.recomputes = sum(_UPSERT_SQL in text for text in sql)  # logged as "N times: INSERT ..."
    seen.versions = Profile.objects.get(user=owner).book_version - version
    seen.moves = HealthChange.objects.count() - moves


def assert_once(seen: Watched, clients: int = 1) -> None:
    assert (seen.door_runs, seen.recomputes, seen.versions) == (1, 1, 1), seen
    assert seen.moves <= clients, seen  # at most one move of each client's score


def fresh_score(client_id: int) -> int:
    """Return the client's score computed now from its journal, storing nothing."""
    with transaction.atomic():
        health = recompute_client(client_id)
        transaction.set_rollback(True)
    assert health is not None
    return health.score


def page_score(http: Any, client_id: int) -> str:
    html = http.get(reverse("web:client", kwargs={"client_id": client_id})).content.decode()
    return re.search(r'data-testid="score">([^<]*)<', html).group(1)


def assert_page_is_current(http: Any, client: Client) -> None:
    stored = ClientHealth.objects.get(client=client)
    assert stored.score == fresh_score(client.pk)
    assert page_score(http, client.pk) == (str(stored.score) if stored.has_score else "–")
    client.refresh_from_db()
    latest = Interaction.objects.filter(client=client).order_by("-happened_at").first()
    assert client.last_contact_at == (latest.happened_at if latest else None)


# -- the web app ------------------------------------------------------------------------------------------------


def _form(http: Any, url: str, action: str) -> dict[str, Any]:
    """Return the data of the form drawn on `url` that posts to `action` (a form without one posts to `url`)."""
    html = http.get(url).content.decode()
    (form,) = [
        f for f in drawn_forms(html) if (f.action or url) == action and f.attrs.get("method") == "post"
    ]
    return dict(form.data())


ACTIONS: dict[str, Callable[[Book], tuple[str, dict[str, Any]]]] = {
    "promise_keep": lambda b: (reverse("web:promise_keep", args=[b.promise.pk]), {}),
    "promise_break": lambda b: (reverse("web:promise_break", args=[b.promise.pk]), {}),
    "promise_drop": lambda b: (reverse("web:promise_drop", args=[b.promise.pk]), {}),
    "promise_explain": lambda b: (
        reverse("web:promise_explain", args=[b.promise.pk]),
        {"clarification": "Le serveur est tombé."},
    ),
    "invoice_paid": lambda b: (reverse("web:invoice_mark_paid", args=[b.invoice.pk]), {}),
    "invoice_renegotiate": lambda b: (
        reverse("web:invoice_renegotiate", args=[b.invoice.pk]),
        {"renegotiated_due_on": (timezone.localdate() + timedelta(days=10)).isoformat()},
    ),
    "conflict_resolve": lambda b: (
        reverse("web:conflict_resolve", args=[b.signal.pk]),
        {"resolved_on": timezone.localdate().isoformat(), "resolution": "Réglé au téléphone"},
    ),
    "client_feeling": lambda b: (
        reverse("web:client_feeling_new", args=[b.client.pk]),
        {"rating": "doubt", "note": ""},
    ),
    "status_update_sent": lambda b: (
        reverse("web:status_update_mark_sent", args=[b.client.pk]),
        {"form_token": "t-1"},
    ),
    "client_conflict_new": lambda b: (
        reverse("web:client_conflict_new", args=[b.client.pk]),
        {
            "client": b.client.pk,
            "kind": "posture",
            "severity": "3",
            "observed_on": timezone.localdate().isoformat(),
            "description": "Ton agressif",
        },
    ),
    "client_interaction_new": lambda b: (
        reverse("web:client_interaction_new", args=[b.client.pk]),
        {
            "client": b.client.pk,
            "kind": "call",
            "direction": "to_client",
            "happened_at": form_moment(),
            "summary": "Appel",
        },
    ),
    "promise_delete": lambda b: (reverse("web:promise_delete", args=[b.promise.pk]), {}),
    "invoice_delete": lambda b: (reverse("web:invoice_delete", args=[b.invoice.pk]), {}),
}


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_web_action_goes_through_the_door_once(
    alice_client: Any, alice: Any, book: Book, action: str, htmx: bool
) -> None:
    url, data = ACTIONS[action](book)
    with watching(alice) as seen:
        answer = alice_client.post(url, data, headers=HTMX if htmx else {})
    assert answer.status_code in (200, 302), answer.content[:300]
    assert_once(seen)
    assert_page_is_current(alice_client, book.client)


def test_logging_a_conflict_moves_the_header_and_the_timeline_to_the_same_score_and_band(
    alice_client: Any, alice: Any, book: Book
) -> None:
    url, data = ACTIONS["client_conflict_new"](book)
    alice_client.post(url, data, headers=HTMX)
    move = HealthChange.objects.filter(client=book.client).latest("at")
    html = alice_client.get(reverse("web:client", kwargs={"client_id": book.client.pk})).content.decode()
    panel = html[html.index('id="score-panel"') :]
    assert re.search(r'data-testid="score">([^<]*)<', panel).group(1) == str(move.new_score)
    assert f'class="band band-{move.new_band}"' in panel[: panel.index("</div>")]


def test_editing_an_item_goes_through_the_door_once_for_both_clients(
    alice_client: Any, alice: Any, book: Book
) -> None:
    other = make_client(alice, name="Sam")
    edit = reverse("web:promise_edit", args=[book.promise.pk])
    data = _form(alice_client, edit, edit) | {"client": str(other.pk), "description": "Livrer la v2"}
    with watching(alice) as seen:
        assert alice_client.post(edit, data).status_code == 302
    # One run of the door for the promise's former client and its new one: one UPDATE, one upsert.
    assert (seen.door_runs, seen.recomputes, seen.versions) == (1, 1, 1)
    assert seen.moves <= 2
    for client in (book.client, other):
        assert_page_is_current(alice_client, client)


def test_undo_and_the_trash_go_through_the_door_once(alice_client: Any, alice: Any, book: Book) -> None:
    alice_client.post(reverse("web:promise_keep", args=[book.promise.pk]))
    undo = Undo.objects.latest("pk")
    with watching(alice) as seen:
        alice_client.post(reverse("web:undo", args=[undo.pk]))
    assert_once(seen)
    assert PromiseModel.objects.get(pk=book.promise.pk).state == PromiseModel.State.OPEN
    assert_page_is_current(alice_client, book.client)

    alice_client.post(reverse("web:invoice_delete", args=[book.invoice.pk]))
    item = TrashItem.objects.latest("pk")
    with watching(alice) as seen:
        alice_client.post(reverse("web:trash_restore", args=[item.pk]))
    assert_once(seen)
    assert_page_is_current(alice_client, book.client)

    alice_client.post(reverse("web:invoice_delete", args=[book.invoice.pk]))
    item = TrashItem.objects.latest("pk")
    with watching(alice) as seen:  # a purge deletes the kept copy: the journal does not change
        alice_client.post(reverse("web:trash_delete", args=[item.pk]), {"confirm": "yes"})
    assert (seen.door_runs, seen.recomputes, seen.versions, seen.moves) == (0, 0, 0, 0)


def test_deleting_a_client_moves_the_book_version_once_and_recomputes_nothing(
    alice_client: Any, alice: Any, book: Book
) -> None:
    with watching(alice) as seen:
        alice_client.post(reverse("web:client_delete", args=[book.client.pk]))
    assert not Client.objects.filter(pk=book.client.pk).exists()
    assert (seen.door_runs, seen.recomputes, seen.versions) == (0, 0, 1)


def _client_form(http: Any, client: Client) -> dict[str, Any]:
    edit = reverse("web:client_edit", args=[client.pk])
    return _form(http, edit, edit)


def test_a_clients_name_cannot_move_a_score_and_recomputes_nothing(
    alice_client: Any, alice: Any, book: Book
) -> None:
    data = _client_form(alice_client, book.client) | {"name": "Rita Renommée"}
    with watching(alice) as seen:
        assert alice_client.post(reverse("web:client_edit", args=[book.client.pk]), data).status_code == 302
    # The dashboard draws the name: its cached rows go, but nothing is scored again.
    assert (seen.door_runs, seen.recomputes, seen.versions, seen.moves) == (0, 0, 1, 0)
    assert "Rita Renommée" in alice_client.get(reverse("web:dashboard")).content.decode()


def test_a_clients_cadence_goes_through_the_door_once(alice_client: Any, alice: Any, book: Book) -> None:
    data = _client_form(alice_client, book.client) | {"cadence_days": "3"}
    with watching(alice) as seen:
        assert alice_client.post(reverse("web:client_edit", args=[book.client.pk]), data).status_code == 302
    assert_once(seen)
    assert_page_is_current(alice_client, book.client)


def test_a_new_client_and_a_project_go_through_the_door_once(
    alice_client: Any, alice: Any, book: Book
) -> None:
    new = reverse("web:client_new")
    data = _form(alice_client, new, new) | {"name": "Nadia"}
    with watching(alice) as seen:
        assert alice_client.post(new, data).status_code == 302
    assert_once(seen)
    nadia = Client.objects.get(name="Nadia")
    assert ClientHealth.objects.filter(client=nadia).exists()

    new = reverse("web:project_new", args=[book.client.pk])
    data = _form(alice_client, new, new) | {"title": "Refonte", "status": "active"}
    with watching(alice) as seen:
        assert alice_client.post(new, data).status_code == 302
    assert_once(seen)
    project = Project.objects.get(title="Refonte")
    edit = reverse("web:project_edit", args=[project.pk])
    data = _form(alice_client, edit, edit) | {"status": "delivered"}
    with watching(alice) as seen:
        assert alice_client.post(edit, data).status_code == 302
    assert_once(seen)
    assert_page_is_current(alice_client, book.client)


def test_mark_as_sent_goes_through_the_door_once(alice_client: Any, alice: Any, book: Book) -> None:
    prepare = reverse("web:status_update_draft", kwargs={"client_id": book.client.pk})
    url = reverse("web:status_update_mark_sent", kwargs={"client_id": book.client.pk})
    data = _form(alice_client, prepare, url) | {"subject": "Point d'étape", "body": "Bonjour"}
    with watching(alice) as seen:
        alice_client.post(url, data)
    assert_once(seen)
    assert_page_is_current(alice_client, book.client)
    with watching(alice) as seen:
        # A double click: its attempt is rolled back with the form token's savepoint, so nothing moved.
        alice_client.post(url, data)
    assert (seen.versions, seen.moves) == (0, 0)
    assert Interaction.objects.filter(client=book.client, kind=Interaction.Kind.STATUS_UPDATE).count() == 1


# -- the other faces ---------------------------------------------------------------------------------------------


def test_the_api_goes_through_the_door_once_per_write(alice_client: Any, alice: Any, book: Book) -> None:
    _token, raw = AccessToken.issue(alice, "tests", AccessToken.Scope.WRITE)
    api = Browser()
    headers = {"Authorization": f"Bearer {raw}"}

    def call(method: str, path: str, body: Any = None) -> Any:
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(api, method)(f"/api{path}", **kwargs)

    today = timezone.localdate()
    with watching(alice) as seen:
        made = call(
            "post",
            "/promises",
            {"client_id": book.client.pk, "description": "Rappeler", "due_on": str(today)},
        )
    assert made.status_code == 201, made.content
    assert_once(seen)
    with watching(alice) as seen:
        assert (
            call(
                "patch", f"/promises/{made.json()['id']}", {"state": "kept", "kept_on": str(today)}
            ).status_code
            == 200
        )
    assert_once(seen)
    with watching(alice) as seen:
        assert call("delete", f"/promises/{made.json()['id']}").status_code == 204
    assert_once(seen)
    with watching(alice) as seen:
        assert call("patch", f"/clients/{book.client.pk}", {"name": "Rita API"}).status_code == 200
    assert (seen.door_runs, seen.recomputes, seen.versions) == (0, 0, 1)
    assert_page_is_current(alice_client, book.client)


def test_the_clients_answer_on_their_page_goes_through_the_door_once(
    alice_client: Any, alice: Any, book: Book
) -> None:
    page = ClientPage.objects.create(client=book.client)
    url = reverse("portal:page", kwargs={"token": page.token})
    visitor = Browser()
    html = visitor.get(url).content.decode()
    (form,) = [f for f in drawn_forms(html) if f.attrs.get("class") == "payment-date"]
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    with watching(alice) as seen:
        assert visitor.post(url, dict(form.data()) | {"new_due_on": day}).status_code == 302
    assert_once(seen)
    assert_page_is_current(alice_client, book.client)


def test_mail_capture_goes_through_the_door_once(alice_client: Any, alice: Any, book: Book) -> None:
    raw = mail(
        "rita@acme.fr", "alice@example.com", "Question", "<q@acme.fr>", timezone.now() - timedelta(hours=1)
    )
    with watching(alice) as seen:
        alice_client.post(reverse("web:mailbox_import"), {"file": SimpleUploadedFile("q.eml", raw)})
    assert Interaction.objects.filter(client=book.client, summary="Question").exists()
    assert_once(seen)
    assert_page_is_current(alice_client, book.client)


def test_the_importers_go_through_the_door_once(alice_client: Any, alice: Any, book: Book) -> None:
    with watching(alice) as seen:
        import_people(alice, [Person(1, "Atelier Neuf", name="Anne"), Person(2, "Studio Deux", name="Paul")])
    assert_once(seen)
    assert ClientHealth.objects.filter(client__name__in=["Atelier Neuf", "Studio Deux"]).count() == 2

    problems: list[Any] = []
    entries = [
        entry_from(
            1, {"type": "interaction", "date": "2026-03-01", "client": "Rita", "text": "Appel"}, problems
        ),
        entry_from(
            2,
            {"type": "interaction", "date": "2026-03-02", "client": "Atelier Neuf", "text": "Mail"},
            problems,
        ),
    ]
    resolve_clients(alice, entries, problems)
    assert problems == []
    with watching(alice) as seen:
        import_entries(alice, entries)
    assert_once(seen, clients=2)
    assert_page_is_current(alice_client, book.client)

    document = book_io.read_document("".join(book_io.json_document(alice)))
    carol = get_user_model().objects.create_user("carol", "carol@example.com", PASSWORD)
    with watching(carol) as seen:
        book_io.import_book(carol, document, lambda done: None)
    # (The export's own health moves come along as rows: only the door's three steps are counted here.)
    assert (seen.door_runs, seen.recomputes, seen.versions) == (1, 1, 1)
    assert ClientHealth.objects.filter(owner=carol).count() == Client.objects.filter(owner=carol).count() == 3


def test_the_sample_book_runs_the_door_once(alice_client: Any, bob: Any) -> None:
    http = Browser()
    http.force_login(bob)
    with watching(bob) as seen:
        assert http.post(reverse("web:sample_book")).status_code == 302
    # Once for the whole book; the weeks of history after it are a replay (`compute_trust_health`), not a change.
    assert seen.door_runs == 1
    assert seen.moves == 0
    assert ClientHealth.objects.filter(owner=bob).count() == Client.objects.filter(owner=bob).count() > 0


def test_the_admin_goes_through_the_door_once(alice: Any, book: Book) -> None:
    # The admin's own hooks, called as its change and delete views call them (its pages sit behind two-factor
    # sign-in, tested elsewhere).
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    request = type("Request", (), {"user": root})()
    with watching(alice) as seen:
        admin.site._registry[PromiseModel].delete_model(request, book.promise)
    assert_once(seen)
    model_admin = admin.site._registry[ConflictSignal]
    form = model_admin.get_form(request, book.signal, change=True)(
        instance=book.signal,
        data={
            "client": book.client.pk,
            "kind": "posture",
            "severity": 3,
            "observed_on": book.signal.observed_on.isoformat(),
            "description": "",
            "state": "open",
            "resolution": "",
            "raised_by": "freelancer",
        },
    )
    assert form.is_valid(), form.errors
    with watching(alice) as seen:
        model_admin.save_model(request, form.save(commit=False), form, True)
        model_admin.save_related(request, form, [], True)
    assert_once(seen)
    assert fresh_score(book.client.pk) == ClientHealth.objects.get(client=book.client).score


# -- the door itself ----------------------------------------------------------------------------------------------


def test_the_door_skips_deleted_clients_and_runs_once_for_many(alice: Any, book: Book) -> None:
    others = [make_client(alice) for _ in range(3)]
    gone = make_client(alice)
    gone_id = gone.pk
    Client.objects.filter(pk=gone_id).delete()
    from crm.trust.door import journal_changed

    with watching(alice) as seen:
        healths = journal_changed([book.client.pk, gone_id, *(c.pk for c in others), None, book.client.pk])
    assert [h.client_id for h in healths] == sorted([book.client.pk, *(c.pk for c in others)])
    assert (seen.door_runs, seen.recomputes, seen.versions) == (1, 1, 1)


JOURNAL_MODELS = (Interaction, PromiseModel, Invoice, ConflictSignal, Project, Feeling, Client)


def test_no_receiver_of_a_journal_model_recomputes_trust_health() -> None:
    """The door is called, never triggered: no post_save or post_delete receiver of a journal model comes from
    the trust engine, except the one that moves the book version as a client row goes (its cascade)."""
    from crm.trust import signals

    found = []
    for signal in (post_save, post_delete):
        for model in JOURNAL_MODELS:
            for receiver in signal._live_receivers(model)[0]:
                module = getattr(receiver, "__module__", "") or ""
                if module.startswith("crm.trust"):
                    found.append((signal is post_save, model.__name__, receiver.__name__))
    assert found == [(False, "Client", "client_deleted")]
    assert not {"recompute_client", "recompute_clients", "recompute_book", "journal_changed"} & set(
        vars(signals)
    )


def test_a_payment_reminder_sent_goes_through_the_door_once(alice_client: Any, alice: Any) -> None:
    from crm.reminders import outbox
    from tests.reminders.test_payment_reminder_delivery import approved_reminder

    dispatch = approved_reminder(alice, "fr")
    with watching(alice) as seen:
        assert outbox.deliver(dispatch.pk) == "sent"
    assert_once(seen)
    (logged,) = Interaction.objects.filter(client__name="Atelier Dupont")
    assert_page_is_current(alice_client, logged.client)

"""The way back, below the web: undo restores the exact previous state, the trash restores exactly what was
deleted (same ids, same values, children included), the trust health follows every step, the purge keeps 30 days."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from clients.models import Client, Contact, Project
from conflicts.models import ConflictSignal
from crm.core.ownership import owned_or_404
from crm.models import ClientHealth, HealthSnapshot, Interaction, Invoice, Promise, TrashItem, Undo
from crm.models.trash import TRASH_DAYS, UNDO_MINUTES
from crm.trash.snapshot import RestoreError, client_summary, purge, restore, to_trash
from crm.trash.tasks import purge_trash
from crm.trash.undo import UndoError, remember, remember_created, remember_deleted, take_back
from crm.trust.health import recompute_client
from tests.factories import (
    make_client,
    make_conflict,
    make_contact,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

NOW = "2026-03-10 09:00 +01:00"
PROMISE_STATE = ["state", "kept_on", "broken_on"]


def rows(model: type[Model], **filters: Any) -> list[dict[str, Any]]:
    """Return every stored column of the matching rows, ordered by id: what "exactly" means below."""
    return list(model.objects.filter(**filters).order_by("pk").values())


def health(client: Client | int) -> dict[str, Any]:
    """Return the stored trust health of `client` (what the dashboard reads), or {} when there is none."""
    found = ClientHealth.objects.filter(client_id=getattr(client, "pk", client)).values(
        "score", "band", "reasons", "components", "evidence_count"
    )
    return found[0] if found else {}


def assert_current(client: Client | int) -> None:
    """Check the stored trust health is what the formula gives for the stored history now."""
    stored = health(client)
    recompute_client(getattr(client, "pk", client))
    assert health(client) == stored


@pytest.fixture(autouse=True)
def _frozen_time() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def book(alice: Any) -> dict[str, Any]:
    """A client with a bit of everything, its trust health computed through the journal's door."""
    today = timezone.localdate()
    client = make_client(alice, name="Rita", cadence_days=14, notes="Boutique en ligne")
    project = make_project(client, budget=Decimal("4500.00"), start_on=today - timedelta(days=40))
    made = today - timedelta(days=30)
    return {
        "client": client,
        "project": project,
        "interaction": make_interaction(
            client,
            project=project,
            happened_at=timezone.now() - timedelta(days=3),
            summary="Appel de lancement",
        ),
        "kept": make_promise(
            client,
            project=project,
            made_on=made,
            due_on=today - timedelta(days=10),
            state=Promise.State.KEPT,
            kept_on=today - timedelta(days=11),
        ),
        "open": make_promise(client, project=project, made_on=made, due_on=today - timedelta(days=2)),
        "invoice": make_invoice(
            client,
            project=project,
            number="F-2026-001",
            issued_on=made,
            due_on=today - timedelta(days=1),
            renegotiated_due_on=today + timedelta(days=5),
        ),
        "paid": make_invoice(
            client, number="F-2026-000", issued_on=made, due_on=made + timedelta(days=10), paid_on=made
        ),
        "signal": make_conflict(
            client, kind=ConflictSignal.Kind.PAYMENT, severity=2, observed_on=today - timedelta(days=4)
        ),
        "snapshot": HealthSnapshot.objects.create(
            client=client, day=today - timedelta(days=1), score=61, band="watch"
        ),
    }


# -- undo ------------------------------------------------------------------------------------------------


def test_undoing_kept_restores_the_open_promise_and_its_trust_health(
    alice: Any, book: dict[str, Any]
) -> None:
    promise, client = book["open"], book["client"]
    before_row, before_health = rows(Promise, pk=promise.pk), health(client)
    undo = remember(alice, promise, PROMISE_STATE, lambda: promise.keep(timezone.localdate()))
    assert rows(Promise, pk=promise.pk)[0]["state"] == "kept"
    assert health(client) != before_health  # kept late moves the promises component
    take_back(undo)
    assert rows(Promise, pk=promise.pk) == before_row
    assert health(client) == before_health
    assert not Undo.objects.filter(pk=undo.pk).exists()  # used once


@pytest.mark.parametrize(
    ("name", "fields", "act"),
    [
        ("open", PROMISE_STATE, lambda p: p.break_(timezone.localdate())),
        ("open", ["clarification", "clarified_at"], lambda p: p.explain("Malade, prévenu la veille")),
        ("kept", PROMISE_STATE, lambda p: p.reopen()),
        ("invoice", ["paid_on"], lambda i: i.mark_paid(timezone.localdate())),
        (
            "invoice",
            ["renegotiated_due_on"],
            lambda i: i.renegotiate(timezone.localdate() + timedelta(days=30)),
        ),
        ("paid", ["paid_on"], lambda i: i.reopen()),
        (
            "signal",
            ["state", "resolved_on", "resolution"],
            lambda s: s.resolve(timezone.localdate(), "Réglé"),
        ),
    ],
)
def test_every_action_is_undone_exactly(
    alice: Any, book: dict[str, Any], name: str, fields: list[str], act: Any
) -> None:
    item, client = book[name], book["client"]
    before_row, before_health = rows(type(item), pk=item.pk), health(client)
    undo = remember(alice, item, fields, lambda: act(item))
    assert rows(type(item), pk=item.pk) != before_row
    assert_current(client)
    take_back(undo)
    assert rows(type(item), pk=item.pk) == before_row
    assert health(client) == before_health


def test_resolved_signal_reopened_then_undone(alice: Any, book: dict[str, Any]) -> None:
    signal = book["signal"]
    signal.resolve(timezone.localdate(), "Réglé au téléphone")
    before = rows(ConflictSignal, pk=signal.pk)
    undo = remember(alice, signal, ["state", "resolved_on", "resolution"], signal.reopen)
    assert rows(ConflictSignal, pk=signal.pk)[0] | {} == {
        **before[0],
        "state": "open",
        "resolved_on": None,
        "resolution": "",
    }
    take_back(undo)
    assert rows(ConflictSignal, pk=signal.pk) == before


def test_status_update_sent_is_undone_by_removing_it(alice: Any, book: dict[str, Any]) -> None:
    client = book["client"]
    before_client, before_health = rows(Client, pk=client.pk), health(client)
    update = Interaction.objects.log_status_update(client, subject="", body="", at=timezone.now())
    undo = remember_created(alice, update)
    assert rows(Client, pk=client.pk)[0]["last_status_update_at"] == timezone.now()
    take_back(undo)
    assert not Interaction.objects.filter(pk=update.pk).exists()
    after = rows(Client, pk=client.pk)
    assert after == before_client  # to the microsecond, `updated_at` included
    assert health(client) == before_health


def test_undo_expires(alice: Any, book: dict[str, Any]) -> None:
    promise = book["open"]
    undo = remember(alice, promise, PROMISE_STATE, lambda: promise.keep(timezone.localdate()))
    assert undo.expires_at == timezone.now() + timedelta(minutes=UNDO_MINUTES)
    with time_machine.travel(undo.expires_at + timedelta(seconds=1), tick=False):
        assert undo.is_expired()
        with pytest.raises(UndoError, match="too late"):
            take_back(undo)
    assert rows(Promise, pk=promise.pk)[0]["state"] == "kept"  # nothing rewound
    with time_machine.travel(undo.expires_at, tick=False):
        take_back(undo)  # still valid at its last second
    assert rows(Promise, pk=promise.pk)[0]["state"] == "open"


def test_undo_never_overwrites_a_later_change(alice: Any, book: dict[str, Any]) -> None:
    promise = book["open"]
    undo = remember(alice, promise, PROMISE_STATE, lambda: promise.keep(timezone.localdate()))
    promise.refresh_from_db()
    promise.reopen()
    promise.break_(timezone.localdate())
    with pytest.raises(UndoError, match="changed since"):
        take_back(undo)
    assert rows(Promise, pk=promise.pk)[0]["state"] == "broken"


def test_undo_twice_undoes_once(alice: Any, book: dict[str, Any]) -> None:
    promise = book["open"]
    undo = remember(alice, promise, PROMISE_STATE, lambda: promise.keep(timezone.localdate()))
    take_back(undo)
    with pytest.raises(UndoError, match="too late"):
        take_back(undo)


def _expire(undo: Undo) -> None:
    Undo.objects.filter(pk=undo.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def _change(undo: Undo) -> None:
    Promise.objects.filter(pk=undo.object_id).update(
        state=Promise.State.BROKEN, kept_on=None, broken_on=timezone.localdate()
    )


def _delete(undo: Undo) -> None:
    Promise.objects.filter(pk=undo.object_id).delete()


@pytest.mark.parametrize(
    ("spoil", "reason"), [(_expire, "too late"), (_change, "changed since"), (_delete, "deleted since")]
)
@pytest.mark.parametrize("locked", [True, False], ids=["read-locked", "as-remembered"])
def test_a_refused_undo_writes_nothing_and_leaves_the_transaction_usable(
    alice: Any, book: dict[str, Any], spoil: Any, reason: str, locked: bool
) -> None:
    """take_back checks everything before its first write and opens no savepoint: a refusal must leave the
    caller's transaction (the request's) as it was, and usable."""
    promise = book["open"]
    undo = remember(alice, promise, PROMISE_STATE, lambda: promise.keep(timezone.localdate()))
    spoil(undo)
    before = rows(Promise, pk=promise.pk), rows(Undo), health(book["client"])
    with transaction.atomic():  # as the request's transaction
        if locked:  # as the undo view reads it
            undo = owned_or_404(Undo, alice, for_update=True, pk=undo.pk)
        with pytest.raises(UndoError, match=reason):
            take_back(undo)
        # A query still runs (a refusal raised inside a block without savepoint would forbid it), and the undo
        # is still stored: nothing was claimed.
        assert (rows(Promise, pk=promise.pk), rows(Undo), health(book["client"])) == before


def test_reopen_refuses_an_open_record(book: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    for item in (book["open"], book["invoice"], book["signal"]):
        with pytest.raises(ValidationError):
            item.reopen()


# -- trash -----------------------------------------------------------------------------------------------


def _whole_book(client: Client | int) -> dict[str, list[dict[str, Any]]]:
    client = Client(pk=getattr(client, "pk", client))
    return {
        "client": rows(Client, pk=client.pk),  # `updated_at` included: a restore puts back what was there
        "projects": rows(Project, client_id=client.pk),
        "interactions": rows(Interaction, client_id=client.pk),
        "promises": rows(Promise, client_id=client.pk),
        "invoices": rows(Invoice, client_id=client.pk),
        "signals": rows(ConflictSignal, client_id=client.pk),
        "snapshots": rows(HealthSnapshot, client_id=client.pk),
    }


def test_client_summary_counts_what_goes_with_it(book: dict[str, Any]) -> None:
    make_contact(book["client"], name="Compta", email="compta@example.org")
    contacts = Contact.objects.filter(client=book["client"]).count()
    assert contacts >= 1
    assert client_summary(book["client"]) == {
        "contacts": contacts,
        "projects": 1,
        "interactions": 1,
        "promises": 2,
        "invoices": 2,
        "conflict_signals": 1,
    }


def test_deleted_client_is_restored_exactly_with_its_children(alice: Any, book: dict[str, Any]) -> None:
    client = book["client"].pk  # a deleted instance loses its id: keep it
    before, before_health = _whole_book(client), health(client)
    item = to_trash(book["client"], alice)
    assert not Client.objects.filter(pk=client).exists()
    assert all(not r for r in _whole_book(client).values())
    assert health(client) == {}  # its trust health went with it
    assert item.counts == {
        "contacts": 0,
        "projects": 1,
        "interactions": 1,
        "promises": 2,
        "invoices": 2,
        "conflict_signals": 1,
    }
    restored = restore(item)
    assert restored.pk == client
    assert _whole_book(client) == before
    assert health(client) == before_health
    assert not TrashItem.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("name", ["interaction", "open", "kept", "invoice", "paid", "signal"])
def test_each_deleted_record_is_restored_exactly(alice: Any, book: dict[str, Any], name: str) -> None:
    item, client, pk = book[name], book["client"], book[name].pk
    model = type(item)
    before, before_health, before_client = rows(model, pk=pk), health(client), rows(Client, pk=client.pk)
    trashed = to_trash(item, alice)
    assert rows(model, pk=pk) == []
    assert_current(client)  # recomputed without it
    restore(trashed)
    assert rows(model, pk=pk) == before
    assert health(client) == before_health
    # The contact clocks come back too (an interaction's delete moved them).
    keep = ("last_contact_at", "last_status_update_at")
    assert [{k: r[k] for k in keep} for r in rows(Client, pk=client.pk)] == [
        {k: r[k] for k in keep} for r in before_client
    ]


def test_deleted_project_is_restored_and_linked_back(alice: Any, book: dict[str, Any]) -> None:
    project, client = book["project"], book["client"]
    before = _whole_book(client)
    item = to_trash(project, alice)
    assert Promise.objects.filter(client=client, project__isnull=False).count() == 0  # unlinked, not deleted
    assert Promise.objects.filter(client=client).count() == 2
    restore(item)
    assert _whole_book(client) == before


def test_restore_refuses_what_cannot_be_put_back_exactly(alice: Any, book: dict[str, Any]) -> None:
    invoice, client = book["invoice"], book["client"]
    item = to_trash(invoice, alice)
    make_invoice(client, number="F-2026-001")  # the number is used again meanwhile
    with pytest.raises(RestoreError):
        restore(item)
    assert TrashItem.objects.filter(pk=item.pk).exists()  # nothing half-written: still in the trash
    promise_item = to_trash(book["open"], alice)
    to_trash(Client.objects.get(pk=client.pk), alice)
    with pytest.raises(RestoreError, match="restore the client first"):
        restore(promise_item)


def test_undo_of_a_delete_restores_from_the_trash(alice: Any, book: dict[str, Any]) -> None:
    client = book["client"].pk
    before, before_health = _whole_book(client), health(client)
    undo = remember_deleted(alice, to_trash(book["client"], alice))
    take_back(undo)
    assert _whole_book(client) == before
    assert health(client) == before_health
    assert not TrashItem.objects.exists()


def test_purge_keeps_thirty_days(alice: Any, book: dict[str, Any]) -> None:
    item = to_trash(book["open"], alice)
    undo = remember(alice, book["kept"], PROMISE_STATE, book["kept"].reopen)
    deleted = item.deleted_at
    with time_machine.travel(deleted + timedelta(days=TRASH_DAYS), tick=False):
        assert purge(timezone.now()) == {
            "trash_items": 0,
            "undos": 1,
            "form_tokens": 0,
        }  # the undo is past its time
        assert TrashItem.objects.filter(pk=item.pk).exists()  # 30 days to the second: still restorable
    with time_machine.travel(deleted + timedelta(days=TRASH_DAYS, seconds=1), tick=False):
        assert purge_trash() == {"trash_items": 1, "undos": 0, "form_tokens": 0}  # the beat task's body
    assert not TrashItem.objects.exists()
    assert not Undo.objects.filter(pk=undo.pk).exists()


def test_purge_runs_nightly_from_the_beat_schedule(settings: Any) -> None:
    from config.celery import app

    entries = [
        entry for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] == "crm.purge_trash"
    ]
    assert len(entries) == 1
    app.loader.import_default_modules()
    assert "crm.purge_trash" in app.tasks


def test_times_come_back_to_the_microsecond(alice: Any, book: dict[str, Any]) -> None:
    """Django's JSON encoder cuts times to the millisecond: neither an undo nor a restore may."""
    client, promise = book["client"], book["open"]
    at = timezone.now() - timedelta(days=1, microseconds=123457)
    interaction = make_interaction(client, happened_at=at, summary="Au millionième")
    promise.explain("Premier mot", at=at)
    before_promise = rows(Promise, pk=promise.pk)
    with time_machine.travel(timezone.now() + timedelta(microseconds=654321), tick=False):
        undo = remember(
            alice, promise, ["clarification", "clarified_at"], lambda: promise.explain("Second mot")
        )
        take_back(undo)  # the "after" time matches to the microsecond, so the undo runs
    assert rows(Promise, pk=promise.pk) == before_promise
    client_id = client.pk
    before = _whole_book(client_id)
    restore(to_trash(client, alice))
    assert _whole_book(client_id) == before
    assert rows(Interaction, pk=interaction.pk)[0]["happened_at"] == at

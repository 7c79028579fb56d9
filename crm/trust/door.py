"""The journal's one door: every change to a client's history goes through `journal_changed`, once.

A path that changes the journal (a one-click action, a form, an edit or a delete, an undo, a restore, an import,
mail capture, the client's page, the payment follow-up, the API, the admin, the sample book) writes its rows, then
calls `journal_changed(client_ids)` itself, once per request or operation. The door then, in this order:

1. refreshes the clients' denormalised contact times (`last_contact_at`, `last_status_update_at`) from their
   interactions: read with the clients' rows, scored as read, and written back with step 4's column;
2. recomputes their trust health through the batch loader (`crm.trust.health.recompute_clients`: one client or
   thousands, the same few queries per batch: the clients, then their whole history in one read) and writes each
   move of the score as a `HealthChange` for the timeline;
3. moves the owners' `Profile.book_version` once (one UPDATE), so every cached region of those books is drawn
   again, and records with it which clients the move stands for (`Profile.book_changed_clients`), so the
   dashboard's week of work reads again those clients only;
4. brings the sweep's "next step at" columns of these clients and their invoices up to date
   (`crm.payments.due.clients_changed`: `Client.status_update_listed_at`, `Invoice.next_reminder_at`), so the
   every-minute sweep reads only what is due: counted from what step 2 read (no read of its own), and written,
   for the clients whose clocks or column moved, in one UPDATE of the clients per batch with the clocks (none
   when only a promise changed and its client's column stays).
Clients deleted meanwhile are skipped; their owner's book version moves with the deletion itself
(`crm.trust.signals`, the one receiver left, which recomputes nothing).

Why a call and not the model verbs or `post_save`: the models are the bottom of `crm` and import no behaviour
(`tests/test_architecture.py`), so `Promise.keep` cannot call trust without an import circle; and a receiver is an
effect no import shows, which ran once per saved row (a restore of a client's journal, an invoice whose save moved
its promises: many recomputes for one click). So the verbs stay pure state changes, and the one place each face
applies them calls the door: a reader follows a click to its effect through imports alone
(`crm.web.views.actions` imports `crm.trust.door`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Q

from clients.models import Client, Profile, Project
from crm.models import ClientHealth
from crm.payments import due
from crm.trust.health import recompute_clients

# The columns of a client and of a project the formula reads (`crm.trust.health._client_rows` and the active
# projects' start): a save that changes none of them cannot move a score (a name, a language, a note).
SCORED_FIELDS: dict[type, frozenset[str]] = {
    Client: frozenset({"cadence_days", "status"}),
    Project: frozenset({"client", "status", "start_on"}),
}
# A client's own payment reminder days: they move its invoices' `next_reminder_at` (`crm.payments.due`), no score.
REMINDER_FIELDS = frozenset({"reminder_courteous_days", "reminder_firm_days", "reminder_notice_days"})


def journal_changed(client_ids: Iterable[int | None], *, now: datetime | None = None) -> list[ClientHealth]:
    """Bring everything derived from these clients' journals up to date; return their new trust health.

    See the module's docstring for the three steps. `now` is the moment scored (tests and replays pass it).
    """
    ids = sorted({client_id for client_id in client_ids if client_id is not None})
    if not ids:
        return []
    # The sweep's "next step at" columns, counted from what the recompute read (it reads nothing more), and
    # written with the contact clocks: read by the nudges and the payment planner.
    read = due.Read()
    healths = recompute_clients(ids, now, contact_times=True, sweep=read)
    due.clients_changed(ids, read)
    return healths


def moves_a_score(record: Any, changed: Iterable[str] | None) -> bool:
    """Return whether saving `record` (a client or a project) with these fields changed can move a score: a new
    record (`changed` None), or one of its `SCORED_FIELDS` (named as fields or as their `_id` columns)."""
    if changed is None:
        return True
    names = {name.removesuffix("_id") for name in changed}
    return bool(names & SCORED_FIELDS[type(record)])


def record_saved(
    record: Client | Project, changed: Iterable[str] | None, *, was_client_id: int | None = None
) -> None:
    """A client's or a project's row was saved (created when `changed` is None; a project moved from client
    `was_client_id`): through the door when the change can move a score, else only the owner's book version
    moves (the dashboard and the workspace draw its name)."""
    client = record if isinstance(record, Client) else record.client
    if moves_a_score(record, changed):
        journal_changed([was_client_id, client.pk])
    else:
        if isinstance(record, Client) and (changed is None or REMINDER_FIELDS & set(changed)):
            # The client's own reminder days: when its invoices' next reminders are prepared.
            due.refresh_invoices(Q(client_id=client.pk))
        Profile.book_changed([client.owner_id], [client.pk])


__all__ = ["SCORED_FIELDS", "journal_changed", "moves_a_score", "record_saved"]

"""Query budgets for every page and action, at two book sizes: the same budget holds for 3 clients and for 40.

A count that grows with the book is an N+1: the budget stays where it is and the row is marked xfail (strict),
naming the query that repeats, until the view is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clients.forms import ClientForm, ProjectForm
from clients.models import AccessToken, Client, Contact, Project, hash_token
from conflicts.models import ConflictSignal
from crm.dataio.imports import receive
from crm.models import (
    BookImport,
    CheckIn,
    ClientHealth,
    ClientPage,
    EvidencePack,
    HealthChange,
    HealthSnapshot,
    Interaction,
    Invoice,
    PaymentReminder,
    Promise,
    Recap,
    RecapLine,
    ScopeChange,
)
from crm.reminders.calendar import feed_token
from crm.reminders.emails import preferences_token
from crm.trust.health import recompute_book
from tests.factories import PASSWORD

NOW = "2026-03-10 09:00 +01:00"
IMPORTED = b"Client;Contact;E-mail\nAtelier Neuf;Anne;anne@neuf.fr\nAtelier Neuf;Paul;paul@neuf.fr\n"
SIZES = {"small": 3, "large": 40}

# The most queries each visit may run, whatever the size of the book: the counts measured at commit 92f6fbb
# with 3 and with 40 clients, the same on SQLite and PostgreSQL. Every logged-in request starts with 3 (session,
# user, profile for ProfileLocaleMiddleware). Saving a journal entry adds ~10 through the journal's door, crm.trust.door (contact clocks,
# one batched rescore of its client: a query per journal, whatever the history; the owner's book version), and
# model validation adds 3
# per CheckConstraint (savepoint, check, release). Each comment names the query per row the budget keeps out.
# Since the history of records (django-simple-history): each saved record adds exactly one INSERT (its history row),
# and a save that moves its client's trust health one more (the HealthChange row of the timeline): here every
# rescore moves it, rita's score being set to 1 by `build_book`. The budgets below say "+1"/"+2" where they rose.
# Every one-click action also stores its Undo row (one INSERT; "status update sent" wraps the log and its undo
# in one transaction: a savepoint more).
# Since issue 23 (writes that do only their work): check constraints are validated in Python from their own
# condition (crm/core/checks.py: -3 per CheckConstraint), a foreign key whose object the form loaded is not looked
# up again (-1 each), a client's primary contact is written only when its address changed, and the forms' old
# one-time tokens are forgotten by the nightly purge (-1 per post with a token). The comments below predate it.
# Since the payment follow-up (issue 17): deleting an interaction unlinks the payment reminder that logged it (+1),
# deleting an invoice (or a client, or the account) collects its payment reminders too (+2, +3, +2).
# Since the sweep's "next step at" columns (issue 23, crm/payments/due.py): the door reads its clients with their open
# invoices and those invoices' reminders (one query) and writes a column that moved (an UPDATE per column, when a
# status update, a payment, a due date or a reminder's decision moves it; `build_book` writes some rows with
# `update()`, so the first door call here moves them): "+N the sweep's columns" below.
# Since the door's one read (issue 23, crm/trust/health.py `_history`): the door reads a client's whole history (absences,
# projects, promises, invoices, conflicts, scope changes, check-ins, interactions, snapshots, the open invoices'
# reminders) in one UNION ALL, the sweep's columns are counted from what it read (no read of their own), and the
# contact clocks that moved are written with the client's "listed at" column in one UPDATE: "-7" / "-8" below.
BUDGETS: dict[str, int] = {
    # The API (crm/api): the token (one query with its owner and profile) and its last use (one UPDATE a minute),
    # then the page in one query (limit + 1 rows, no count).
    "api_tokens": 4,  # a query per token listed
    "api_tokens_post": 7,  # the form validated, then the token validated again as `issue` saves it (3 per constraint, unique hash, owner), inserted, the list read
    "api_clients": 3,  # a query per client
    "api_client": 3,
    "api_promises": 3,  # a query per promise
    "api_promises_updated_since": 3,  # the history read as a subquery, not per row
    "api_health": 3,  # a query per client's health for its client
    "api_client_health": 3,
    "api_promise_create": 14,  # full_clean (3 per CheckConstraint) and the client rescored, as the web's post; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    # The full page reads the freelancer's undelivered reminders (one indexed query): +1 since issue 12; and
    # whether the book is empty or holds the sample book (one DISTINCT on the owner's clients): +1 since issue 14.
    "dashboard": 15,  # a query per board row for its trust health, or per item of the week's work for its client; +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +1 the concerns clients raised on their pages (issue 26); +1 the recaps to clarify (issue 26)
    "dashboard_board_htmx": 12,  # the same, for the board region refreshed by htmx; +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door)
    "dashboard_filtered": 16,  # +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +1 the concerns clients raised on their pages (issue 26); +1 the recaps to clarify (issue 26)
    "guide": 3,  # the session, the user and the profile  # the same, filtered by band and status
    "clients_by_score": 5,  # a query per client row for its trust health (score, band, sparkline, reason)
    "clients_by_name": 5,  # the same, sorted by name
    "clients_by_last_contact": 5,  # the same, sorted by last contact
    "clients_filtered": 5,  # the same, filtered by band, status and a search
    "clients_results_htmx": 5,  # the same, for the results region refreshed by htmx
    "workspace": 21,  # a query per timeline row for its event or client, or per project; forms load when opened; +2 trust-health moves (newest rows, the page's); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +1 the client's check-ins in the timeline (issue 26)
    "workspace_score_panel_htmx": 5,  # a query per reason for the event it links to
    "workspace_timeline_htmx": 17,  # a query per timeline row (the count, each journal's newest rows, the page); +2 trust-health moves (newest rows, the page's); +1 the client's check-ins (issue 26)
    "workspace_timeline_page_2": 19,  # the same on a later page: the five journals are merged and paged in SQL; +2 trust-health moves (newest rows, the page's); +1 the client's absences; +1 the client's check-ins (issue 26)
    "workspace_timeline_page_2_htmx": 15,  # the same, for the timeline region refreshed by htmx; +2 trust-health moves (newest rows, the page's); +1 the client's check-ins (issue 26)
    "promises_due": 5,  # a query per promise row for its client
    "promises_overdue": 5,  # the same
    "promises_kept": 5,  # the same
    "promises_broken": 5,  # the same
    "promises_searched": 5,  # the same, searched by client
    "promises_results_htmx": 5,  # the same, for the results region refreshed by htmx
    "invoices_unpaid": 5,  # a query per invoice row for its client
    "invoices_overdue": 5,  # the same
    "invoices_paid": 5,  # the same
    "invoices_results_htmx": 5,  # the same, for the results region refreshed by htmx
    "conflicts_open": 5,  # a query per conflict-signal row for its client
    "conflicts_resolved": 5,  # the same
    "conflicts_results_htmx": 5,  # the same, for the results region refreshed by htmx
    "interaction_detail": 5,  # a second query for the event's client; +1 its history (one query)
    "promise_detail": 5,  # the same; +1 its history (one query)
    "invoice_detail": 7,  # the same; +1 its history (one query); +2 its payment reminders and the late-payment rates
    "conflict_detail": 5,  # the same; +1 its history (one query)
    "client_new_form": 3,  # anything read from the book to show an empty form
    "client_new_post": 10,  # the new client's "not enough history" trust health written at once, not the book; +1 history row; +9 the three payment checks (type, reminder days); +2 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "client_rename_post": 8,  # its name only: no rescore, no primary contact to write (the address as read); -2 the form token claimed with its address in one statement, no savepoint; -1 the client read once, under its lock, not again by the form (issue 23)
    "client_edit_post": 17,  # the client rescored event by event after its cadence may have changed; +2 history row, health move; +4 contacts; +9 the three payment checks; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "client_edit_form": 5,  # anything read per client of the book; +1 its history (one query)
    "project_new_form": 5,  # a query per client choice of the select
    "project_new_post": 14,  # the same, and the client rescored event by event after the save; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "project_edit_form": 6,  # a query per client choice of the select; +1 its history (one query)
    "project_rename_post": 9,  # as a browser posts it (its token, its drawn state): its title only, no rescore; 12 before issue 23 (the token claimed with its address in one statement, no savepoint: -2; the project read once, under its lock: -1)
    "project_edit_post": 8,  # the same, and the client rescored event by event after the save; +2 history row, health move
    "interaction_new_anywhere_form": 6,  # a query per client or project choice of the selects
    "interaction_new_anywhere_post": 14,  # the client rescored, or its contact clocks moved, event by event; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "interaction_new_anywhere_post_htmx": 17,  # the same, and a query per choice of the fresh form; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "interaction_new_workspace_form": 6,  # a query per project choice of the client's select
    "interaction_new_workspace_post": 15,  # the client rescored, or its contact clocks moved, event by event; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "interaction_new_workspace_post_htmx": 17,  # the same, and a query per choice of the fresh form; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "promise_new_anywhere_form": 5,  # a query per client or project choice of the selects
    "promise_new_anywhere_post": 14,  # the client rescored event by event after the save; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "promise_new_anywhere_post_htmx": 16,  # the same, and a query per choice of the fresh form; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "promise_new_workspace_form": 5,  # a query per project choice of the client's select
    "promise_new_workspace_post": 15,  # the client rescored event by event after the save; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "promise_new_workspace_post_htmx": 16,  # the same, and a query per choice of the fresh form; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "invoice_new_anywhere_form": 5,  # a query per client or project choice of the selects
    "invoice_new_anywhere_post": 16,  # the same rescoring, and the number checked against each invoice; +2 history row, health move; +4 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "invoice_new_anywhere_post_htmx": 18,  # the same, and a query per choice of the fresh form; +2 history row, health move; +4 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "invoice_new_workspace_form": 5,  # a query per project choice of the client's select
    "invoice_new_workspace_post": 17,  # the same rescoring, and the number checked against each invoice; +2 history row, health move; +4 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "invoice_new_workspace_post_htmx": 18,  # the same, and a query per choice of the fresh form; +2 history row, health move; +4 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "conflict_new_anywhere_form": 4,  # a query per client choice of the select
    "conflict_new_anywhere_post": 12,  # the client rescored event by event after the save; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "conflict_new_anywhere_post_htmx": 13,  # the same, and a query per choice of the fresh form; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "conflict_new_workspace_form": 4,  # anything read per client of the book
    "conflict_new_workspace_post": 13,  # the client rescored event by event after the save; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "conflict_new_workspace_post_htmx": 13,  # the same; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "promise_keep": 14,  # the client rescored event by event after the change; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 the promise's verb refuses before it writes, so it saves without a savepoint of its own (crm.web.views.actions._run, issue 23)
    "promise_keep_htmx": 14,  # the same, and the re-rendered item reading its client again; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 the promise's verb refuses before it writes, so it saves without a savepoint of its own (crm.web.views.actions._run, issue 23)
    "promise_break": 13,  # the client rescored event by event after the change; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 the promise's verb refuses before it writes, so it saves without a savepoint of its own (crm.web.views.actions._run, issue 23)
    "promise_break_htmx": 13,  # the same, and the re-rendered item reading its client again; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 the promise's verb refuses before it writes, so it saves without a savepoint of its own (crm.web.views.actions._run, issue 23)
    "promise_explain": 14,  # the client rescored event by event after the change; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 the promise's verb refuses before it writes, so it saves without a savepoint of its own (crm.web.views.actions._run, issue 23)
    "promise_explain_htmx": 14,  # the same, and the re-rendered item reading its client again; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 the promise's verb refuses before it writes, so it saves without a savepoint of its own (crm.web.views.actions._run, issue 23)
    "invoice_paid": 17,  # the client rescored event by event after the change; +2 history row, health move; +1 undo row; +1 the client's promises to pay it, kept or reopened with it; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "invoice_paid_htmx": 17,  # the same, and the re-rendered item reading its client again; +2 history row, health move; +1 undo row; +1 the client's promises to pay it, kept or reopened with it; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "invoice_renegotiate": 16,  # the client rescored event by event after the change; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "invoice_renegotiate_htmx": 16,  # the same, and the re-rendered item reading its client again; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "conflict_resolve": 16,  # the same rescoring; resolve() runs full_clean (4 constraints: 12 queries); +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "conflict_resolve_htmx": 16,  # the same, and the re-rendered item reading its client again; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "status_update_sent": 17,  # the contact clocks moved, or the client rescored, event by event; +2 history row, health move; +1 undo row (written under the form token's savepoint: no savepoint of its own); +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23)
    "status_update_sent_htmx": 17,  # the same; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23)
    "status_update_draft": 11,  # a query per delivery for its project, or per open promise or project; +1 the client's page link (crm/portal); +1 is a mailbox connected (send from the app)
    "status_update_draft_htmx": 11,  # the same, for the draft region
    "status_update_mark_sent": 17,  # the contact clocks moved, or the client rescored, event by event; +2 history row, health move; +1 undo row (issue 21: one action, with undo everywhere); +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23)
    "status_update_mark_sent_htmx": 17,  # the same; +2 history row, health move; +1 undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23)
    "interaction_edit": 7,  # a query per project or client offered by the form's selects
    "interaction_edit_htmx": 7,  # a query per project or client offered by the form's selects
    "interaction_edit_post": 14,  # a query per event when the client is rescored; validation runs every CheckConstraint (3 each); +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23)
    "interaction_edit_post_htmx": 15,  # a query per event when the client is rescored; validation runs every CheckConstraint (3 each); +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +1 the call's recap its item draws (issue 26); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23)
    "interaction_delete": 4,  # anything read from the book to ask before deleting
    "interaction_delete_post": 22,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +1 the captured email pointing at it; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +2 its recap and the recap lines its correction is (issue 26, collected); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "interaction_delete_post_htmx": 22,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +1 the captured email pointing at it; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +2 its recap and the recap lines its correction is (issue 26, collected); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "promise_edit": 6,  # a query per project or client offered by the form's selects
    "promise_edit_htmx": 6,  # a query per project or client offered by the form's selects
    "promise_edit_post": 14,  # a query per event when the client is rescored; validation runs every CheckConstraint (3 each); +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "promise_edit_post_htmx": 14,  # a query per event when the client is rescored; validation runs every CheckConstraint (3 each); +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "promise_delete": 4,  # anything read from the book to ask before deleting
    "promise_delete_post": 18,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +1 its recap line (issue 26, collected); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "promise_delete_post_htmx": 18,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +1 its recap line (issue 26, collected); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "invoice_edit": 6,  # a query per project or client offered by the form's selects
    "invoice_edit_htmx": 6,  # a query per project or client offered by the form's selects
    "invoice_edit_post": 15,  # a query per event when the client is rescored; validation runs every CheckConstraint (3 each); +2 history row, health move; +2 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "invoice_edit_post_htmx": 15,  # a query per event when the client is rescored; validation runs every CheckConstraint (3 each); +2 history row, health move; +2 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "invoice_delete": 4,  # anything read from the book to ask before deleting
    "invoice_delete_post": 18,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +1 the client's promises to pay it lose their link (SET NULL); +1 the sweep's columns through the door (issue 23); +2 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "invoice_delete_post_htmx": 18,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +1 the client's promises to pay it lose their link (SET NULL); +1 the sweep's columns through the door (issue 23); +2 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "conflict_edit": 5,  # a query per project or client offered by the form's selects
    "conflict_edit_htmx": 5,  # a query per project or client offered by the form's selects
    "conflict_edit_post": 14,  # a query per event when the client is rescored; validation runs every CheckConstraint (3 each); +2 history row, health move; +2 the sweep's columns through the door (issue 23); +2 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "conflict_edit_post_htmx": 14,  # a query per event when the client is rescored; validation runs every CheckConstraint (3 each); +2 history row, health move; +2 the sweep's columns through the door (issue 23); +2 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "conflict_delete": 4,  # anything read from the book to ask before deleting
    "conflict_delete_post": 17,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "conflict_delete_post_htmx": 17,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "client_delete": 5,  # what goes with the client (its contacts, projects and journal) counted in one query
    "client_delete_post": 62,  # a query per child row when keeping it in the trash (one SELECT per kind); +5: the client's own "deleted" history row, its feelings and the new kinds collected; +3 payment reminders; +2 its client's page; +5 mail capture; +1 promises to pay an invoice unlinked; +2 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +3 the scope changes kept in the trash (issue 26); +1 its evidence packs collected (issue 26; never kept in the trash); +1 the clients' check-ins (issue 26); +8 its recaps and their lines (issue 26); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "project_delete": 4,  # anything read from the book to ask before deleting
    "project_delete_post": 26,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +2 the client's absences (issue 22: the board's status updates, the sweep's column through the door); +2 the project's scope changes kept in the trash (issue 26); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "promise_reopen": 14,  # a query per event when the client is rescored; the undo row: 1 INSERT; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +2 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 the promise's verb refuses before it writes, so it saves without a savepoint of its own (crm.web.views.actions._run, issue 23)
    "promise_reopen_htmx": 14,  # a query per event when the client is rescored; the undo row: 1 INSERT; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +2 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -2 the promise's verb refuses before it writes, so it saves without a savepoint of its own (crm.web.views.actions._run, issue 23)
    "invoice_reopen": 18,  # a query per event when the client is rescored; the undo row: 1 INSERT; +2 history row, health move; +1 the client's promises to pay it, kept or reopened with it; +4 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "invoice_reopen_htmx": 18,  # a query per event when the client is rescored; the undo row: 1 INSERT; +2 history row, health move; +1 the client's promises to pay it, kept or reopened with it; +4 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "conflict_reopen": 16,  # a query per event when the client is rescored; the undo row: 1 INSERT; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "conflict_reopen_htmx": 16,  # a query per event when the client is rescored; the undo row: 1 INSERT; +2 history row, health move; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "undo": 12,  # a query per event when the client is rescored after the previous values are back; +2 history row, health move; +1 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -1 the client not read to copy its owner when the save writes no owner (clients.models.OwnedThroughClient, issue 23); -2 the checks before the first write, which needs no savepoint of its own (crm.trash.undo.take_back, issue 23)
    "undo_htmx": 12,  # a query per event when the client is rescored after the previous values are back; +2 history row, health move; +1 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -1 the client not read to copy its owner when the save writes no owner (clients.models.OwnedThroughClient, issue 23); -2 the checks before the first write, which needs no savepoint of its own (crm.trash.undo.take_back, issue 23)
    "trash": 5,  # a query per trash item (its rows are deferred: never read to list them)
    "trash_restore": 15,  # a query per restored row (one bulk INSERT per kind) or per event when rescoring; +1 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "trash_delete": 4,  # anything read from the book to delete one trash item
    "trash_delete_post": 6,  # a query per event when the client is rescored; the trash item and its undo: 2 INSERTs
    "payment_reminders": 6,  # a query per reminder for its invoice, client or the late-payment rates
    "payment_reminder_send": 13,  # anything read per reminder of the book when one is sent or stopped; +3 the sweep's columns through the door (issue 23)
    "payment_reminder_skip": 8,  # anything read per reminder of the book when one is skipped; +3 the sweep's columns through the door (issue 23)
    "calendar_settings": 3,  # anything read from the book to show the feed's address
    "calendar_rotate_confirm": 3,  # the same, when asked to confirm replacing the address
    "calendar_rotate": 4,  # the same, when the address is replaced
    "calendar_feed": 4,  # a query per open promise for its client, or per client for its cadence; +1 the clients' absences (their due days)
    "email_preferences": 1,  # anything but the profile read, from an emailed link
    "email_preferences_post": 2,  # the same, when the preferences are saved
    "email_unsubscribe_one_click": 2,  # the same, for a mail client's one-click unsubscribe
    "profile": 3,  # anything read from the book to show the settings
    "business": 4,  # the 3 of a logged-in request, is there a logo: nothing read from the book
    "business_post": 4,  # the 3 of a logged-in request, the profile's identity saved in one UPDATE
    "business_start_post": 4,  # the 3 of a logged-in request, the two names saved in one UPDATE
    "profile_post": 4,  # a query per client of the book when the language or the time zone changes; +3 the reminder days check
    "account_delete": 3,  # anything read from the book to ask for the password
    "account_delete_post": 124,  # a query per row of the book: one DELETE per table instead (clients/account.py); feelings, trash items, undos and form tokens are tables of the book too; +4 with the API tokens (account.py's DELETE and the user's cascade; counted after merging contacts and the API); +2 payment reminders; +3 the clients' pages; +6 mail capture; +9 the account's security (issue 25): two-factor devices, their recovery codes and the sessions list (one DELETE each, looked at again by the user's cascade), and the logout's removal of its session row; +3 axes' logs (a DELETE of the failure log and of the access log that name the account, and the logout's UPDATE of the access log); +2 the business logo (issue 24: its DELETE, and the user's cascade looking for one); +6 the absences (issue 22: their table and its history, each DELETE and cascade); +6 the scope changes (issue 26: their table and its history, each DELETE and cascade); +3 the evidence packs (issue 26: a DELETE through the clients, one through the owner, the user's cascade looking for one); +3 the clients' check-ins (issue 26: their table, each DELETE and cascade); +12 the recaps and their lines (issue 26: two tables and their histories)
    "client_page": 11,  # the page and its client, owner and profile in one query, then one per section: a query per promise or invoice row kept out; +1 is there a logo (issue 24: kept out of the profile every request loads); +1 the projects' scope changes with their projects (issue 26: a query per change for its project kept out); +2 what the client said (issue 26: check-ins and concerns, one query each); +2 the recaps and their lines (issue 26)
    # A project's scope and its changes (issue 26, crm/web/views/scope.py, crm/portal/scope.py).
    "project": 5,  # the 3 of a logged-in request, the project with its client, its changes: a query per change kept out
    "scope_change_new_post": 13,  # the change validated (checks in Python) and inserted with its history row, the one-time token, the client rescored through the door; -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "scope_change_accept": 13,  # the change read with its project and client, decided and applied (the project's budget and due date, history rows), the client rescored through the door; -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "client_page_scope_accept": 13,  # the page, the change among the client's waiting ones, decided and applied, the one-time token, the client rescored through the door; -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -1 the client not read to copy its owner when the save writes no owner (clients.models.OwnedThroughClient, issue 23)
    "client_page_confirm_date": 17,  # the form's checks, the invoice locked, its renegotiation and the client's promise (history rows), the client rescored event by event, the one-time token; +4 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "client_page_preview": 15,  # the 3 of a logged-in request, the client with its owner, its page, one per section; +1 is there a logo; +1 the scope changes (issue 26); +2 what the client said (issue 26); +2 the recaps and their lines (issue 26)
    # The client's voice (issue 26): the page reads the client's check-ins and concerns (+2, one query each); an
    # answer is the form's one-time token, its row, and the client through the journal's door (the check-ins read
    # with the conflict signals: no query more); a concern also writes the freelancer's alert in the outbox.
    "client_page_check_in": 9,  # the page by its link, the one-time token looked up and claimed, the row, the door; -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "client_page_concern": 14,  # the same, the signal's checks and history row, and the alert's outbox row; -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "client_page_check_in_withdraw": 10,  # the page, the check-in (of this page's client only), its UPDATE, the door; -7 the door's one read of the history, the sweep's columns counted from it (issue 23); -1 the client not read to copy its owner when the save writes no owner (clients.models.OwnedThroughClient, issue 23)
    "client_page_concern_withdraw": 11,  # the page, the concern, its UPDATE and history row, the door; -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "api_check_ins": 3,  # a query per check-in
    "api_check_in": 3,
    # The recaps (crm/recaps, issue 26): +2 on the client's page and its preview (the recaps, their lines with their
    # promises: a query per recap or per line kept out), +1 on the full dashboard (the recaps to clarify).
    "recap": 6,  # the recap page: the call with its client and profile, the recap, its lines with their promises
    "recap_new": 27,  # the form's checks, the call locked, the recap and two promises and lines (history rows, full_clean), the outbox row, the door once; -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "recap_confirm": 20,  # the page, the recap locked, each line answered (an UPDATE and a history row: at most 10 lines), the door once; -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "recap_line_correct": 20,  # the page, the line locked, the correction logged as a message, the door once; -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23); -1 the client not read to copy its owner when the save writes no owner (clients.models.OwnedThroughClient, issue 23)
    "api_recaps": 4,  # the page of recaps, then every line of the page in one query
    "api_recap": 4,
    "client_page_panel": 5,  # the 3 of a logged-in request, the client, its page: nothing per client of the book
    "client_page_panel_htmx": 5,  # the same, for the panel alone
    "client_page_choices": 7,  # the same, and the page saved
    "client_page_renew_htmx": 7,  # the page read, renewed, and the panel drawn again; -1 the client not read to copy its owner when the save writes no owner (clients.models.OwnedThroughClient, issue 23)
    "client_page_off_htmx": 7,  # the same; -1 the client not read to copy its owner when the save writes no owner (clients.models.OwnedThroughClient, issue 23)
    "password_change": 3,  # anything read from the book
    "mailbox": 4,  # the mailbox row, nothing of the book
    "mailbox_status_htmx": 4,  # the same, for the status line the page polls while a sync runs
    "mailbox_post": 5,  # the mailbox read, saved (its row locked for the versioned form), nothing of the book
    "status_update_send": 24,  # the client, the mailbox, the dispatch, the status update and its Message-ID written once (the form token); issue 21: the status update is now logged by the request (the same 13 queries as "mark as sent", before in the worker) with its undo row; +3 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -8 the door's one read of the history, the sweep's columns counted from it, the clocks written with the sweep's column (issue 23)
    "password_reset": 0,  # anything at all: an anonymous page
    # Contacts (issue 15): the workspace lists the client's contacts (+1, one query), the interaction forms offer
    # them (+1, one query), a client's edit writes its primary contact (+4: read it, save it, its history row,
    # the client's copy), a client's delete keeps its contacts in the trash (+4: collected, their links to
    # interactions, deleted) and an account's delete empties the contact and import tables (+8).
    "contact_new_form": 5,  # anything read per contact or client of the book
    "contact_new_post": 15,  # a query per contact when making the new one primary (one UPDATE of the old one)
    "contact_edit_form": 5,  # anything read per contact; +1 its history (one query)
    "contact_edit_post": 6,  # the same; +1 history row
    "contact_primary_htmx": 15,  # a query per contact of the client drawn again; -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    "contact_delete_post": 12,  # -2 its save inside the request's transaction without a savepoint of its own (issue 23)
    # Import and export (crm/dataio): the rows of a file are read from the kept upload, never one query each.
    "import_page": 4,  # a query per recent import
    "import_upload": 4,  # a query per row of the file
    "import_preview": 8,  # a query per row of the file (its clients found in a few queries, whatever the rows); +3 the plan of the rows already there (its owner, clients and contacts: measured 7 on main at 20:09, its budget left at 4); +1 the owner's profile, once, for new clients' language and country (issue 24)
    "import_map": 9,  # the same, when the columns are mapped again
    "import_run": 24,  # a query per row imported (clients, contacts and their history are inserted in bulk); +2 the sweep's columns through the door (issue 23); +1 the client's absences (issue 22: the board's status updates, the sweep's column through the door); -7 the door's one read of the history, the sweep's columns counted from it (issue 23)
    "import_progress": 4,  # anything read per row: the progress is in the cache
    "import_progress_htmx": 4,  # the same, for the polled bar
    "export_page": 3,  # anything read from the book
    "export_zip": 19,  # a query per record: one query per kind (and per 500 clients), streamed; +1 absences; +1 scope changes, +1 the clients' check-ins, +2 recaps and their lines (issue 26)
    "export_json": 19,  # the same; +1 scope changes, +1 the clients' check-ins, +2 recaps and their lines (issue 26)
    "export_vcards": 4,  # a query per contact for its client  # a query per interaction naming the contact (one UPDATE sets them null)
    # The evidence pack (crm/evidence): the pages read the pack's row without its files; the build itself, whose
    # queries do not grow with the history either, is tested in tests/evidence/test_evidence_pack.py.
    "evidence_packs": 5,  # a query per pack (their files are never read by the list)
    "evidence_pack_new": 6,  # anything read from the client's journal: the worker reads it
    "evidence_pack": 4,  # the pack's PDF and ZIP: left in the database
    "evidence_pack_htmx": 4,  # the same, for the polled bar
    "evidence_pack_pdf": 4,  # the ZIP beside it
}


@dataclass
class Book:
    """Alice's book; `rita` is the client whose workspace, events and actions are visited."""

    owner: Any
    clients: list[Client]
    rita: Client
    project: Project
    interaction: Interaction
    promise_due: Promise
    promise_overdue: Promise
    promise_kept: Promise
    invoice_unpaid: Invoice
    invoice_overdue: Invoice
    conflict_open: ConflictSignal
    contact: Contact
    book_import: BookImport
    reminder: PaymentReminder
    scope_change: ScopeChange  # rita's project's, asked by the client, waiting for the freelancer's decision
    recap: Recap
    call: Interaction  # rita's call without its recap yet

    @property
    def workspace(self) -> str:
        return reverse("web:client", kwargs={"client_id": self.rita.pk})


def build_book(owner: Any, size: int) -> Book:
    """Return a book of `size` clients, each with a project, interactions, promises, invoices and signals.

    Every list's first row is rita's (index 0), so each page can be checked for it. Rita also has `size // 8`
    more projects and `25 + size` older notes, so her workspace grows with the book too: page 1 of her timeline
    holds her recent events of all four journals, page 2 older ones (more of them, the bigger the book).
    """
    today, now = timezone.localdate(), timezone.now()
    started = now - timedelta(days=60)
    clients = Client.objects.bulk_create(
        [
            Client(
                owner=owner,
                name=f"Client {i:03d}",
                company=f"Company {i:03d}",
                email=f"client{i:03d}@example.com",
                created_at=started,
                # Kept by the journal's door from the interactions below (bulk creation goes through no door).
                last_contact_at=now - timedelta(days=i + 1),
            )
            for i in range(size)
        ]
    )
    rita = clients[0]
    projects = Project.objects.bulk_create(
        [Project(client=c, title=f"Project {i:03d}", goals="Launch the shop") for i, c in enumerate(clients)]
        + [Project(client=rita, title=f"Extra project {k}") for k in range(size // 8)]
    )
    interactions = Interaction.objects.bulk_create(
        [
            Interaction(
                client=c,
                project=projects[i],
                kind=kind,
                direction=Interaction.Direction.TO_CLIENT,
                happened_at=now - timedelta(days=i + 1, hours=hours),
                summary=f"{kind} {i:03d}",
            )
            for i, c in enumerate(clients)
            for kind, hours in ((Interaction.Kind.EMAIL, 2), (Interaction.Kind.DELIVERY, 0))
        ]
        + [
            Interaction(client=rita, summary=f"Note {k:03d}", happened_at=now - timedelta(days=6 + k))
            for k in range(25 + size)
        ]
    )
    made = today - timedelta(days=60)
    promises = Promise.objects.bulk_create(
        [
            promise
            for i, c in enumerate(clients)
            for promise in (
                Promise(
                    client=c,
                    project=projects[i],
                    description=f"Due promise {i:03d}",
                    made_on=made,
                    due_on=today + timedelta(days=3),
                ),
                Promise(
                    client=c,
                    description=f"Overdue promise {i:03d}",
                    made_on=made,
                    due_on=today - timedelta(days=5),
                ),
                Promise(
                    client=c,
                    description=f"Kept promise {i:03d}",
                    made_on=made,
                    due_on=today - timedelta(days=20),
                    state=Promise.State.KEPT,
                    kept_on=today - timedelta(days=1 + i),
                ),
                Promise(
                    client=c,
                    description=f"Broken promise {i:03d}",
                    made_on=made,
                    due_on=today - timedelta(days=20),
                    state=Promise.State.BROKEN,
                    broken_on=today - timedelta(days=1 + i),
                    clarification="Ill",
                    clarified_at=now - timedelta(days=25),
                ),
            )
        ]
    )
    issued = today - timedelta(days=60)
    invoices = Invoice.objects.bulk_create(
        [
            invoice
            for i, c in enumerate(clients)
            for invoice in (
                Invoice(
                    owner=owner,
                    client=c,
                    project=projects[i],
                    number=f"U-{i:03d}",
                    amount=Decimal("900.00"),
                    issued_on=today,
                    due_on=today + timedelta(days=30),
                ),
                Invoice(
                    owner=owner,
                    client=c,
                    number=f"O-{i:03d}",
                    amount=Decimal("1200.00"),
                    issued_on=issued,
                    due_on=today - timedelta(days=40 - i),
                ),
                Invoice(
                    owner=owner,
                    client=c,
                    number=f"P-{i:03d}",
                    amount=Decimal("300.00"),
                    issued_on=issued,
                    due_on=issued + timedelta(days=30),
                    paid_on=today - timedelta(days=1 + i),
                ),
            )
        ]
    )
    signals = ConflictSignal.objects.bulk_create(
        [
            signal
            for i, c in enumerate(clients)
            for signal in (
                ConflictSignal(
                    client=c,
                    kind=ConflictSignal.Kind.PAYMENT,
                    severity=2,
                    observed_on=today - timedelta(days=5),
                    description=f"Open signal {i:03d}",
                ),
                ConflictSignal(
                    client=c,
                    kind=ConflictSignal.Kind.IDEAS,
                    severity=1,
                    observed_on=today - timedelta(days=50),
                    description=f"Resolved signal {i:03d}",
                    state=ConflictSignal.State.RESOLVED,
                    resolved_on=today - timedelta(days=1 + i),
                    resolution="Talked it through",
                ),
            )
        ]
    )
    # Each client's primary contact, and rita's accounting; rita's first interaction was with her.
    contacts = Contact.objects.bulk_create(
        [Contact(client=c, name=c.name, email=c.email, is_primary=True) for c in clients]
        + [Contact(client=rita, name="Compta", email="compta@example.com", role="Accounting")]
    )
    contacts = [contacts[0], contacts[-1]]
    Interaction.objects.filter(pk=interactions[0].pk).update(contact=contacts[1])
    # Trust-health moves are a journal of the timeline too: rita's page 1 shows recent ones, page 2 older ones.
    HealthChange.objects.bulk_create(
        HealthChange(
            client=rita,
            at=now - timedelta(days=d, hours=1),
            old_score=40,
            new_score=30,
            old_band="watch",
            new_band="at_risk",
        )
        for d in (0, 40)
    )
    # A courteous payment reminder waiting for approval for each overdue invoice (the approval page lists them).
    reminders = PaymentReminder.objects.bulk_create(
        PaymentReminder(owner=owner, invoice=invoice, step=1, due_basis=invoice.due_on, due_on=today)
        for invoice in invoices[1::3]
    )
    # Rita's project's scope changes, more of them the bigger the book: unpriced ones asked by the client (waiting for
    # the freelancer), and one asked by the freelancer (waiting for the client, on the client's page).
    changes = ScopeChange.objects.bulk_create(
        [
            ScopeChange(
                client=rita,
                project=projects[0],
                asked_on=today - timedelta(days=k),
                asked_by=ScopeChange.Side.CLIENT,
                description=f"Change {k:03d}",
                client_decision=ScopeChange.Decision.ACCEPTED,
                client_decided_at=now - timedelta(days=k),
            )
            for k in range(1, 3 + size // 8)
        ]
        + [
            ScopeChange(
                client=rita,
                project=projects[0],
                asked_on=today,
                asked_by=ScopeChange.Side.FREELANCER,
                description="A translated version",
                price_change=Decimal("600.00"),
                deadline_change_days=10,
                freelancer_decision=ScopeChange.Decision.ACCEPTED,
                freelancer_decided_at=now,
            )
        ]
    )
    # A call per client with its recap of two promises, written 9 days ago and unanswered (a recap to clarify,
    # shown on the client's page), and rita's last call without its recap yet (crm/recaps).
    calls = Interaction.objects.bulk_create(
        [
            Interaction(
                client=c, kind=Interaction.Kind.CALL, happened_at=now - timedelta(days=10), summary="Call"
            )
            for c in clients
        ]
        + [Interaction(client=rita, kind=Interaction.Kind.CALL, happened_at=now - timedelta(days=20))]
    )
    recaps = Recap.objects.bulk_create(
        Recap(
            client=c,
            interaction=calls[i],
            decided=f"Recap decided {i:03d}",
            written_at=now - timedelta(days=9),
        )
        for i, c in enumerate(clients)
    )
    recap_promises = Promise.objects.bulk_create(
        Promise(
            client=c,
            promisor=promisor,
            description=f"Recap line {i:03d} {promisor}",
            made_on=today - timedelta(days=10),
            due_on=today + timedelta(days=5),
        )
        for i, c in enumerate(clients)
        for promisor in (Promise.Promisor.FREELANCER, Promise.Promisor.CLIENT)
    )
    RecapLine.objects.bulk_create(
        RecapLine(recap=recap, client=recap.client, promise=recap_promises[2 * i + k], position=k + 1)
        for i, recap in enumerate(recaps)
        for k in (0, 1)
    )
    recompute_book(owner)
    # The API's visits below call with this token (a read-and-write one; its value known to the test).
    AccessToken.objects.create(
        owner=owner, name="budgets", scope="write", key_hash=hash_token(API_TOKEN), key_start=API_TOKEN[:12]
    )
    # Rita ranks first, worst trust health, and has a 90-day trend to draw.
    ClientHealth.objects.filter(client=rita).update(score=1, band="at_risk", score_week_ago=20)
    HealthSnapshot.objects.bulk_create(
        [
            HealthSnapshot(client=rita, day=today - timedelta(days=d), score=40 - d // 3, band="watch")
            for d in range(0, 90, 3)
        ]
    )
    return Book(
        owner=owner,
        clients=clients,
        rita=rita,
        project=projects[0],
        interaction=interactions[0],
        promise_due=promises[0],
        promise_overdue=promises[1],
        promise_kept=promises[2],
        invoice_unpaid=invoices[0],
        invoice_overdue=invoices[1],
        conflict_open=signals[0],
        contact=contacts[1],
        book_import=receive(owner, "clients", "book.csv", IMPORTED),
        reminder=reminders[0],
        scope_change=changes[0],
        recap=recaps[0],
        call=calls[-1],
    )


# -- the visits: one row per page, partial or action ------------------------------------------------------

HTMX = {"HX-Request": "true"}
TODAY = "2026-03-10"
API_TOKEN = "cfc_query-budgets-token-known-to-the-test"
API = {"Authorization": f"Bearer {API_TOKEN}"}


def htmx(target: str) -> dict[str, str]:
    return {**HTMX, "HX-Target": target}


@dataclass(frozen=True)
class Visit:
    """One request a freelancer makes, and what its answer must show, so an error page cannot pass."""

    name: str
    path: Callable[[Book], str]
    method: str = "get"
    data: Callable[[Book], dict[str, Any]] = lambda book: {}
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    shows: Callable[[Book], str] | None = None  # text the body must contain
    to: Callable[[Book], str] | None = None  # where a redirect must go
    anonymous: bool = False  # reached from a calendar app or an emailed link, without logging in
    content_type: str = ""  # the API's JSON bodies (a form's otherwise)
    n_plus_one: str = ""  # the query that repeats per row, while the view has one

    @property
    def budget(self) -> int:
        return BUDGETS[self.name]


def url(name: str, **kwargs: Callable[[Book], Any]) -> Callable[[Book], str]:
    """Return a function building the URL `name` from a book, each keyword argument read from the book."""
    return lambda book: reverse(name, kwargs={key: read(book) for key, read in kwargs.items()})


def query(path: str, params: str) -> Callable[[Book], str]:
    return lambda book: f"{reverse(path)}?{params}"


RITA = {"client_id": lambda book: book.rita.pk}


def evidence_pack_id(book: Book) -> int:
    """Return the id of rita's built evidence pack (made on first use: a row with a small PDF and ZIP)."""
    pack, _made = EvidencePack.objects.get_or_create(
        client=book.rita,
        defaults={
            "language": "en",
            "state": EvidencePack.State.DONE,
            "pdf": b"%PDF-1.7 ...",
            "archive": b"PK",
        },
    )
    return pack.pk


def rita_name(book: Book) -> str:
    return book.rita.name


def to_workspace(book: Book) -> str:
    return book.workspace


def text(value: str) -> Callable[[Book], str]:
    return lambda book: value


def entry_data(kind: str) -> Callable[[Book], dict[str, Any]]:
    """Return a function building a valid new `kind` for rita."""

    def build(book: Book) -> dict[str, Any]:
        data: dict[str, Any] = {
            "interaction": {
                "kind": "call",
                "direction": "from_client",
                "happened_at": f"{TODAY}T08:30",
                "summary": "Asked for a call back",
                "project": book.project.pk,
            },
            "promise": {
                "promisor": "freelancer",
                "description": "Send the quote",
                "made_on": TODAY,
                "due_on": "2026-03-20",
                "project": book.project.pk,
            },
            "invoice": {
                "number": "NEW-1",
                "amount": "450.00",
                "currency": "EUR",
                "issued_on": TODAY,
                "due_on": "2026-04-10",
                "project": book.project.pk,
            },
            "conflict": {
                "kind": "posture",
                "severity": 2,
                "observed_on": TODAY,
                "description": "Raised voice",
            },
        }[kind]
        return {"client": book.rita.pk, **data}

    return build


SAVED = {
    "interaction": "Interaction logged.",
    "promise": "Promise saved.",
    "invoice": "Invoice recorded.",
    "conflict": "Conflict signal flagged.",
}
TITLES = {
    "interaction": "Log an interaction",
    "promise": "Make a promise",
    "invoice": "Record an invoice",
    "conflict": "Flag a conflict signal",
}
CLIENT_DATA = {
    "name": "Atelier Dupont",
    "company": "Dupont",
    "language": "fr",
    "status": "active",
    "cadence_days": 10,
}


def drawn(form: Any, **changes: Any) -> dict[str, Any]:
    """Return `form` as a browser posts it (its one-time token, its drawn state, the values as read), `changes`
    made."""
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        if value is not None and value is not False:
            data[bound.html_name] = "on" if value is True else value
    return data | changes


def renamed(client: Client) -> dict[str, Any]:
    """Return the client's edit form as drawn (its one-time token, the values as read), its name changed."""
    return drawn(ClientForm(instance=client), name="Atelier Renommé")


BUSINESS_DATA = {
    "display_name": "Camille Martin",
    "trade_name": "Studio Martin",
    "legal_form": "ei",
    "registration_number": "732 829 320 00074",
    "vat_number": "FR 44 732829320",
    "address_line1": "12 rue de la Paix",
    "postcode": "75002",
    "city": "Paris",
    "country": "FR",
    "business_email": "contact@studio.example",
}
PROFILE_DATA = {
    "display_name": "Alice M.",
    "language": "en",
    "time_zone": "Europe/Paris",
    "digest_weekday": 0,
    "digest_hour": 8,
    "digest_enabled": "on",
    "nudges_enabled": "on",
}


def logging_visits() -> Iterator[Visit]:
    """Yield, for each of the four journals, its form from anywhere and from rita's workspace: GET and POSTs."""
    for kind in SAVED:
        for scope, path in (
            ("anywhere", url(f"web:{kind}_new")),
            ("workspace", url(f"web:client_{kind}_new", **RITA)),
        ):
            name = f"{kind}_new_{scope}"
            yield Visit(f"{name}_form", path, shows=text(TITLES[kind]))
            yield Visit(f"{name}_post", path, "post", entry_data(kind), status=302, to=to_workspace)
            yield Visit(f"{name}_post_htmx", path, "post", entry_data(kind), HTMX, shows=text(SAVED[kind]))


def action_visits() -> Iterator[Visit]:
    """Yield each one-click action, posted without JavaScript (redirect) and with htmx (the item re-rendered)."""
    actions: list[
        tuple[str, Callable[[Book], str], Callable[[Book], dict[str, Any]], Callable[[Book], str]]
    ] = [
        (
            "promise_keep",
            url("web:promise_keep", promise_id=lambda b: b.promise_due.pk),
            lambda b: {},
            lambda b: b.promise_due.description,
        ),
        (
            "promise_break",
            url("web:promise_break", promise_id=lambda b: b.promise_due.pk),
            lambda b: {},
            lambda b: b.promise_due.description,
        ),
        (
            "promise_explain",
            url("web:promise_explain", promise_id=lambda b: b.promise_overdue.pk),
            lambda b: {"clarification": "Told them about the flu"},
            text("Told them about the flu"),
        ),
        (
            "promise_reopen",
            url("web:promise_reopen", promise_id=lambda b: b.promise_kept.pk),
            lambda b: {},
            lambda b: b.promise_kept.description,
        ),
        (
            "invoice_paid",
            url("web:invoice_mark_paid", invoice_id=lambda b: b.invoice_overdue.pk),
            lambda b: {},
            lambda b: b.invoice_overdue.number,
        ),
        (
            "invoice_renegotiate",
            url("web:invoice_renegotiate", invoice_id=lambda b: b.invoice_unpaid.pk),
            lambda b: {"renegotiated_due_on": "2026-05-01"},
            lambda b: b.invoice_unpaid.number,
        ),
        (
            "conflict_resolve",
            url("web:conflict_resolve", signal_id=lambda b: b.conflict_open.pk),
            lambda b: {"resolved_on": TODAY, "resolution": "Talked it through on the phone"},
            text("Talked it through on the phone"),
        ),
    ]
    for name, path, data, shows in actions:
        yield Visit(name, path, "post", data, status=302, to=to_workspace)
        yield Visit(f"{name}_htmx", path, "post", data, HTMX, shows=shows)
    sent = url("web:status_update_mark_sent", **RITA)
    yield Visit("status_update_sent", sent, "post", status=302, to=to_workspace)
    yield Visit(
        "status_update_sent_htmx",
        sent,
        "post",
        headers=HTMX,
        shows=text("Status update logged for Client 000."),
    )


EDITED = {
    "interaction": lambda b: {
        "client": b.rita.pk,
        "kind": "call",
        "direction": "from_client",
        "happened_at": f"{TODAY}T08:30",
        "summary": "Edited call",
    },
    "promise": lambda b: {
        "client": b.rita.pk,
        "promisor": "freelancer",
        "description": "Edited promise",
        "made_on": "2026-01-09",
        "due_on": "2026-03-13",
        "state": "kept",
    },
    "invoice": lambda b: {
        "client": b.rita.pk,
        "number": "U-000",
        "amount": "950.00",
        "currency": "EUR",
        "issued_on": TODAY,
        "due_on": "2026-04-09",
        "paid_on": TODAY,
    },
    "conflict": lambda b: {
        "client": b.rita.pk,
        "kind": "payment",
        "severity": 3,
        "observed_on": "2026-03-05",
        "description": "Edited signal",
        "state": "open",
    },
}
EDITED_SHOWS = {
    "interaction": "Edited call",
    "promise": "Edited promise",
    "invoice": "950",
    "conflict": "Edited signal",
}
ITEMS: dict[str, tuple[str, Callable[[Book], Any]]] = {
    "interaction": ("interaction_id", lambda b: b.interaction.pk),
    "promise": ("promise_id", lambda b: b.promise_due.pk),
    "invoice": ("invoice_id", lambda b: b.invoice_unpaid.pk),
    "conflict": ("signal_id", lambda b: b.conflict_open.pk),
}


def _trashed(book: Book) -> int:
    """Put rita's due promise in the trash (before the request is counted); return the trash item's id."""
    from crm.trash.snapshot import to_trash

    return to_trash(book.promise_due, book.owner).pk


def _undo_of_kept(book: Book) -> int:
    """Mark rita's due promise kept with its undo (before the request is counted); return the undo's id."""
    from crm.trash.undo import remember

    promise = book.promise_due
    return remember(
        book.owner, promise, ["state", "kept_on", "broken_on"], lambda: promise.keep(promise.made_on)
    ).pk


def edit_and_trash_visits() -> Iterator[Visit]:
    """Edit, delete and reopen each kind of record; the client's delete with its summary; undo; the trash."""
    for kind, (kwarg, pick) in ITEMS.items():
        edit = url(f"web:{kind}_edit", **{kwarg: pick})
        delete = url(f"web:{kind}_delete", **{kwarg: pick})
        yield Visit(f"{kind}_edit", edit, shows=text('name="client"'))
        yield Visit(f"{kind}_edit_htmx", edit, headers=HTMX, shows=text("event-editing"))
        yield Visit(f"{kind}_edit_post", edit, "post", EDITED[kind], status=302, to=to_workspace)
        yield Visit(
            f"{kind}_edit_post_htmx", edit, "post", EDITED[kind], HTMX, shows=text(EDITED_SHOWS[kind])
        )
        yield Visit(f"{kind}_delete", delete, shows=text("It goes to the trash"))
        yield Visit(f"{kind}_delete_post", delete, "post", status=302, to=to_workspace)
        yield Visit(f"{kind}_delete_post_htmx", delete, "post", headers=HTMX, shows=text("Undo"))
    yield Visit("client_delete", url("web:client_delete", **RITA), shows=text("conflict signals"))
    yield Visit(
        "client_delete_post",
        url("web:client_delete", **RITA),
        "post",
        status=302,
        to=lambda b: reverse("web:dashboard"),
    )
    yield Visit(
        "project_delete", url("web:project_delete", project_id=lambda b: b.project.pk), shows=text("trash")
    )
    yield Visit(
        "project_delete_post",
        url("web:project_delete", project_id=lambda b: b.project.pk),
        "post",
        status=302,
        to=to_workspace,
    )
    reopen = {
        "promise_reopen": url(
            "web:promise_reopen", promise_id=lambda b: b.promise_overdue.pk + 1
        ),  # the kept one
        "invoice_reopen": url(
            "web:invoice_reopen", invoice_id=lambda b: b.invoice_unpaid.pk + 2
        ),  # the paid one
        "conflict_reopen": url(
            "web:conflict_reopen", signal_id=lambda b: b.conflict_open.pk + 1
        ),  # the resolved
    }
    for name, path in reopen.items():
        yield Visit(name, path, "post", status=302, to=to_workspace)
        yield Visit(f"{name}_htmx", path, "post", headers=HTMX, shows=text("Undo"))
    yield Visit(
        "undo",
        url("web:undo", undo_id=_undo_of_kept),
        "post",
        status=302,
        to=lambda b: reverse("web:dashboard"),
    )
    yield Visit(
        "undo_htmx", url("web:undo", undo_id=_undo_of_kept), "post", headers=HTMX, shows=text("Undone.")
    )
    yield Visit("trash", lambda b: (_trashed(b), reverse("web:trash"))[1], shows=text("Due promise 000"))
    yield Visit(
        "trash_restore", url("web:trash_restore", trash_id=_trashed), "post", status=302, to=to_workspace
    )
    yield Visit(
        "trash_delete", url("web:trash_delete", trash_id=_trashed), shows=text("This cannot be undone.")
    )
    yield Visit(
        "trash_delete_post",
        url("web:trash_delete", trash_id=_trashed),
        "post",
        lambda b: {"confirm": "yes"},
        status=302,
        to=lambda b: reverse("web:trash"),
    )


STATUS_UPDATE = {"subject": "Where we are", "body": "The shop is nearly ready."}
MAILBOX = {
    "address": "alice@example.com",
    "imap_host": "imap.example.com",
    "imap_port": "993",
    "imap_security": "tls",
    "imap_user": "alice",
    "smtp_host": "smtp.example.com",
    "smtp_port": "465",
    "smtp_security": "tls",
    "status_keyword": "Point",
}


def _connect_mailbox(book: Book, data: dict[str, Any]) -> dict[str, Any]:
    """Connect alice's mailbox (before the request is counted); return the request's data."""
    from crm.capture.secrets import encrypt
    from crm.models import Mailbox

    Mailbox.objects.get_or_create(
        owner=book.owner,
        defaults={
            "imap_host": "imap.example.com",
            "imap_user": "alice",
            "imap_secret": encrypt("app password"),
            "smtp_host": "smtp.example.com",
            "address": "alice@example.com",
        },
    )
    return data


WORKSPACE = url("web:client", **RITA)


def _client_page_url(book: Book) -> str:
    """Return the link to rita's page (made once, before the visit is counted)."""
    page, _created = ClientPage.objects.get_or_create(client=book.rita)
    return reverse("portal:page", kwargs={"token": page.token})


def _voice_url(name: str, **ids: Callable[[Book], Any]) -> Callable[[Book], str]:
    """Return the address of one of the client's answers under rita's page link (issue 26)."""

    def build(book: Book) -> str:
        token = _client_page_url(book).strip("/").split("/")[-1]
        return reverse(name, kwargs={"token": token, **{key: read(book) for key, read in ids.items()}})

    return build


def _said(book: Book) -> CheckIn:
    """Rita's check-in, said on her page (made once, before the visit is counted)."""
    found = CheckIn.objects.filter(client=book.rita).first()
    return found or CheckIn.objects.create(client=book.rita, level=CheckIn.Level.POOR, note="Late")


def _concern(book: Book) -> ConflictSignal:
    """A concern rita raised on her page (made once, before the visit is counted)."""
    raised = ConflictSignal.objects.filter(client=book.rita, raised_by=ConflictSignal.RaisedBy.CLIENT).first()
    return raised or ConflictSignal.objects.create(
        client=book.rita, kind="posture", severity=2, observed_on=timezone.localdate(), description="Tone",
        raised_by=ConflictSignal.RaisedBy.CLIENT,
    )  # fmt: skip


def _with_client_page(path: Callable[[Book], str]) -> Callable[[Book], str]:
    """Return `path`, rita's page made first (the panel shows its link and choices)."""

    def build(book: Book) -> str:
        _client_page_url(book)
        return path(book)

    return build


def _with_calendar_address(path: Callable[[Book], str]) -> Callable[[Book], str]:
    """Return `path`, the feed's address made first (it is made once, the first time the settings page shows it)."""

    def build(book: Book) -> str:
        feed_token(book.owner.profile)
        return path(book)

    return build


VISITS: list[Visit] = [
    # The dashboard: the book worst-first and the week's work.
    Visit("dashboard", url("web:dashboard"), shows=rita_name),
    Visit("dashboard_board_htmx", query("web:dashboard", "q=Client"), headers=htmx("board"), shows=rita_name),
    Visit("dashboard_filtered", query("web:dashboard", "band=at_risk&status=active"), shows=rita_name),
    # The guide reads nothing of the book, whatever its size.
    Visit("guide", url("web:guide"), shows=text("What the score means")),
    # The client list, each sort, a filter and its htmx results.
    Visit("clients_by_score", query("web:clients", "sort=score"), shows=rita_name),
    Visit("clients_by_name", query("web:clients", "sort=name"), shows=rita_name),
    Visit("clients_by_last_contact", query("web:clients", "sort=last_contact"), shows=rita_name),
    Visit(
        "clients_filtered", query("web:clients", "band=at_risk&status=active&q=Company 000"), shows=rita_name
    ),
    Visit(
        "clients_results_htmx", query("web:clients", "sort=name"), headers=htmx("results"), shows=rita_name
    ),
    # Rita's workspace, its htmx regions and the timeline's second page.
    Visit("workspace", WORKSPACE, shows=lambda b: b.rita.company),
    Visit(
        "workspace_score_panel_htmx", WORKSPACE, headers=htmx("score-panel"), shows=text('id="score-panel"')
    ),
    Visit("workspace_timeline_htmx", WORKSPACE, headers=htmx("timeline"), shows=text('id="timeline"')),
    Visit("workspace_timeline_page_2", lambda b: f"{b.workspace}?page=2", shows=text("Page 2 of")),
    Visit(
        "workspace_timeline_page_2_htmx",
        lambda b: f"{b.workspace}?page=2",
        headers=htmx("timeline"),
        shows=text("Page 2 of"),
    ),
    # The journal lists, each tab, a search and the htmx results.
    Visit("promises_due", query("web:promises", "show=due"), shows=text("Due promise 000")),
    Visit("promises_overdue", query("web:promises", "show=overdue"), shows=text("Overdue promise 000")),
    Visit("promises_kept", query("web:promises", "show=kept"), shows=text("Kept promise 000")),
    Visit("promises_broken", query("web:promises", "show=broken"), shows=text("Broken promise 000")),
    Visit("promises_searched", query("web:promises", "show=due&q=Company"), shows=text("Due promise 000")),
    Visit(
        "promises_results_htmx",
        query("web:promises", "show=due"),
        headers=htmx("results"),
        shows=text("Due promise 000"),
    ),
    Visit("invoices_unpaid", query("web:invoices", "show=unpaid"), shows=text("O-000")),
    Visit("invoices_overdue", query("web:invoices", "show=overdue"), shows=text("O-000")),
    Visit("invoices_paid", query("web:invoices", "show=paid"), shows=text("P-000")),
    Visit(
        "invoices_results_htmx",
        query("web:invoices", "show=unpaid"),
        headers=htmx("results"),
        shows=text("O-000"),
    ),
    Visit("conflicts_open", query("web:conflicts", "show=open"), shows=text("Open signal 000")),
    Visit("conflicts_resolved", query("web:conflicts", "show=resolved"), shows=text("Resolved signal 000")),
    Visit(
        "conflicts_results_htmx",
        query("web:conflicts", "show=open"),
        headers=htmx("results"),
        shows=text("Open signal 000"),
    ),
    # The event behind every row.
    Visit(
        "interaction_detail",
        url("web:interaction", interaction_id=lambda b: b.interaction.pk),
        shows=lambda b: b.interaction.summary,
    ),
    Visit(
        "promise_detail",
        url("web:promise", promise_id=lambda b: b.promise_due.pk),
        shows=lambda b: b.promise_due.description,
    ),
    Visit(
        "invoice_detail",
        url("web:invoice", invoice_id=lambda b: b.invoice_overdue.pk),
        shows=lambda b: b.invoice_overdue.number,
    ),
    Visit(
        "conflict_detail",
        url("web:conflict", signal_id=lambda b: b.conflict_open.pk),
        shows=lambda b: b.conflict_open.description,
    ),
    # Clients and projects: the forms, and a valid POST of each.
    Visit("client_new_form", url("web:client_new"), shows=text("New client")),
    Visit(
        "client_new_post",
        url("web:client_new"),
        "post",
        lambda b: CLIENT_DATA,
        status=302,
        to=lambda b: reverse("web:client", kwargs={"client_id": Client.objects.latest("pk").pk}),
    ),
    Visit("client_edit_form", url("web:client_edit", **RITA), shows=lambda b: f"Edit {b.rita}"),
    Visit(
        "client_rename_post",
        url("web:client_edit", **RITA),
        "post",
        lambda b: renamed(b.rita),
        status=302,
        to=to_workspace,
    ),
    Visit(
        "client_edit_post",
        url("web:client_edit", **RITA),
        "post",
        lambda b: CLIENT_DATA,
        status=302,
        to=to_workspace,
    ),
    Visit("project_new_form", url("web:project_new", **RITA), shows=lambda b: f"New project for {b.rita}"),
    Visit(
        "project_new_post",
        url("web:project_new", **RITA),
        "post",
        lambda b: {"client": b.rita.pk, "title": "Boutique", "status": "active", "currency": "EUR"},
        status=302,
        to=to_workspace,
    ),
    Visit(
        "project_edit_form",
        url("web:project_edit", project_id=lambda b: b.project.pk),
        shows=lambda b: f"Edit {b.project}",
    ),
    Visit(
        "project_edit_post",
        url("web:project_edit", project_id=lambda b: b.project.pk),
        "post",
        lambda b: {"client": b.rita.pk, "title": "Boutique en ligne", "status": "active", "currency": "EUR"},
        status=302,
        to=to_workspace,
    ),
    Visit(
        "project_rename_post",
        url("web:project_edit", project_id=lambda b: b.project.pk),
        "post",
        lambda b: drawn(ProjectForm(instance=b.project, owner=b.owner), title="Boutique renommée"),
        status=302,
        to=to_workspace,
    ),
    Visit("contact_new_form", url("web:contact_new", **RITA), shows=lambda b: f"New contact at {b.rita}"),
    Visit(
        "contact_new_post",
        url("web:contact_new", **RITA),
        "post",
        lambda b: {"name": "Product owner", "email": "po@example.com", "is_primary": "on"},
        status=302,
        to=to_workspace,
    ),
    Visit(
        "contact_edit_form",
        url("web:contact_edit", contact_id=lambda b: b.contact.pk),
        shows=lambda b: f"Edit {b.contact}",
    ),
    Visit(
        "contact_edit_post",
        url("web:contact_edit", contact_id=lambda b: b.contact.pk),
        "post",
        lambda b: {"name": "Compta", "email": "compta@example.com", "role": "Comptabilité"},
        status=302,
        to=to_workspace,
    ),
    Visit(
        "contact_primary_htmx",
        url("web:contact_make_primary", contact_id=lambda b: b.contact.pk),
        "post",
        headers=HTMX,
        shows=text('id="contacts"'),
    ),
    Visit(
        "contact_delete_post",
        url("web:contact_delete", contact_id=lambda b: b.contact.pk),
        "post",
        status=302,
        to=to_workspace,
    ),
    Visit("import_page", lambda b: reverse("web:import"), shows=text("Sample files")),
    Visit(
        "import_upload",
        lambda b: reverse("web:import"),
        "post",
        lambda b: {"kind": "clients", "file": SimpleUploadedFile("b.csv", IMPORTED)},
        status=302,
    ),
    Visit(
        "import_preview",
        url("web:import_preview", import_id=lambda b: b.book_import.pk),
        shows=text("anne@neuf.fr"),
    ),
    Visit(
        "import_map",
        url("web:import_preview", import_id=lambda b: b.book_import.pk),
        "post",
        lambda b: {"column_0": "client", "column_1": "contact", "column_2": "email", "action": "map"},
        status=302,
    ),
    Visit(
        "import_run",
        url("web:import_preview", import_id=lambda b: b.book_import.pk),
        "post",
        lambda b: {"column_0": "client", "column_1": "contact", "column_2": "email", "action": "import"},
        status=302,
    ),
    Visit(
        "import_progress",
        url("web:import_progress", import_id=lambda b: b.book_import.pk),
        shows=text("book.csv"),
    ),
    Visit(
        "import_progress_htmx",
        url("web:import_progress", import_id=lambda b: b.book_import.pk),
        headers=HTMX,
        shows=text("import-progress"),
    ),
    Visit("export_page", lambda b: reverse("web:export"), shows=text("vCards")),
    Visit("evidence_packs", url("web:client_evidence_packs", **RITA), shows=text("Build the evidence pack")),
    Visit("evidence_pack_new", url("web:client_evidence_pack_new", **RITA), "post", status=302),
    Visit(
        "evidence_pack", url("web:evidence_pack", pack_id=evidence_pack_id), shows=text("Download the PDF")
    ),
    Visit(
        "evidence_pack_htmx",
        url("web:evidence_pack", pack_id=evidence_pack_id),
        headers=HTMX,
        shows=text("evidence-progress"),
    ),
    Visit("evidence_pack_pdf", url("web:evidence_pack_pdf", pack_id=evidence_pack_id), shows=text("%PDF")),
    Visit("export_zip", lambda b: reverse("web:export_zip"), shows=text("clients.csv")),
    Visit("export_json", lambda b: reverse("web:export_json"), shows=lambda b: b.rita.name),
    Visit("export_vcards", lambda b: reverse("web:export_vcards"), shows=text("Compta")),
    # Logging from anywhere and from the workspace, and the one-click actions.
    *logging_visits(),
    *action_visits(),
    *edit_and_trash_visits(),
    # Status updates: the prepared draft, and logging it as sent.
    Visit(
        "status_update_draft",
        url("web:status_update_draft", **RITA),
        shows=lambda b: f"Status update for {b.rita.name}",
    ),
    Visit(
        "status_update_draft_htmx",
        url("web:status_update_draft", **RITA),
        headers=HTMX,
        shows=text("Launch the shop"),
    ),
    # Mail capture: the mailbox settings, and a status update sent from the app.
    Visit(
        "mailbox",
        url("web:mailbox"),
        data=lambda b: _connect_mailbox(b, {}),
        shows=text("Test the connection"),
    ),
    Visit(
        "mailbox_status_htmx",
        url("web:mailbox"),
        data=lambda b: _connect_mailbox(b, {"part": "status"}),
        headers=HTMX,
        shows=text("Not synced yet."),
    ),
    Visit(
        "mailbox_post",
        url("web:mailbox"),
        "post",
        lambda b: _connect_mailbox(b, MAILBOX),
        status=302,
        to=lambda b: reverse("web:mailbox"),
    ),
    Visit(
        "status_update_send",
        url("web:status_update_send", **RITA),
        "post",
        lambda b: _connect_mailbox(b, STATUS_UPDATE),
        status=302,
        to=to_workspace,
    ),
    # "Mark as sent" on the draft: the one status-update action (reminders:mark_status_update_sent is its alias).
    Visit(
        "status_update_mark_sent",
        url("web:status_update_mark_sent", **RITA),
        "post",
        lambda b: STATUS_UPDATE,
        status=302,
        to=to_workspace,
    ),
    Visit(
        "status_update_mark_sent_htmx",
        url("web:status_update_mark_sent", **RITA),
        "post",
        lambda b: STATUS_UPDATE,
        HTMX,
        shows=rita_name,
    ),
    # Payment reminders: the approval page, sending (rita's payment conflict is open: it stops instead) and skipping.
    Visit(
        "payment_reminders",
        url("web:payment_reminders"),
        shows=text("Facture O-000\u00a0: petit rappel"),
    ),
    Visit(
        "payment_reminder_send",
        url("web:payment_reminder_approve", reminder_id=lambda b: b.reminder.pk),
        "post",
        status=302,
        to=lambda b: reverse("web:payment_reminders"),
    ),
    Visit(
        "payment_reminder_skip",
        url("web:payment_reminder_skip", reminder_id=lambda b: b.reminder.pk),
        "post",
        status=302,
        to=lambda b: reverse("web:payment_reminders"),
    ),
    # The calendar feed and its settings.
    Visit(
        "calendar_settings",
        _with_calendar_address(url("web:calendar_settings")),
        shows=lambda b: feed_token(b.owner.profile),
    ),
    Visit(
        "calendar_rotate_confirm",
        url("web:calendar_token_rotate"),
        shows=text("This cannot be undone."),
    ),
    Visit(
        "calendar_rotate",
        url("web:calendar_token_rotate"),
        "post",
        lambda b: {"confirm": "yes"},
        status=302,
        to=lambda b: reverse("web:calendar_settings"),
    ),
    Visit(
        "calendar_feed",
        url("web:calendar_feed", token=lambda b: feed_token(b.owner.profile)),
        shows=text("Status update due: Client 000"),
        anonymous=True,
    ),
    # Email preferences from an emailed link, and the account's settings.
    Visit(
        "email_preferences",
        url("web:email_preferences", token=lambda b: preferences_token(b.owner.pk, "digest")),
        shows=text("Email preferences"),
        anonymous=True,
    ),
    Visit(
        "email_preferences_post",
        url("web:email_preferences", token=lambda b: preferences_token(b.owner.pk, "digest")),
        "post",
        lambda b: {"digest_enabled": "on"},
        shows=text("Email preferences"),
        anonymous=True,
    ),
    Visit(
        "email_unsubscribe_one_click",
        url("web:email_preferences", token=lambda b: preferences_token(b.owner.pk, "nudge")),
        "post",
        lambda b: {"List-Unsubscribe": "One-Click"},
        shows=text("You are unsubscribed."),
        anonymous=True,
    ),
    # The client's page (crm/portal), opened by its link, and the freelancer's panel for it.
    Visit("client_page", _client_page_url, shows=rita_name, anonymous=True),
    Visit(
        "client_page_confirm_date",
        _client_page_url,
        "post",
        lambda b: {"invoice": b.invoice_overdue.pk, "new_due_on": "2026-03-20"},
        status=302,
        to=lambda b: _client_page_url(b) + "?confirmed=1",
        anonymous=True,
    ),
    Visit(
        "client_page_scope_accept",
        lambda b: reverse("portal:scope_change_accept", kwargs={"token": _client_page_url(b).split("/")[-2]}),
        "post",
        lambda b: {"scope_change": ScopeChange.objects.get(client=b.rita, asked_by="freelancer").pk},
        status=302,
        anonymous=True,
    ),
    Visit("client_page_preview", url("web:client_page_preview", **RITA), shows=rita_name),
    # A project's scope and the log of its changes.
    Visit("project", url("web:project", project_id=lambda b: b.project.pk), shows=text("Change 001")),
    Visit(
        "scope_change_new_post",
        url("web:scope_change_new", project_id=lambda b: b.project.pk),
        "post",
        lambda b: {"asked_on": TODAY, "asked_by": "client", "description": "A blog", "price_change": "300"},
        status=302,
        to=url("web:project", project_id=lambda b: b.project.pk),
    ),
    Visit(
        "scope_change_accept",
        url("web:scope_change_accept", scope_change_id=lambda b: b.scope_change.pk),
        "post",
        status=302,
        to=url("web:project", project_id=lambda b: b.project.pk),
    ),
    Visit(
        "client_page_check_in",
        _voice_url("portal:check_in_new"),
        "post",
        lambda b: {"checkin-level": "mixed", "checkin-note": "A bit slow"},
        status=302,
        to=lambda b: _client_page_url(b) + "?said=check_in#voice",
        anonymous=True,
    ),
    Visit(
        "client_page_concern",
        _voice_url("portal:concern_new"),
        "post",
        lambda b: {"concern-kind": "ideas", "concern-description": "The scope keeps moving"},
        status=302,
        to=lambda b: _client_page_url(b) + "?said=concern#voice",
        anonymous=True,
    ),
    Visit(
        "client_page_check_in_withdraw",
        _voice_url("portal:check_in_withdraw", check_in_id=lambda b: _said(b).pk),
        "post",
        status=302,
        to=lambda b: _client_page_url(b) + "?said=withdrawn#voice",
        anonymous=True,
    ),
    Visit(
        "client_page_concern_withdraw",
        _voice_url("portal:concern_withdraw", signal_id=lambda b: _concern(b).pk),
        "post",
        status=302,
        to=lambda b: _client_page_url(b) + "?said=withdrawn#voice",
        anonymous=True,
    ),
    Visit(
        "client_page_panel",
        _with_client_page(url("web:client_page", **RITA)),
        shows=text("The client's link"),
    ),
    Visit(
        "client_page_panel_htmx",
        _with_client_page(url("web:client_page", **RITA)),
        headers=htmx("client-page-panel"),
        shows=text("The client's link"),
    ),
    Visit(
        "client_page_choices",
        _with_client_page(url("web:client_page", **RITA)),
        "post",
        lambda b: {"show_projects": "on", "show_promises": "on"},
        status=302,
        to=lambda b: reverse("web:client_page", kwargs={"client_id": b.rita.pk}),
    ),
    Visit(
        "client_page_renew_htmx",
        _with_client_page(url("web:client_page_renew", **RITA)),
        "post",
        headers=htmx("client-page-panel"),
        shows=text("A new link is ready."),
    ),
    Visit(
        "client_page_off_htmx",
        _with_client_page(url("web:client_page_turn_off", **RITA)),
        "post",
        headers=htmx("client-page-panel"),
        shows=text("The link is off"),
    ),
    Visit("profile", url("profile"), shows=text("Settings")),
    Visit(
        "profile_post",
        url("profile"),
        "post",
        lambda b: PROFILE_DATA,
        status=302,
        to=lambda b: reverse("profile"),
    ),
    Visit("business", url("business"), shows=text("Your business")),
    Visit(
        "business_post",
        url("business"),
        "post",
        lambda b: BUSINESS_DATA,
        status=302,
        to=lambda b: reverse("business"),
    ),
    Visit(
        "business_start_post",
        url("business_start"),
        "post",
        lambda b: {"display_name": "Camille Martin", "trade_name": "Studio Martin"},
        status=302,
        to=lambda b: reverse("crm:dashboard"),
    ),
    Visit("account_delete", url("account_delete"), shows=text("Delete my account")),
    Visit(
        "account_delete_post",
        url("account_delete"),
        "post",
        lambda b: {"password": PASSWORD},
        status=302,
        to=lambda b: reverse("login"),
    ),
    Visit("password_change", url("password_change"), shows=text("Change your password")),
    # Settings → API tokens, and the API (crm/api): a bearer token, no session.
    Visit("api_tokens", url("web:api_tokens"), shows=text("budgets")),
    Visit(
        "api_tokens_post",
        url("web:api_tokens"),
        "post",
        lambda b: {"name": "Script", "scope": "read"},
        shows=text("cfc_"),
    ),
    Visit("api_clients", lambda b: "/api/clients?limit=50", headers=API, shows=rita_name, anonymous=True),
    Visit("api_client", lambda b: f"/api/clients/{b.rita.pk}", headers=API, shows=rita_name, anonymous=True),
    Visit(
        "api_check_ins",
        lambda b: f"/api/check-ins?client_id={_said(b).client_id}",
        headers=API,
        shows=text("Late"),
        anonymous=True,
    ),
    Visit(
        "api_check_in",
        lambda b: f"/api/check-ins/{_said(b).pk}",
        headers=API,
        shows=text("Late"),
        anonymous=True,
    ),
    Visit(
        "api_promises",
        lambda b: "/api/promises?limit=50",
        headers=API,
        shows=text("Due promise 000"),
        anonymous=True,
    ),
    Visit(
        "api_promises_updated_since",
        lambda b: "/api/promises?updated_since=2026-01-01T00:00:00Z",
        headers=API,
        shows=text('"items"'),
        anonymous=True,
    ),
    Visit("api_health", lambda b: "/api/health?limit=50", headers=API, shows=rita_name, anonymous=True),
    Visit(
        "api_client_health",
        lambda b: f"/api/clients/{b.rita.pk}/health",
        headers=API,
        shows=rita_name,
        anonymous=True,
    ),
    Visit(
        "api_promise_create",
        lambda b: "/api/promises",
        "post",
        lambda b: {"client_id": b.rita.pk, "description": "Envoyer le devis", "due_on": "2026-03-20"},
        headers=API,
        content_type="application/json",
        status=201,
        shows=text("Envoyer le devis"),
        anonymous=True,
    ),
    Visit("password_reset", url("password_reset"), shows=text("Reset your password"), anonymous=True),
    # Recaps (crm/recaps): the freelancer's page and form, the client's answers on their page, the API.
    Visit(
        "recap",
        url("web:interaction_recap", interaction_id=lambda b: b.recap.interaction_id),
        shows=text("Recap line 000"),
    ),
    Visit(
        "recap_new",
        url("web:interaction_recap", interaction_id=lambda b: b.call.pk),
        "post",
        lambda b: {
            "decided": "Go for the shop",
            "lines-TOTAL_FORMS": "2",
            "lines-INITIAL_FORMS": "0",
            "lines-0-promisor": "freelancer",
            "lines-0-description": "Send the mock-up",
            "lines-0-due_on": "2100-01-10",
            "lines-1-promisor": "client",
            "lines-1-description": "Send the texts",
            "lines-1-due_on": "2100-01-12",
        },
        status=302,
        to=lambda b: reverse("web:interaction_recap", kwargs={"interaction_id": b.call.pk}),
    ),
    Visit(
        "recap_confirm",
        lambda b: _client_page_url(b) + "recap/confirm/",
        "post",
        lambda b: {"recap": b.recap.pk},
        status=302,
        to=lambda b: _client_page_url(b) + f"?recap=confirmed#recap-{b.recap.pk}",
        anonymous=True,
    ),
    Visit(
        "recap_line_correct",
        lambda b: _client_page_url(b) + "recap/line/correct/",
        "post",
        lambda b: {"line": b.recap.lines.first().pk, "correction": "By Friday, not Monday"},
        status=302,
        to=lambda b: _client_page_url(b) + f"?recap=corrected#recap-line-{b.recap.lines.first().pk}",
        anonymous=True,
    ),
    Visit(
        "api_recaps",
        lambda b: "/api/recaps?limit=50",
        headers=API,
        shows=text("Recap line 000"),
        anonymous=True,
    ),
    Visit(
        "api_recap",
        lambda b: f"/api/recaps/{b.recap.pk}",
        headers=API,
        shows=text("Recap line 000"),
        anonymous=True,
    ),
]


def cases() -> Iterator[Any]:
    for visit in VISITS:
        for size_name, size in SIZES.items():
            # The budget is what a small book costs: a query per row makes only the large book fail it.
            marks = (
                [pytest.mark.xfail(strict=True, reason=f"N+1: {visit.n_plus_one}")]
                if visit.n_plus_one and size_name == "large"
                else []
            )
            yield pytest.param(visit, size, id=f"{visit.name}-{size_name}", marks=marks)


@pytest.fixture(autouse=True)
def _frozen_time() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _without_request_transaction(queries: list[str]) -> list[str]:
    """Drop the savepoint that AtomicWritesMiddleware opens around a POST: inside a test's transaction it is a
    SAVEPOINT and its RELEASE; in production the request's BEGIN and COMMIT, which no budget counts."""
    first = next((sql for sql in queries if sql.startswith("SAVEPOINT ")), None)
    if first is None:
        return queries
    name = first.removeprefix("SAVEPOINT ")
    return [sql for sql in queries if sql not in {first, f"RELEASE SAVEPOINT {name}"}]


@pytest.mark.parametrize(("visit", "size"), cases())
def test_query_budget_holds_whatever_the_size_of_the_book(
    visit: Visit, size: int, alice: Any, client: Any
) -> None:
    book = build_book(alice, size)
    if not visit.anonymous:
        client.force_login(alice)
    path, data = visit.path(book), visit.data(book)
    send = client.post if visit.method == "post" else client.get
    extra: dict[str, Any] = {"content_type": visit.content_type} if visit.content_type else {}
    if visit.content_type:
        data = json.dumps(data)
    with CaptureQueriesContext(connection) as captured:
        response = send(path, data, headers=visit.headers, **extra)
        # A streamed export reads the book as it is sent: its queries count too.
        body = b"".join(response.streaming_content) if response.streaming else response.content
    queries = [query["sql"] for query in captured.captured_queries]
    if visit.method == "post":
        queries = _without_request_transaction(queries)
    assert len(queries) <= visit.budget, f"{len(queries)} queries > {visit.budget}:\n" + "\n".join(queries)
    assert response.status_code == visit.status
    if visit.to is not None:
        assert response["Location"] == visit.to(book)
    if visit.shows is not None:
        assert visit.shows(book) in body.decode(errors="replace")

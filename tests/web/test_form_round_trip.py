"""Every form round-trips in every language: what a page draws, submitted back untouched, is what gets stored.

For each form of the table below, in French and in English: GET the page that shows it, read every control as a
browser would (tests/web/formpage.py: a `type="date"` input drawn `05/09/2026` is submitted empty, as Chromium
does), POST exactly that back with the page's CSRF token, and compare the stored row field by field:
- **edit**: the row is identical to what it was;
- **create**: the row holds the defaults drawn ("today" and "now" in the freelancer's time zone, not the
  server's) and the few values typed, amounts typed the way the language writes them.

The clock is frozen where the freelancer's day differs from the server's (Paris): 00:30 on 6 September in
Kiritimati (fr), 23:30 on 4 September in Pago Pago (en), 12:30 on 5 September in Paris.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import models
from django.test import Client as Browser
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clients.models import Absence, AccessToken, Client, Contact, Profile, Project
from conflicts.models import ConflictSignal
from crm.models import CheckIn, ClientPage, Interaction, Invoice, Mailbox, Promise, ScopeChange
from crm.models.journal import SUMMARY_LENGTH, truncate_code_points
from crm.reminders.emails import preferences_token
from tests.factories import (
    PASSWORD,
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
    make_user,
)
from tests.web.formpage import DrawnForm, drawn_forms

NOW = datetime(2026, 9, 5, 10, 30, 0, tzinfo=UTC)
ZONES = {"fr": "Pacific/Kiritimati", "en": "Pacific/Pago_Pago"}
LOCAL_TODAY = {"fr": date(2026, 9, 6), "en": date(2026, 9, 4)}
LOCAL_NOW = {"fr": "2026-09-06T00:30", "en": "2026-09-04T23:30"}
# An amount as each language writes it, with its thousands separator.
AMOUNT_TYPED = {"fr": "1 234,56", "en": "1,234.56"}
# Columns the database or `auto_now` writes: not the form's to keep.
NOT_FROM_FORMS = {
    "updated_at",
    "status_update_due_at",
    "current_due_on",
    "book_version",
    # Derived by the journal's door from the rows (crm/payments/due.py), not entered in a form.
    "next_reminder_at",
    "status_update_listed_at",
    "book_changed_clients",
}


@dataclass
class Book:
    language: str
    user: Any
    client: Client
    project: Project
    promise: Promise
    invoice: Invoice
    signal: ConflictSignal
    interaction: Interaction
    client_page: ClientPage
    late_invoice: Invoice

    @property
    def today(self) -> date:
        return LOCAL_TODAY[self.language]


@pytest.fixture(params=["fr", "en"])
def book(request: Any, db: None) -> Iterator[Book]:
    language = request.param
    with time_machine.travel(NOW, tick=False):
        user = make_user(
            f"ana-{language}", language=language, time_zone=ZONES[language], display_name="Ana Ødegård"
        )
        client = make_client(
            user,
            name="Zoé Ünïcode 🎉",
            company="Café & Co <b>",
            email="zoe@example.com",
            phone="+33 6 12 34 56 78",
            notes="Ligne 1\nLigne 2 « guillemets » & <tags>",
            cadence_days=14,
        )
        project = make_project(
            client,
            title="Refonte — e\u0301tape 1",
            goals="Plus de ventes\nMoins d’appels",
            deliverables="Maquette « accueil »\nBoutique & paiement",
            start_on=date(2026, 9, 5),
            due_on=date(2026, 12, 24),
            budget=Decimal("12345.67"),
        )
        yield Book(
            language,
            user,
            client,
            project,
            make_promise(client, made_on=date(2026, 9, 1), due_on=date(2026, 9, 20)),
            make_invoice(
                client, amount=Decimal("1234.56"), issued_on=date(2026, 9, 1), due_on=date(2026, 10, 1)
            ),
            make_conflict(
                client, observed_on=date(2026, 9, 2), severity=2, description="Désaccord\nsur le périmètre"
            ),
            make_interaction(
                client,
                project=project,
                happened_at=datetime(2026, 9, 3, 14, 30, 12, 345678, tzinfo=UTC),
                summary="Appel « point d’étape »\nsuite",
            ),
            ClientPage.objects.create(client=client),
            # Overdue: the client's page offers to confirm a new payment date for it.
            make_invoice(client, number="F-RETARD", issued_on=date(2026, 7, 1), due_on=date(2026, 8, 1)),
        )


def _connected_mailbox(book: Book) -> models.QuerySet:
    """The book's mailbox, connected on first use (its password typed once, never drawn again)."""
    from crm.capture.secrets import encrypt

    Mailbox.objects.get_or_create(
        owner=book.user,
        defaults={
            "imap_host": "imap.example.com",
            "imap_user": "ana@example.com",
            "imap_secret": encrypt("app password"),
            "smtp_host": "smtp.example.com",
            "address": "ana@example.com",
            "excluded": "compta@example.com\nexample.org",
            "status_keyword": "Point d’étape",
        },
    )
    return Mailbox.objects.filter(owner=book.user)


def _identified(book: Book) -> models.QuerySet:
    """The book's profile with its whole business identity filled in (every field drawn and sent back)."""
    rows = Profile.objects.filter(user=book.user)
    rows.update(
        trade_name="Atelier « Ø » & fils",
        legal_form="sasu",
        registration_number="73282932000074",
        vat_number="FR44732829320",
        address_line1="12, rue de l’Église",
        address_line2="Bât. B — 2ᵉ étage",
        postcode="75011",
        city="Paris",
        country="FR",
        business_email="contact@atelier.example",
        business_phone="+33 1 23 45 67 89",
        website="https://atelier.example/été",
        signature="Atelier Ø\nTél. +33 1 23 45 67 89",
    )
    return rows


def _recaps(book: Book) -> models.QuerySet:
    """The book's call (made on first use), whose recap the form writes (crm/recaps): "create" gains a recap."""
    from crm.models import Recap

    Interaction.objects.get_or_create(
        client=book.client,
        kind="call",
        defaults={"happened_at": datetime(2026, 9, 3, 9, 0, tzinfo=UTC), "summary": "Appel de lancement"},
    )
    return Recap.objects.filter(client=book.client)


def _call_recap_url(book: Book) -> str:
    call = Interaction.objects.get(client=book.client, kind="call")
    return reverse("web:interaction_recap", kwargs={"interaction_id": call.pk})


def _unnamed(book: Book) -> models.QuerySet:
    """The first run asks the name of a freelancer who has none yet: the book's own freelancer, unnamed, and no
    client (the first run shows in an empty book only). "Create": the profile gains its names."""
    Client.objects.filter(owner=book.user).delete()
    Profile.objects.filter(user=book.user).update(display_name="")
    return Profile.objects.filter(user=book.user, display_name__gt="")


@dataclass(frozen=True)
class Case:
    """One form: the page that draws it, the form on that page, what it writes and what must be stored."""

    name: str
    mode: str  # "create" or "edit"
    page: Callable[[Book], str]
    action: Callable[[Book], str] | None  # the form's action; None: the form posting to the page itself
    rows: Callable[[Book], models.QuerySet]  # create: the table that gains one row; edit: the edited row
    typed: Callable[[Book], dict[str, str]] = lambda book: {}
    expected: Callable[[Book, DrawnForm], dict[str, Any]] = lambda book, form: {}
    logged_in: bool = True


def _freelancer_change(book: Book) -> ScopeChange:
    """A change of the project's scope the freelancer asked for, priced, waiting for the client's decision."""
    change = ScopeChange.objects.filter(project=book.project, asked_by="freelancer").first()
    if change is None:
        change = ScopeChange(
            client=book.client,
            project=book.project,
            asked_on=date(2026, 9, 2),
            asked_by="freelancer",
            description="Version anglaise « EN »",
            price_change=Decimal("500.00"),
            deadline_change_days=7,
        )
        change.ask(datetime(2026, 9, 2, 9, 0, tzinfo=UTC))
        change.save()
    return change


def _absence(book: Book) -> Absence:
    """The client's project paused for a while, with a note."""
    absence, _created = Absence.objects.get_or_create(
        client=book.client,
        defaults={
            "project": book.project,
            "kind": Absence.Kind.PAUSED,
            "start_on": date(2026, 8, 1),
            "end_on": date(2026, 8, 20),
            "note": "En attente des contenus\u202f!",
        },
    )
    return absence


def _ws(book: Book) -> str:
    return reverse("web:client", kwargs={"client_id": book.client.pk})


def _entry_cases(kind: str, model: type[models.Model], typed: Callable, expected: Callable) -> list[Case]:
    """The same logging form, opened from a workspace (client given) and from the global "new" page."""

    def with_client(book: Book) -> dict[str, str]:
        return {**typed(book), "client": str(book.client.pk)}

    return [
        Case(
            f"{kind}_new_in_workspace",
            "create",
            lambda book: reverse(f"web:client_{kind}_new", kwargs={"client_id": book.client.pk}),
            lambda book: reverse(f"web:client_{kind}_new", kwargs={"client_id": book.client.pk}),
            lambda book: model.objects.all(),
            typed,
            expected,
        ),
        Case(
            f"{kind}_new",
            "create",
            lambda book: reverse(f"web:{kind}_new"),
            lambda book: reverse(f"web:{kind}_new"),
            lambda book: model.objects.all(),
            with_client,
            expected,
        ),
    ]


def _status_update_expected(book: Book, form: DrawnForm) -> dict[str, Any]:
    subject, body = form.value("subject").strip(), form.value("body").strip()
    return {
        "client_id": book.client.pk,
        "kind": "status_update",
        "direction": "to_client",
        "happened_at": NOW,
        "summary": truncate_code_points(f"{subject}\n\n{body}".strip(), SUMMARY_LENGTH),
    }


def _edit_case(kind: str, model: type[models.Model], attribute: str, id_kwarg: str) -> Case:
    """A journal record's full edit page, saved unchanged."""
    return Case(
        f"{kind}_edit",
        "edit",
        lambda book: reverse(f"web:{kind}_edit", kwargs={id_kwarg: getattr(book, attribute).pk}),
        None,
        lambda book: model.objects.filter(pk=getattr(book, attribute).pk),
    )


# The matrix: one entry per form and page; a new edit page joins it with one line, like the journal's below.
CASES: list[Case] = [
    _edit_case("interaction", Interaction, "interaction", "interaction_id"),
    _edit_case("promise", Promise, "promise", "promise_id"),
    _edit_case("invoice", Invoice, "invoice", "invoice_id"),
    _edit_case("conflict", ConflictSignal, "signal", "signal_id"),
    Case(
        "client_new",
        "create",
        lambda book: reverse("web:client_new"),
        None,
        lambda book: Client.objects.all(),
        lambda book: {"name": "Nouveau · client ✓"},
        lambda book, form: {
            "owner_id": book.user.pk,
            "name": "Nouveau · client ✓",
            "company": "",
            "email": "",
            "phone": "",
            "notes": "",
            # The freelancer's language, and its country while they gave no business address (issue 24, item 2).
            "language": book.language,
            "country": {"fr": "FR", "en": "GB"}[book.language],
            "status": "active",
            "cadence_days": 7,
        },
    ),
    Case(
        "client_edit",
        "edit",
        lambda book: reverse("web:client_edit", kwargs={"client_id": book.client.pk}),
        None,
        lambda book: Client.objects.filter(pk=book.client.pk),
    ),
    Case(
        "project_new",
        "create",
        lambda book: reverse("web:project_new", kwargs={"client_id": book.client.pk}),
        None,
        lambda book: Project.objects.all(),
        lambda book: {
            "title": "Maintenance",
            "budget": AMOUNT_TYPED[book.language],
            "start_on": "2026-10-01",
        },
        lambda book, form: {
            "client_id": book.client.pk,
            "title": "Maintenance",
            "goals": "",
            "status": "active",
            "start_on": date(2026, 10, 1),
            "due_on": None,
            "budget": Decimal("1234.56"),
            "currency": "EUR",
        },
    ),
    Case(
        "project_edit",
        "edit",
        lambda book: reverse("web:project_edit", kwargs={"project_id": book.project.pk}),
        None,
        lambda book: Project.objects.filter(pk=book.project.pk),
    ),
    Case(
        "contact_new",
        "create",
        lambda book: reverse("web:contact_new", kwargs={"client_id": book.client.pk}),
        None,
        lambda book: Contact.objects.all(),
        lambda book: {
            "name": "Paul Lefèvre",
            "role": "Comptabilité",
            "email": "compta@example.com",
            "other_emails": "paul@perso.example\nP.Lefevre@ancien.example",
        },
        lambda book, form: {
            "client_id": book.client.pk,
            "owner_id": book.user.pk,
            "name": "Paul Lefèvre",
            "role": "Comptabilité",
            "email": "compta@example.com",
            "other_emails": "paul@perso.example\nP.Lefevre@ancien.example",
            "phone": "",
            "is_primary": False,  # the client has its primary contact already
            "notes": "",
        },
    ),
    Case(
        "absence_new",
        "create",
        lambda book: reverse("web:absence_new", kwargs={"client_id": book.client.pk}),
        None,
        lambda book: Absence.objects.all(),
        lambda book: {"end_on": "2026-09-30", "note": "Congés « d’été »"},
        lambda book, form: {
            "client_id": book.client.pk,
            "owner_id": book.user.pk,
            "project_id": None,
            "kind": "holiday",
            "start_on": book.today,  # the freelancer's today, not the server's
            "end_on": date(2026, 9, 30),
            "note": "Congés « d’été »",
        },
    ),
    Case(
        "absence_edit",
        "edit",
        lambda book: reverse("web:absence_edit", kwargs={"absence_id": _absence(book).pk}),
        None,
        lambda book: Absence.objects.filter(pk=_absence(book).pk),
    ),
    Case(
        "contact_edit",
        "edit",
        lambda book: reverse("web:contact_edit", kwargs={"contact_id": book.client.contacts.get().pk}),
        None,
        lambda book: Contact.objects.filter(client=book.client),
    ),
    *_entry_cases(
        "interaction",
        Interaction,
        lambda book: {"summary": "Appel de cadrage"},
        lambda book, form: {
            "client_id": book.client.pk,
            "project_id": None,
            "kind": "email",
            "direction": "to_client",
            "happened_at": NOW,  # "now" drawn in the freelancer's zone, to the minute
            "summary": "Appel de cadrage",
        },
    ),
    *_entry_cases(
        "promise",
        Promise,
        lambda book: {"description": "Livrer la maquette", "due_on": "2026-09-30"},
        lambda book, form: {
            "client_id": book.client.pk,
            "project_id": None,
            "promisor": "freelancer",
            "description": "Livrer la maquette",
            "made_on": book.today,
            "due_on": date(2026, 9, 30),
            "state": "open",
        },
    ),
    *_entry_cases(
        "invoice",
        Invoice,
        lambda book: {"number": "F-2026-042", "amount": AMOUNT_TYPED[book.language], "due_on": "2026-10-05"},
        lambda book, form: {
            "client_id": book.client.pk,
            "owner_id": book.user.pk,
            "number": "F-2026-042",
            "amount": Decimal("1234.56"),
            "currency": "EUR",
            "issued_on": book.today,
            "due_on": date(2026, 10, 5),
            "paid_on": None,
        },
    ),
    *_entry_cases(
        "conflict",
        ConflictSignal,
        lambda book: {"kind": "payment"},
        lambda book, form: {
            "client_id": book.client.pk,
            "kind": "payment",
            "severity": 1,
            "observed_on": book.today,
            "description": "",
            "state": "open",
        },
    ),
    Case(
        "promise_explain",
        "edit",
        _ws,
        lambda book: reverse("web:promise_explain", kwargs={"promise_id": book.promise.pk}),
        lambda book: Promise.objects.filter(pk=book.promise.pk),
        lambda book: {"clarification": "L’hébergeur était en panne 🙁"},
        lambda book, form: {"clarification": "L’hébergeur était en panne 🙁", "clarified_at": NOW},
    ),
    Case(
        "invoice_renegotiate",
        "edit",
        _ws,
        lambda book: reverse("web:invoice_renegotiate", kwargs={"invoice_id": book.invoice.pk}),
        lambda book: Invoice.objects.filter(pk=book.invoice.pk),
        lambda book: {"renegotiated_due_on": "2026-10-15"},  # what a date picker submits, in any language
        lambda book, form: {"renegotiated_due_on": date(2026, 10, 15)},
    ),
    Case(
        "conflict_resolve",
        "edit",
        _ws,
        lambda book: reverse("web:conflict_resolve", kwargs={"signal_id": book.signal.pk}),
        lambda book: ConflictSignal.objects.filter(pk=book.signal.pk),
        lambda book: {"resolution": "Appel et avenant signé"},
        lambda book, form: {
            "state": "resolved",
            "resolved_on": book.today,
            "resolution": "Appel et avenant signé",
        },
    ),
    Case(
        "status_update_sent",
        "create",
        lambda book: reverse("web:status_update_draft", kwargs={"client_id": book.client.pk}),
        lambda book: reverse("web:status_update_mark_sent", kwargs={"client_id": book.client.pk}),
        lambda book: Interaction.objects.all(),
        expected=_status_update_expected,
    ),
    Case(
        "mailbox",
        "edit",
        lambda book: reverse("web:mailbox"),
        lambda book: reverse("web:mailbox"),
        lambda book: _connected_mailbox(book),
    ),
    Case(
        "profile",
        "edit",
        lambda book: reverse("profile"),
        None,
        lambda book: Profile.objects.filter(user=book.user),
    ),
    Case(
        "business",
        "edit",
        lambda book: reverse("business"),
        None,
        lambda book: _identified(book),
    ),
    Case(
        "business_start",
        "create",
        lambda book: reverse("crm:dashboard"),
        lambda book: reverse("business_start"),
        lambda book: _unnamed(book),
        lambda book: {"display_name": "Ana Ødegård", "trade_name": "Atelier « Ø » & fils"},
        lambda book, form: {"display_name": "Ana Ødegård", "trade_name": "Atelier « Ø » & fils"},
    ),
    Case(
        "interaction_recap",
        "create",
        _call_recap_url,
        None,
        _recaps,
        lambda book: {
            "decided": "Maquette « v2 » validée\r\nEnvoi lundi",
            "lines-0-description": "Envoyer la maquette",
            "lines-0-due_on": "2026-09-30",
        },
        lambda book, form: {
            "client_id": book.client.pk,
            "decided": "Maquette « v2 » validée\nEnvoi lundi",
            "open_questions": "",
        },
    ),
    Case(
        "client_page_payment_date",
        "create",
        lambda book: reverse("portal:page", kwargs={"token": book.client_page.token}),
        None,
        lambda book: Promise.objects.all(),
        lambda book: {"new_due_on": "2026-09-30"},
        lambda book, form: {
            "client_id": book.client.pk,
            "promisor": "client",
            "description": "Régler la facture F-RETARD",  # the client's language (French)
            "made_on": book.today,  # the freelancer's day, which the page shows
            "due_on": date(2026, 9, 30),
            "state": "open",
        },
        logged_in=False,
    ),
    # The client's voice on their page (issue 26): each answer posts to its own address under the page's link.
    Case(
        "client_page_check_in",
        "create",
        lambda book: reverse("portal:page", kwargs={"token": book.client_page.token}),
        lambda book: reverse("portal:check_in_new", kwargs={"token": book.client_page.token}),
        lambda book: CheckIn.objects.all(),
        lambda book: {"checkin-level": "mixed", "checkin-note": "Un peu lent « mais » sûr"},
        lambda book, form: {
            "client_id": book.client.pk,
            "level": "mixed",
            "note": "Un peu lent « mais » sûr",
            "withdrawn_at": None,
        },
        logged_in=False,
    ),
    Case(
        "client_page_concern",
        "create",
        lambda book: reverse("portal:page", kwargs={"token": book.client_page.token}),
        lambda book: reverse("portal:concern_new", kwargs={"token": book.client_page.token}),
        lambda book: ConflictSignal.objects.filter(raised_by="client"),
        lambda book: {"concern-kind": "posture", "concern-description": "Le ton « sec » des mails"},
        lambda book, form: {
            "client_id": book.client.pk,
            "kind": "posture",
            "description": "Le ton « sec » des mails",
            "raised_by": "client",
            "state": "open",
            "observed_on": book.today,  # the freelancer's day, which the page shows
        },
        logged_in=False,
    ),
    Case(
        "scope_change_new",
        "create",
        lambda book: reverse("web:project", kwargs={"project_id": book.project.pk}),
        lambda book: reverse("web:scope_change_new", kwargs={"project_id": book.project.pk}),
        lambda book: ScopeChange.objects.all(),
        lambda book: {
            "description": "Une page « références » en plus",
            "price_change": AMOUNT_TYPED[book.language],
            "deadline_change_days": "-3",
        },
        lambda book, form: {
            "client_id": book.client.pk,
            "project_id": book.project.pk,
            "asked_on": book.today,  # the freelancer's today, not the server's
            "asked_by": "client",
            "description": "Une page « références » en plus",
            "price_change": Decimal("1234.56"),
            "deadline_change_days": -3,
            "client_decision": "accepted",  # the side that asks agrees by asking
            "client_decided_at": NOW,
            "freelancer_decision": "pending",
            "freelancer_decided_at": None,
            "applied_at": None,
        },
    ),
    Case(
        "client_page_scope_decision",
        "edit",
        lambda book: reverse("portal:page", kwargs={"token": book.client_page.token}),
        lambda book: reverse("portal:scope_change_accept", kwargs={"token": book.client_page.token}),
        lambda book: ScopeChange.objects.filter(pk=_freelancer_change(book).pk),
        expected=lambda book, form: {
            "client_decision": "accepted",
            "client_decided_at": NOW,
            # Accepted by both: applied to the project, what it was before kept in the log.
            "budget_before": Decimal("12345.67"),
            "due_on_before": date(2026, 12, 24),
            "applied_at": NOW,
        },
        logged_in=False,
    ),
    Case(
        "client_page_choices",
        "edit",
        lambda book: reverse("web:client_page", kwargs={"client_id": book.client.pk}),
        None,
        lambda book: ClientPage.objects.filter(pk=book.client_page.pk),
    ),
    Case(
        "email_preferences",
        "edit",
        lambda book: reverse(
            "web:email_preferences", kwargs={"token": preferences_token(book.user.pk, "digest")}
        ),
        None,
        lambda book: Profile.objects.filter(user=book.user),
        logged_in=False,
    ),
    Case(
        "email_change",
        "edit",
        lambda book: reverse("email_change"),
        None,
        lambda book: Profile.objects.filter(user=book.user),
        lambda book: {"email": "ana.new@example.com", "password": PASSWORD},
        lambda book, form: {"pending_email": "ana.new@example.com"},
    ),
    Case(
        "two_factor_setup",
        "create",
        lambda book: reverse("two_factor_setup"),
        None,
        lambda book: TOTPDevice.objects.filter(confirmed=True),
        # What the authenticator app shows for the key the page drew (the device made by that GET).
        lambda book: {"code": f"{totp(TOTPDevice.objects.get(user=book.user).bin_key):06d}"},
        lambda book, form: {"user_id": book.user.pk, "confirmed": True},
    ),
    Case(
        "api_token_new",
        "create",
        lambda book: reverse("web:api_tokens"),
        None,
        lambda book: AccessToken.objects.all(),
        lambda book: {"name": "Script « factures » ✓"},
        lambda book, form: {
            "owner_id": book.user.pk,
            "name": "Script « factures » ✓",
            "scope": "read",
            "revoked_at": None,
        },
    ),
]


def snapshot(row: models.Model) -> dict[str, Any]:
    """Return every stored column of `row` a form may write."""
    return {
        column.attname: getattr(row, column.attname)
        for column in row._meta.concrete_fields
        if column.name not in NOT_FROM_FORMS
    }


def _form_on(html: str, action: str | None, page: str) -> DrawnForm:
    forms = [
        form
        for form in drawn_forms(html)
        if form.attrs.get("method", "get").lower() == "post"
        and (form.action == action if action is not None else form.action in ("", page))
    ]
    # A page may add a bare button form beside the form (the preferences page's "turn off every link").
    forms = [form for form in forms if form.fields] or forms
    assert len(forms) == 1, f"expected one form posting to {action or page}, found {len(forms)}"
    return forms[0]


def round_trip(book: Book, case: Case) -> tuple[DrawnForm, Any]:
    """Open the page, fill in only what a person types, submit; return the drawn form and the response."""
    browser = Browser(enforce_csrf_checks=True)
    if case.logged_in:
        browser.force_login(book.user)
    page = case.page(book)
    shown = browser.get(page)
    assert shown.status_code == 200
    form = _form_on(shown.content.decode(), case.action(book) if case.action else None, page)
    data = {**form.data(), **case.typed(book)}
    answer = browser.post(case.action(book) if case.action else page, data)
    return form, answer


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_form_round_trips(book: Book, case: Case) -> None:
    rows = case.rows(book)
    with time_machine.travel(NOW, tick=False):
        before = list(rows) if case.mode == "edit" else rows.count()
        form, answer = round_trip(book, case)
    problems = answer.content.decode() if answer.status_code not in (200, 302) else ""
    assert answer.status_code in (200, 302), problems
    if case.mode == "edit":
        assert answer.status_code == 302 or case.name == "email_preferences", answer.content.decode()[:3000]
        (row,) = list(case.rows(book))
        expected = {**snapshot(before[0]), **case.expected(book, form)}
        assert snapshot(row) == expected
        return
    # A new API token is shown in the answer to its post, once (never stored, so no redirect to show it).
    assert answer.status_code == 302 or (case.name == "api_token_new" and b"cfc_" in answer.content), _errors(
        answer
    )
    assert rows.count() == before + 1
    row = rows.order_by("-pk").first()
    stored = snapshot(row)
    assert {name: stored[name] for name in case.expected(book, form)} == case.expected(book, form)


def _errors(answer: Any) -> str:
    html = answer.content.decode()
    start = html.find('class="errorlist')
    return html[start : start + 500] if start >= 0 else html[:500]


def test_dates_are_drawn_in_iso_and_amounts_in_the_language(book: Book) -> None:
    """What the matrix relies on, said plainly: ISO in date inputs, the language's decimal mark in amounts."""
    language = book.language
    browser = Browser()
    browser.force_login(book.user)
    html = browser.get(reverse("web:project_edit", kwargs={"project_id": book.project.pk})).content.decode()
    assert 'type="date" name="start_on" value="2026-09-05"' in html or 'value="2026-09-05"' in html
    (form,) = [f for f in drawn_forms(html) if f.attrs.get("method") == "post" and f.action in ("",)]
    assert form.value("start_on") == "2026-09-05"
    assert form.value("due_on") == "2026-12-24"
    assert form.types["budget"] == "text"
    assert form.value("budget") == {"fr": "12345,67", "en": "12345.67"}[language]
    assert 'inputmode="decimal"' in html
    with time_machine.travel(NOW, tick=False):
        html = browser.get(reverse("web:interaction_new")).content.decode()
    (entry,) = [f for f in drawn_forms(html) if f.attrs.get("id") == "new-interaction"]
    assert entry.value("happened_at") == LOCAL_NOW[language]


@pytest.mark.parametrize(
    ("language", "typed", "stored"),
    [
        ("fr", "1 234,56", Decimal("1234.56")),
        ("fr", "1\u202f234,56", Decimal("1234.56")),
        ("fr", "1234,56", Decimal("1234.56")),
        ("fr", "1.234,56", Decimal("1234.56")),
        ("fr", "12.5", Decimal("12.5")),
        ("en", "1,234.56", Decimal("1234.56")),
        ("en", "1234.56", Decimal("1234.56")),
        ("en", "1 234.56", Decimal("1234.56")),
    ],
)
def test_amounts_are_read_as_typed_in_the_language(
    alice: Any, language: str, typed: str, stored: Decimal
) -> None:
    from django.utils import translation

    from crm.web.forms import InvoiceForm

    client = make_client(alice)
    with translation.override(language):
        form = InvoiceForm(
            {
                "client": client.pk,
                "number": "A-1",
                "amount": typed,
                "currency": "EUR",
                "issued_on": "2026-09-01",
                "due_on": "2026-09-30",
            },
            owner=alice,
        )
        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == stored


@pytest.mark.parametrize(
    ("language", "typed"), [("en", "1,5"), ("en", "12,34,5"), ("fr", "1,2,3"), ("fr", "abc")]
)
def test_ambiguous_amounts_are_refused_not_guessed(alice: Any, language: str, typed: str) -> None:
    from django.utils import translation

    from crm.web.forms import InvoiceForm

    with translation.override(language):
        form = InvoiceForm({"amount": typed}, owner=alice)
        form.is_valid()
        assert "amount" in form.errors


def test_the_matrix_covers_every_form_class_of_the_app() -> None:
    """A new form class must get a line in CASES: the forms drawn by the pages of the matrix, by class."""
    import clients.forms
    import conflicts.forms
    import crm.api.forms
    import crm.capture.forms
    import crm.dataio.forms
    import crm.portal.forms
    import crm.portal.voice_forms
    import crm.recaps.forms
    import crm.reminders.forms
    import crm.web.forms

    covered = {
        "ProfileForm": "profile",
        "ClientForm": "client_edit",
        "NewClientForm": "client_new",
        "ProjectForm": "project_edit",
        "ContactForm": "contact_edit",
        "AbsenceForm": "absence_edit",
        "InteractionForm": "interaction_new",
        "PromiseForm": "promise_new",
        "InvoiceForm": "invoice_new",
        "ConflictSignalForm": "conflict_new",
        "ResolveConflictForm": "conflict_resolve",
        "ExplainDelayForm": "promise_explain",
        "RenegotiateForm": "invoice_renegotiate",
        "StatusUpdateForm": "status_update_sent",
        "EmailPreferencesForm": "email_preferences",
        "AccessTokenForm": "api_token_new",
        "PaymentDateForm": "client_page_payment_date",
        "ScopeChangeForm": "scope_change_new",
        "ScopeDecisionForm": "client_page_scope_decision",
        "ClientPageForm": "client_page_choices",
        "CheckInForm": "client_page_check_in",
        "ConcernForm": "client_page_concern",
        "InteractionEditForm": "interaction_edit",
        "PromiseEditForm": "promise_edit",
        "InvoiceEditForm": "invoice_edit",
        "ConflictSignalEditForm": "conflict_edit",
        "EmailChangeForm": "email_change",
        "TwoFactorCodeForm": "two_factor_setup",
        # A password typed to confirm turning two-factor off: nothing drawn from a stored row.
        "ConfirmPasswordForm": None,
        # Account forms round-trip nothing stored from a drawn value (a password is never drawn).
        "SignupForm": None,
        "ThrottledAuthenticationForm": None,
        "LocalizedPasswordResetForm": None,
        "AccountDeleteForm": None,
        # A feeling is given, never edited: nothing drawn from a stored row to send back.
        "FeelingForm": None,
        # A one-click action's form carries nothing but its one-time token.
        "ActionForm": None,
        # An upload draws no stored value back; the column mapping's round trip, in both languages, is
        # tests/dataio/test_import_clients.py::test_the_drawn_mapping_posted_back_unchanged_keeps_it.
        "UploadForm": None,
        "MappingForm": None,
        "MailboxForm": "mailbox",
        "BusinessForm": "business",
        "BusinessStartForm": "business_start",
        # A file to read and a checkbox that deletes: nothing drawn from a stored row to send back.
        "ImportForm": None,
        "DisconnectForm": None,
        # The recap of a call (crm/recaps): the form and its lines' formset post together; the client's answers
        # carry a line's or a recap's id and a correction typed, nothing drawn from a stored row.
        "RecapForm": "interaction_recap",
        "RecapLineForm": "interaction_recap",
        "RecapConfirmForm": None,
        "RecapLineAnswerForm": None,
    }
    from django import forms as django_forms

    declared = {
        name
        for module in (
            clients.forms,
            conflicts.forms,
            crm.web.forms,
            crm.reminders.forms,
            crm.dataio.forms,
            crm.api.forms,
            crm.portal.forms,
            crm.portal.voice_forms,
            crm.capture.forms,
            crm.recaps.forms,
        )
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, django_forms.BaseForm)
        and value.__module__ == module.__name__
    }
    assert declared - covered.keys() == set()
    names = {case.name for case in CASES}
    assert {name for name in covered.values() if name} <= names

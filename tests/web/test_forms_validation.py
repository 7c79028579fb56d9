"""Forms and the admin refuse bad input with a clear message, and save nothing (never a 500)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from clients.forms import ClientForm, ProjectForm
from clients.models import Client, Project
from conflicts.forms import ConflictSignalForm
from conflicts.models import ConflictSignal
from crm.models import Interaction, Invoice, Promise
from crm.web.forms import InteractionForm, InvoiceForm, PromiseForm
from tests.factories import log_in_staff, make_client, make_invoice, make_project, make_user

NOT_AVAILABLE = "Select a valid choice. That choice is not one of the available choices."


def _valid_data(kind: str, client: Client) -> dict[str, Any]:
    return {
        "project": {"client": client.pk, "title": "Refonte", "status": "active", "currency": "EUR"},
        "interaction": {
            "client": client.pk,
            "kind": "call",
            "direction": "from_client",
            "happened_at": "2026-03-02T10:00",
            "summary": "Appel",
        },
        "promise": {
            "client": client.pk,
            "promisor": "freelancer",
            "description": "Livrer la maquette",
            "made_on": "2026-03-02",
            "due_on": "2026-03-09",
        },
        "invoice": {
            "client": client.pk,
            "number": "2026-001",
            "amount": "1200.00",
            "currency": "EUR",
            "issued_on": "2026-03-02",
            "due_on": "2026-04-01",
        },
        "conflict": {"client": client.pk, "kind": "posture", "severity": "2", "observed_on": "2026-03-02"},
    }[kind]


FORMS = {
    "project": (ProjectForm, Project),
    "interaction": (InteractionForm, Interaction),
    "promise": (PromiseForm, Promise),
    "invoice": (InvoiceForm, Invoice),
    "conflict": (ConflictSignalForm, ConflictSignal),
}


def _bind(kind: str, owner: Any, data: dict[str, Any]) -> Any:
    form_class, _model = FORMS[kind]
    return form_class(data, owner=owner)


@pytest.mark.parametrize("kind", FORMS)
def test_valid_data_is_accepted_so_the_refusals_below_mean_something(alice: Any, kind: str) -> None:
    form = _bind(kind, alice, _valid_data(kind, make_client(alice)))
    assert form.is_valid(), form.errors
    assert form.save().pk


@pytest.mark.parametrize("kind", FORMS)
def test_a_client_of_another_freelancer_is_refused(alice: Any, bob: Any, kind: str) -> None:
    """Tampering with the client select to post bob's client id."""
    bobs_client = make_client(bob, name="Client de Bob")
    form = _bind(kind, alice, _valid_data(kind, bobs_client))
    assert not form.is_valid()
    assert form.errors["client"] == [NOT_AVAILABLE]


@pytest.mark.parametrize("kind", ["interaction", "promise", "invoice"])
def test_a_project_of_another_freelancer_is_refused(alice: Any, bob: Any, kind: str) -> None:
    bobs_project = make_project(make_client(bob))
    data = {**_valid_data(kind, make_client(alice)), "project": bobs_project.pk}
    form = _bind(kind, alice, data)
    assert not form.is_valid()
    assert form.errors["project"] == [NOT_AVAILABLE]


@pytest.mark.parametrize("kind", ["interaction", "promise", "invoice"])
def test_a_project_of_another_client_is_refused(alice: Any, kind: str) -> None:
    other_project = make_project(make_client(alice, name="Autre client"))
    data = {**_valid_data(kind, make_client(alice)), "project": other_project.pk}
    form = _bind(kind, alice, data)
    assert not form.is_valid()
    assert form.errors["project"] == ["This project belongs to another client."]


@pytest.mark.parametrize(
    ("kind", "bad", "field", "message"),
    [
        ("invoice", {"due_on": "2026-03-01"}, "due_on", "The due date cannot be before the issue date."),
        ("invoice", {"amount": "0"}, "amount", "Ensure this value is greater than or equal to 0.01."),
        ("invoice", {"amount": "-50"}, "amount", "Ensure this value is greater than or equal to 0.01."),
        ("invoice", {"currency": "E1"}, "currency", "Use a three-letter currency code, such as EUR."),
        (
            "promise",
            {"due_on": "2026-03-01"},
            "due_on",
            "The due date cannot be before the day the promise was made.",
        ),
        ("promise", {"promisor": "nobody"}, "promisor", None),
        (
            "conflict",
            {"severity": "4"},
            "severity",
            "Select a valid choice. 4 is not one of the available choices.",
        ),
        (
            "conflict",
            {"severity": "0"},
            "severity",
            "Select a valid choice. 0 is not one of the available choices.",
        ),
        (
            "project",
            {"start_on": "2026-03-02", "due_on": "2026-03-01"},
            "due_on",
            "The due date cannot be before the start date.",
        ),
        ("project", {"budget": "-1"}, "budget", "Ensure this value is greater than or equal to 0."),
        (
            "interaction",
            {"kind": "fax"},
            "kind",
            "Select a valid choice. fax is not one of the available choices.",
        ),
        ("interaction", {"happened_at": "yesterday"}, "happened_at", "Enter a valid date/time."),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    alice: Any, kind: str, bad: dict[str, str], field: str, message: str | None
) -> None:
    form = _bind(kind, alice, {**_valid_data(kind, make_client(alice)), **bad})
    assert not form.is_valid()
    if message is None:
        assert form.errors[field]
    else:
        assert form.errors[field] == [message]


def test_a_duplicate_invoice_number_is_refused(alice: Any) -> None:
    client = make_client(alice, name="Atelier Brun")
    make_invoice(client, number="2026-001", issued_on=date(2026, 3, 2))
    form = _bind("invoice", alice, _valid_data("invoice", client))
    assert not form.is_valid()
    assert form.errors["number"] == [
        "You already have an invoice numbered 2026-001 (Atelier Brun, issued on March 2, 2026)."
    ]


@pytest.mark.parametrize("typed", ["f-2026-001", " F-2026-001 ", "F-2026-001"])
def test_the_same_number_in_another_case_is_the_same_invoice_number(alice: Any, typed: str) -> None:
    # One client, two invoices "F-2026-001" and "f-2026-001": the same number to an accountant.
    client = make_client(alice, name="Atelier Brun")
    make_invoice(client, number="F-2026-001", issued_on=date(2026, 3, 2))
    form = _bind("invoice", alice, {**_valid_data("invoice", client), "number": typed})

    assert not form.is_valid()
    assert "You already have an invoice numbered F-2026-001" in form.errors["number"][0]
    assert Invoice.objects.count() == 1


def test_another_freelancers_invoice_number_is_free(alice: Any, bob: Any) -> None:
    make_invoice(make_client(bob), number="2026-001")
    form = _bind("invoice", alice, _valid_data("invoice", make_client(alice)))
    assert form.is_valid(), form.errors


def test_editing_an_invoice_keeps_its_own_number(alice: Any) -> None:
    invoice = make_invoice(make_client(alice), number="2026-001", issued_on=date(2026, 3, 2))
    data = {**_valid_data("invoice", invoice.client), "amount": "1500.00"}
    form = InvoiceForm(data, instance=invoice, owner=alice)
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("bad", "field", "message"),
    [
        ({"cadence_days": "0"}, "cadence_days", "Ensure this value is greater than or equal to 1."),
        ({"cadence_days": "400"}, "cadence_days", "Ensure this value is less than or equal to 365."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"name": ""}, "name", "This field is required."),
        ({"status": "vip"}, "status", "Select a valid choice. vip is not one of the available choices."),
    ],
)
def test_client_form_refuses_bad_values(alice: Any, bad: dict[str, str], field: str, message: str) -> None:
    data = {"name": "Atelier", "language": "fr", "status": "active", "cadence_days": "7", **bad}
    form = ClientForm(data, instance=Client(owner=alice))
    assert not form.is_valid()
    assert form.errors[field] == [message]


# -- through the pages: the same refusals, nothing saved, no 500 ----------------------------------------------


@pytest.mark.parametrize("kind", ["interaction", "promise", "invoice", "conflict"])
def test_logging_for_another_freelancers_client_saves_nothing(alice_client: Any, bob: Any, kind: str) -> None:
    bobs_client = make_client(bob)
    _form, model = FORMS[kind]
    response = alice_client.post(reverse(f"web:{kind}_new"), _valid_data(kind, bobs_client))
    assert response.status_code == 200
    assert NOT_AVAILABLE in response.content.decode()
    assert model.objects.count() == 0


def test_new_project_with_due_before_start_saves_nothing(alice_client: Any, alice: Any) -> None:
    client = make_client(alice)
    data = {**_valid_data("project", client), "start_on": "2026-03-02", "due_on": "2026-03-01"}
    response = alice_client.post(reverse("web:project_new", args=[client.pk]), data)
    assert response.status_code == 200
    assert "The due date cannot be before the start date." in response.content.decode()
    assert Project.objects.count() == 0


# -- the admin refuses the same ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client: Any, db: None) -> Any:
    root = make_user("root")
    root.is_staff = root.is_superuser = True
    root.save()
    return log_in_staff(client, root)


def _admin_invoice(client: Client, **overrides: str) -> dict[str, Any]:
    return {
        "owner": client.owner_id,
        "client": client.pk,
        "number": "2026-001",
        "amount": "1200.00",
        "currency": "EUR",
        "issued_on": "2026-03-02",
        "due_on": "2026-04-01",
        **overrides,
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"due_on": "2026-03-01"}, "The due date cannot be before the issue date."),
        ({"amount": "-5"}, "Ensure this value is greater than or equal to 0.01."),
        ({"number": "DUP-1"}, "You already have an invoice numbered DUP-1"),
    ],
)
def test_admin_refuses_a_bad_invoice(
    admin_client: Any, alice: Any, overrides: dict[str, str], message: str
) -> None:
    client = make_client(alice)
    make_invoice(client, number="DUP-1")
    response = admin_client.post("/admin/crm/invoice/add/", _admin_invoice(client, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Invoice.objects.count() == 1


def test_admin_refuses_an_invoice_for_another_owners_client(admin_client: Any, alice: Any, bob: Any) -> None:
    bobs_client = make_client(bob)
    data = {**_admin_invoice(bobs_client), "owner": alice.pk}
    response = admin_client.post("/admin/crm/invoice/add/", data)
    assert response.status_code == 200
    assert "This client belongs to another freelancer." in response.content.decode()
    assert Invoice.objects.count() == 0


def test_admin_accepts_a_valid_invoice(admin_client: Any, alice: Any) -> None:
    response = admin_client.post("/admin/crm/invoice/add/", _admin_invoice(make_client(alice)))
    assert response.status_code == 302
    assert Invoice.objects.get().number == "2026-001"


def test_admin_refuses_a_severity_out_of_range(admin_client: Any, alice: Any) -> None:
    data = {
        "client": make_client(alice).pk,
        "kind": "posture",
        "severity": "4",
        "observed_on": "2026-03-02",
        "state": "open",
    }
    response = admin_client.post("/admin/conflicts/conflictsignal/add/", data)
    assert response.status_code == 200
    assert "Select a valid choice. 4 is not one of the available choices." in response.content.decode()
    assert ConflictSignal.objects.count() == 0


def test_admin_refuses_a_resolved_conflict_without_a_day(admin_client: Any, alice: Any) -> None:
    data = {
        "client": make_client(alice).pk,
        "kind": "ideas",
        "severity": "1",
        "observed_on": "2026-03-02",
        "state": "resolved",
    }
    response = admin_client.post("/admin/conflicts/conflictsignal/add/", data)
    assert response.status_code == 200
    assert "Say when the conflict was resolved." in response.content.decode()
    assert ConflictSignal.objects.count() == 0


def test_admin_refuses_a_project_due_before_it_starts(admin_client: Any, alice: Any) -> None:
    data = {
        "client": make_client(alice).pk,
        "title": "Refonte",
        "status": "active",
        "currency": "EUR",
        "start_on": "2026-03-02",
        "due_on": "2026-03-01",
        "budget": "-1",
    }
    response = admin_client.post("/admin/clients/project/add/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "The due date cannot be before the start date." in page
    assert Project.objects.count() == 0


def test_admin_refuses_a_kept_promise_without_a_day(admin_client: Any, alice: Any) -> None:
    data = {
        "client": make_client(alice).pk,
        "promisor": "freelancer",
        "description": "Livrer",
        "made_on": "2026-03-02",
        "due_on": "2026-03-09",
        "state": "kept",
        "clarification": "",
    }
    response = admin_client.post("/admin/crm/promise/add/", data)
    assert response.status_code == 200
    assert "A kept promise needs the day it was kept, and no broken date." in response.content.decode()
    assert Promise.objects.count() == 0


def test_admin_refuses_a_client_with_a_cadence_of_zero(admin_client: Any, alice: Any) -> None:
    data = {
        "owner": alice.pk,
        "name": "Atelier",
        "language": "fr",
        "status": "active",
        "cadence_days": "0",
        "projects-TOTAL_FORMS": "0",
        "projects-INITIAL_FORMS": "0",
    }
    response = admin_client.post("/admin/clients/client/add/", data)
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert Client.objects.count() == 0

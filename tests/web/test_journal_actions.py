"""Invoice, conflict and status-update actions, and the logging forms (htmx, inline errors, no-JS)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.urls import reverse
from django.utils import formats, timezone

from clients.models import Client
from crm.models import Interaction, Promise
from tests.factories import make_client, make_conflict, make_invoice, make_project

NOW = "2026-03-10 09:00 +01:00"
HTMX = {"HX-Request": "true"}


@time_machine.travel(NOW, tick=False)
def test_invoice_paid_with_htmx(alice_client: Any, alice: Any) -> None:
    today = timezone.localdate()
    invoice = make_invoice(
        make_client(alice),
        number="F-9",
        issued_on=today - timedelta(days=40),
        due_on=today - timedelta(days=10),
    )
    response = alice_client.post(
        reverse("web:invoice_mark_paid", kwargs={"invoice_id": invoice.pk}), headers=HTMX
    )
    assert "paid March 10, 2026" in response.content.decode()
    assert "journal-changed" in response["HX-Trigger"]
    invoice.refresh_from_db()
    assert invoice.paid_on == today


@time_machine.travel(NOW, tick=False)
def test_renegotiated_due_date_is_shown_and_refused_before_issue(alice_client: Any, alice: Any) -> None:
    today = timezone.localdate()
    invoice = make_invoice(
        make_client(alice), issued_on=today - timedelta(days=40), due_on=today - timedelta(days=10)
    )
    url = reverse("web:invoice_renegotiate", kwargs={"invoice_id": invoice.pk})
    bad = alice_client.post(url, {"renegotiated_due_on": "2025-01-01"}, headers=HTMX).content.decode()
    assert "The new due date cannot be before the issue date." in bad
    good = alice_client.post(url, {"renegotiated_due_on": "2026-03-31"}, headers=HTMX).content.decode()
    # The first due date stays (the lateness runs from it), the new one beside it (issue 22).
    first = f"due {formats.date_format(invoice.due_on, 'DATE_FORMAT')}"
    assert first in good and "new date agreed: March 31, 2026" in good


@time_machine.travel(NOW, tick=False)
def test_conflict_resolved_says_how(alice_client: Any, alice: Any) -> None:
    signal = make_conflict(make_client(alice), kind="posture", observed_on=timezone.localdate())
    url = reverse("web:conflict_resolve", kwargs={"signal_id": signal.pk})
    response = alice_client.post(
        url, {"resolved_on": "2026-03-10", "resolution": "Listened, found the cause"}, headers=HTMX
    )
    html = response.content.decode()
    assert "resolved March 10, 2026" in html and "Listened, found the cause" in html
    signal.refresh_from_db()
    assert signal.state == "resolved"


@time_machine.travel(NOW, tick=False)
def test_conflict_resolution_without_js_redirects(alice_client: Any, alice: Any) -> None:
    signal = make_conflict(make_client(alice), observed_on=timezone.localdate())
    url = reverse("web:conflict_resolve", kwargs={"signal_id": signal.pk})
    response = alice_client.post(url, {"resolved_on": "2026-03-10", "resolution": "Talked"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:client", kwargs={"client_id": signal.client_id})


@time_machine.travel(NOW, tick=False)
def test_status_update_sent_logs_it_and_restarts_the_cadence(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice, name="Rita")
    Client.objects.filter(pk=rita.pk).update(created_at=timezone.now() - timedelta(days=30))
    url = reverse("web:status_update_mark_sent", kwargs={"client_id": rita.pk})
    response = alice_client.post(url, headers=HTMX)
    # A 200, not a 204: htmx swaps nothing from a 204, and the answer carries the undo toast.
    assert response.status_code == 200 and "journal-changed" in response["HX-Trigger"]
    assert 'hx-swap-oob="innerHTML"' in response.content.decode()
    rita.refresh_from_db()
    assert rita.last_status_update_at == timezone.now()
    assert Interaction.objects.status_updates().filter(client=rita).count() == 1
    dashboard = alice_client.get(reverse("web:dashboard")).content.decode()
    assert '<span class="count-pill" data-count="status_updates">0</span>' in dashboard


@time_machine.travel(NOW, tick=False)
def test_status_update_sent_without_js_redirects_with_a_message(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice, name="Rita")
    response = alice_client.post(
        reverse("web:status_update_mark_sent", kwargs={"client_id": rita.pk}), {"next": "/"}, follow=True
    )
    assert "Status update logged for Rita." in response.content.decode()


@time_machine.travel(NOW, tick=False)
def test_make_a_promise_from_the_workspace_with_htmx(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    url = reverse("web:client_promise_new", kwargs={"client_id": rita.pk})
    data = {
        "client": rita.pk,
        "promisor": "freelancer",
        "description": "Send the sitemap",
        "made_on": "2026-03-10",
        "due_on": "2026-03-12",
    }
    response = alice_client.post(url, data, headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="new-promise"') and "Promise saved." in html
    assert "journal-changed" in response["HX-Trigger"]
    assert Promise.objects.get(client=rita).description == "Send the sitemap"
    timeline = alice_client.get(reverse("web:client", kwargs={"client_id": rita.pk})).content.decode()
    assert "Send the sitemap" in timeline


@time_machine.travel(NOW, tick=False)
def test_invalid_promise_shows_errors_inline(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    url = reverse("web:client_promise_new", kwargs={"client_id": rita.pk})
    data = {
        "client": rita.pk,
        "promisor": "freelancer",
        "description": "",
        "made_on": "2026-03-10",
        "due_on": "2026-03-01",
    }
    html = alice_client.post(url, data, headers=HTMX).content.decode()
    assert 'class="errorlist"' in html and "This field is required." in html
    assert "<html" not in html
    assert not Promise.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_log_an_interaction_without_js(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice, name="Rita")
    page = alice_client.get(reverse("web:interaction_new")).content.decode()
    assert "Log an interaction" in page and "Rita" in page
    data = {
        "client": rita.pk,
        "kind": "call",
        "direction": "from_client",
        "happened_at": "2026-03-10T08:30",
        "summary": "Asked for a call back",
    }
    response = alice_client.post(reverse("web:interaction_new"), data)
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:client", kwargs={"client_id": rita.pk}
    )
    rita.refresh_from_db()
    assert rita.last_contact_at is not None


@time_machine.travel(NOW, tick=False)
def test_invalid_form_without_js_shows_the_full_page_with_errors(alice_client: Any, alice: Any) -> None:
    html = alice_client.post(reverse("web:invoice_new"), {"number": ""}).content.decode()
    assert "<html" in html and "Record an invoice" in html and "This field is required." in html


@time_machine.travel(NOW, tick=False)
def test_forms_refuse_another_owners_client_and_project(alice_client: Any, alice: Any, bob: Any) -> None:
    rita = make_client(alice)
    bobs = make_client(bob)
    data = {"client": bobs.pk, "kind": "call", "direction": "to_client", "happened_at": "2026-03-10T08:30"}
    html = alice_client.post(reverse("web:interaction_new"), data).content.decode()
    assert "Select a valid choice." in html
    project = make_project(bobs)
    data = {
        "client": rita.pk,
        "project": project.pk,
        "kind": "call",
        "direction": "to_client",
        "happened_at": "2026-03-10T08:30",
    }
    html = alice_client.post(
        reverse("web:client_interaction_new", kwargs={"client_id": rita.pk}), data
    ).content.decode()
    assert "Select a valid choice." in html
    assert not Interaction.objects.exists()


def test_client_create_and_edit(alice_client: Any, alice: Any) -> None:
    data = {
        "name": "Atelier Dupont",
        "company": "Dupont",
        "language": "fr",
        "status": "active",
        "cadence_days": 10,
    }
    response = alice_client.post(reverse("web:client_new"), data)
    rita = Client.objects.get(owner=alice)
    assert response["Location"] == reverse("web:client", kwargs={"client_id": rita.pk})
    data["cadence_days"] = 0
    html = alice_client.post(reverse("web:client_edit", kwargs={"client_id": rita.pk}), data).content.decode()
    assert "Ensure this value is greater than or equal to 1." in html


def test_project_create_and_edit(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    data = {"client": rita.pk, "title": "Boutique", "status": "active", "currency": "EUR"}
    response = alice_client.post(reverse("web:project_new", kwargs={"client_id": rita.pk}), data)
    assert response.status_code == 302
    project = rita.projects.get()
    data["title"] = "Boutique en ligne"
    alice_client.post(reverse("web:project_edit", kwargs={"project_id": project.pk}), data)
    assert (
        "Boutique en ligne"
        in alice_client.get(reverse("web:client", kwargs={"client_id": rita.pk})).content.decode()
    )

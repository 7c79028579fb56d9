"""The lists: clients sortable, promises / invoices / conflicts by tab, searchable, paginated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.urls import reverse
from django.utils import timezone

from clients.models import Client
from crm.models import ClientHealth
from tests.factories import make_client, make_conflict, make_invoice, make_promise

NOW = "2026-03-10 09:00 +01:00"


@time_machine.travel(NOW, tick=False)
def test_clients_sort_by_score_name_and_last_contact(alice_client: Any, alice: Any) -> None:
    anna, zoe = make_client(alice, name="Anna"), make_client(alice, name="Zoé")
    ClientHealth.objects.filter(client=anna).update(score=90, band="healthy")
    ClientHealth.objects.filter(client=zoe).update(score=20, band="at_risk")
    Client.objects.filter(pk=anna.pk).update(last_contact_at=timezone.now())
    url = reverse("web:clients")
    by_score = alice_client.get(url).content.decode()
    assert by_score.index("Zoé") < by_score.index("Anna")
    by_name = alice_client.get(url, {"sort": "name"}).content.decode()
    assert by_name.index("Anna") < by_name.index("Zoé")
    by_contact = alice_client.get(url, {"sort": "last_contact"}).content.decode()
    assert by_contact.index("Anna") < by_contact.index("Zoé")


@time_machine.travel(NOW, tick=False)
def test_promise_tabs(alice_client: Any, alice: Any) -> None:
    today = timezone.localdate()
    rita = make_client(alice, name="Rita")
    make_promise(rita, description="Coming", due_on=today + timedelta(days=2))
    make_promise(
        rita, description="Late one", made_on=today - timedelta(days=5), due_on=today - timedelta(days=1)
    )
    kept = make_promise(rita, description="Done deal")
    kept.keep(today)
    url = reverse("web:promises")
    due = alice_client.get(url).content.decode()
    assert "Coming" in due and "Late one" not in due and "Done deal" not in due
    assert "Late one" in alice_client.get(url, {"show": "overdue"}).content.decode()
    assert "Done deal" in alice_client.get(url, {"show": "kept"}).content.decode()


@time_machine.travel(NOW, tick=False)
def test_invoice_tabs_and_search_by_client(alice_client: Any, alice: Any) -> None:
    today = timezone.localdate()
    make_invoice(
        make_client(alice, name="Rita"),
        number="F-1",
        issued_on=today - timedelta(days=40),
        due_on=today - timedelta(days=3),
    )
    make_invoice(make_client(alice, name="Sam"), number="F-2")
    url = reverse("web:invoices")
    unpaid = alice_client.get(url).content.decode()
    assert "F-1" in unpaid and "F-2" in unpaid
    overdue = alice_client.get(url, {"show": "overdue"}).content.decode()
    assert "F-1" in overdue and "F-2" not in overdue
    searched = alice_client.get(url, {"q": "sam"}).content.decode()
    assert "F-2" in searched and "F-1" not in searched


@time_machine.travel(NOW, tick=False)
def test_conflict_tabs_and_htmx_results_partial(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    make_conflict(rita, kind="ideas", description="Wants blue")
    url = reverse("web:conflicts")
    html = alice_client.get(url, headers={"HX-Request": "true", "HX-Target": "results"}).content.decode()
    assert html.lstrip().startswith('<div id="results"') and "Wants blue" in html
    assert "Wants blue" not in alice_client.get(url, {"show": "resolved"}).content.decode()


@time_machine.travel(NOW, tick=False)
def test_lists_are_paginated(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    for i in range(30):
        make_promise(rita, description=f"P{i:02d}", due_on=timezone.localdate() + timedelta(days=1 + i % 5))
    html = alice_client.get(reverse("web:promises")).content.decode()
    assert "Page 1 of 2" in html


def test_lists_show_only_the_owners_items(alice_client: Any, alice: Any, bob: Any) -> None:
    make_promise(make_client(bob), description="Bob's secret")
    assert "Bob&#x27;s secret" not in alice_client.get(reverse("web:promises")).content.decode()
    assert "Bob" not in alice_client.get(reverse("web:clients")).content.decode().split("<main")[1]

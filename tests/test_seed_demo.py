"""seed_demo: the demo book tells the stories it promises, once; --clients builds large books in bulk."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

from clients.models import Client
from conflicts.models import ConflictSignal
from crm.demo.personas import DEMO_PASSWORD
from crm.models import ClientHealth, HealthSnapshot, Interaction, Invoice, Promise

NOW = datetime.fromisoformat("2026-03-04T10:00:00+01:00")


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_book(db: None) -> Any:
    with time_machine.travel(NOW, tick=False):
        output = _seed()
    return get_user_model().objects.get(username="demo"), output


def test_demo_freelancer_can_log_in_with_the_printed_password(demo_book: Any, client: Any) -> None:
    user, output = demo_book
    assert f"as “demo” with the password “{DEMO_PASSWORD}”" in output
    assert user.profile.language == "fr"
    assert user.profile.time_zone == "Europe/Paris"
    assert user.profile.display_name
    assert client.login(username="demo", password=DEMO_PASSWORD)


def test_demo_book_has_a_dozen_clients_with_french_and_english_names(demo_book: Any) -> None:
    user, _output = demo_book
    clients = Client.objects.for_owner(user)
    assert clients.count() == 12
    assert set(clients.values_list("language", flat=True)) == {"fr", "en"}
    assert set(clients.values_list("status", flat=True)) >= {"active", "prospect", "former"}
    assert {"Camille Lefèvre", "Oliver Bennett", "Élodie Rousseau", "Marie Petit"} <= set(
        clients.values_list("name", flat=True)
    )


def test_demo_book_tells_each_story(demo_book: Any) -> None:
    user, _output = demo_book
    today = NOW.date()
    by_name = {c.name: c for c in Client.objects.for_owner(user)}

    late_payer = by_name["Oliver Bennett"]
    assert max(i.lateness(today) for i in late_payer.invoices.all()) >= 45
    assert late_payer.invoices.overdue(today).exists()

    angry = by_name["Julien Moreau"]
    assert angry.conflict_signals.open().get().kind == ConflictSignal.Kind.POSTURE

    lapsed = by_name["Sarah Mitchell"]
    assert (NOW - lapsed.last_status_update_at).days >= 35

    outcomes = {
        (p.client.name, p.outcome(today)) for p in Promise.objects.for_owner(user).select_related("client")
    }
    assert ("Claire Dubois", Promise.Outcome.BROKEN_EXPLAINED) in outcomes
    assert ("Hannah Clarke", Promise.Outcome.BROKEN_SILENTLY) in outcomes
    one_sided = Promise.objects.filter(client=by_name["Thomas Wright"], promisor="client", state="broken")
    assert one_sided.count() == 3

    renegotiated = Invoice.objects.get(client=by_name["Lucie Garnier"], renegotiated_due_on__isnull=False)
    assert renegotiated.paid_on <= renegotiated.renegotiated_due_on < renegotiated.paid_on + timedelta(days=2)
    # Late from its own first due date, the new date met (issue 22: one story per debt, the word kept).
    assert renegotiated.lateness(today) == (renegotiated.paid_on - renegotiated.due_on).days > 0
    assert renegotiated.payment_promises.get().state == Promise.State.KEPT

    assert not by_name["Élodie Rousseau"].interactions.exists()
    assert by_name["James Harris"].conflict_signals.open().get().kind == ConflictSignal.Kind.INTERESTS
    assert by_name["Antoine Fontaine"].conflict_signals.resolved().get().kind == ConflictSignal.Kind.IDEAS
    assert by_name["Marie Petit"].status == Client.Status.FORMER

    model = by_name["Camille Lefèvre"]
    assert not model.promises.exclude(state="open").exclude(state="kept").exists()
    assert all(i.lateness(today) == 0 for i in model.invoices.all())
    assert model.projects.exclude(goals="").exists()


def test_demo_history_is_months_long_and_never_in_the_future(demo_book: Any) -> None:
    user, _output = demo_book
    moments = Interaction.objects.for_owner(user).values_list("happened_at", flat=True)
    assert max(moments) <= NOW
    assert (NOW - min(moments)).days >= 150


def test_demo_clients_know_their_last_status_update_and_contact(demo_book: Any) -> None:
    user, _output = demo_book
    model = Client.objects.get(owner=user, name="Camille Lefèvre")
    assert (
        model.last_status_update_at == model.interactions.status_updates().latest("happened_at").happened_at
    )
    assert model.last_contact_at == model.interactions.latest("happened_at").happened_at


def test_demo_trust_health_ranks_the_stories_with_twelve_weeks_of_trend(demo_book: Any) -> None:
    user, _output = demo_book
    health = {h.client.name: h for h in ClientHealth.objects.filter(owner=user).select_related("client")}
    assert len(health) == 12
    assert health["Camille Lefèvre"].band == "healthy"
    assert health["Oliver Bennett"].band == "at_risk"
    assert health["Julien Moreau"].band == "at_risk"
    assert health["Élodie Rousseau"].band == "insufficient"
    assert health["Camille Lefèvre"].score > health["Claire Dubois"].score > health["Hannah Clarke"].score
    days = HealthSnapshot.objects.filter(client__owner=user).values_list("day", flat=True).distinct()
    assert len(days) == 13  # today and each of the past twelve weeks
    assert health["Camille Lefèvre"].score_week_ago is not None
    assert health["Camille Lefèvre"].sparkline_points.count(",") >= 10


def test_if_empty_leaves_an_existing_demo_alone(demo_book: Any) -> None:
    user, _output = demo_book
    Client.objects.filter(owner=user, name="Marie Petit").update(notes="mes notes")
    output = _seed("--if-empty")
    assert "already exists; nothing to seed" in output
    assert Client.objects.for_owner(user).count() == 12
    assert Client.objects.get(owner=user, name="Marie Petit").notes == "mes notes"


def test_seeding_again_replaces_the_demo_book_instead_of_doubling_it(demo_book: Any) -> None:
    user, _output = demo_book
    _seed()
    assert Client.objects.for_owner(user).count() == 12
    assert Invoice.objects.for_owner(user).count() == Invoice.objects.count()


def test_large_mode_creates_n_clients_with_k_interactions_each(db: None) -> None:
    output = _seed("--clients", "30", "--events-per-client", "20", "--username", "bench")
    owner = get_user_model().objects.get(username="bench")
    clients = Client.objects.for_owner(owner)
    assert clients.count() == 30
    per_client = Interaction.objects.for_owner(owner).values("client").annotate(n=Count("pk"))
    assert {row["n"] for row in per_client} == {20}
    assert len(per_client) == 30
    assert Promise.objects.for_owner(owner).count() == 30 * 2
    assert ClientHealth.objects.filter(owner=owner).count() == 30
    assert "Added 30 clients with 600 interactions" in output


def test_large_mode_is_deterministic(db: None) -> None:
    _seed("--clients", "12", "--events-per-client", "10", "--username", "one", "--no-health")
    _seed("--clients", "12", "--events-per-client", "10", "--username", "two", "--no-health")

    def shape(username: str) -> list[tuple[Any, ...]]:
        return list(
            Client.objects.filter(owner__username=username)
            .order_by("pk")
            .values_list("company", "cadence_days", "status")
        )

    assert shape("one") == shape("two")


def test_large_mode_refuses_negative_sizes(db: None) -> None:
    err = io.StringIO()
    call_command("seed_demo", "--clients", "-1", stdout=io.StringIO(), stderr=err)
    assert "cannot be negative" in err.getvalue()
    assert not Client.objects.exists()

"""The prepared status update, and the nudge that carries one draft per client due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from crm.models import Interaction, Promise
from crm.reminders.status_updates import nudge_message, status_update_draft
from tests.factories import make_client, make_interaction, make_project, make_promise

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
def client_due(alice: Any) -> Any:
    """A client whose weekly status update lapsed 3 days ago, with one delivery since."""
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        client = make_client(alice, name="Northwind", language="en")
        make_project(client, title="Online shop", goals="Sell the spring collection online by March")
    make_interaction(
        client, kind=Interaction.Kind.DELIVERY, summary="Old delivery", happened_at=NOW - timedelta(days=12)
    )
    make_interaction(
        client,
        kind=Interaction.Kind.STATUS_UPDATE,
        direction=Interaction.Direction.TO_CLIENT,
        happened_at=NOW - timedelta(days=10),
    )
    make_interaction(
        client, kind=Interaction.Kind.DELIVERY, summary="Product pages", happened_at=NOW - timedelta(days=2)
    )
    today = NOW.date()
    make_promise(
        client,
        description="Payment page",
        made_on=today - timedelta(days=5),
        due_on=today + timedelta(days=3),
    )
    make_promise(
        client,
        description="Product photos",
        promisor=Promise.Promisor.CLIENT,
        made_on=today - timedelta(days=5),
        due_on=today + timedelta(days=1),
    )
    client.refresh_from_db()
    return client


def test_draft_restates_goals_deliveries_since_last_update_and_promises(client_due: Any) -> None:
    subject, body = status_update_draft(client_due, NOW)
    assert subject == "Status update — Online shop — November 23, 2026"
    assert "Sell the spring collection online by March" in body
    assert "Product pages" in body
    assert "Old delivery" not in body  # before the last status update
    assert "Payment page: Thursday, November 26" in body
    assert "What I am waiting for from you:\n- Product photos: Tuesday, November 24" in body
    assert body.rstrip().endswith("Alice Martin")


def test_draft_is_in_the_clients_language(alice: Any, client_due: Any) -> None:
    client_due.language = "fr"
    client_due.save()
    subject, body = status_update_draft(client_due, NOW)
    assert "23 novembre 2026" in subject
    assert "26 novembre" in body and "November" not in body


def test_nudge_carries_a_draft_for_each_client_due(alice: Any, client_due: Any) -> None:
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        make_client(alice, name="Fresh client")  # due in 6 days: not in the nudge
    message = nudge_message(alice, NOW)
    assert message.subject == "1 client is waiting for a status update"
    html = message.alternatives[0][0]
    for part in (message.body, html):
        assert "Northwind: lapsed 3 days ago" in part
        assert "Sell the spring collection online by March" in part
        assert f"/clients/{client_due.pk}/status-update/" in part
        assert "Fresh client" not in part
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_no_nudge_when_turned_off_or_nothing_due(alice: Any, client_due: Any) -> None:
    alice.profile.nudges_enabled = False
    alice.profile.save()
    assert nudge_message(alice, NOW) is None
    alice.profile.nudges_enabled = True
    alice.profile.save()
    assert nudge_message(alice, NOW - timedelta(days=8)) is None  # the day after the last update

"""One "status update sent" action (`status_update_sent` in crm/web/views/actions.py), whichever page sends it:
the workspace's button, the draft's "Mark as sent", its old address (reminders:mark_status_update_sent), and
"Send from my mailbox" (tests/capture/test_sending.py, with a real SMTP server). Each records the same fact, a
status update logged to the client that restarts the cadence, offers its undo, and the undo takes it back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from crm.models import Interaction, Undo
from tests.factories import make_client

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def rita(alice: Any) -> Any:
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        return make_client(alice, name="Rita", email="rita@example.com", cadence_days=7)


def _button(client: Any) -> tuple[str, dict[str, str]]:
    return reverse("web:status_update_mark_sent", kwargs={"client_id": client.pk}), {
        "form_token": f"sent-{client.pk}-0"
    }


def _draft(client: Any) -> tuple[str, dict[str, str]]:
    return reverse("web:status_update_mark_sent", kwargs={"client_id": client.pk}), {
        "subject": "Point",
        "body": "Ça avance.",
    }


def _old_address(client: Any) -> tuple[str, dict[str, str]]:
    url = reverse("web:status_update_draft_mark_sent", kwargs={"client_id": client.pk})
    return url, {"subject": "Point", "body": "Ça avance."}


ENTRY_POINTS: dict[str, Callable[[Any], tuple[str, dict[str, str]]]] = {
    "workspace button": _button,
    "draft, mark as sent": _draft,
    "draft, old address": _old_address,
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@time_machine.travel(NOW, tick=False)
def test_every_entry_point_records_the_same_fact_and_offers_undo(
    alice_client: Any, alice: Any, rita: Any, entry: str, htmx: bool
) -> None:
    url, data = ENTRY_POINTS[entry](rita)
    answer = alice_client.post(url, data, headers=HTMX if htmx else {}, follow=True)
    assert answer.status_code == 200

    logged = Interaction.objects.get(client=rita)
    assert (logged.kind, logged.direction, logged.happened_at) == (
        Interaction.Kind.STATUS_UPDATE,
        Interaction.Direction.TO_CLIENT,
        NOW,
    )
    rita.refresh_from_db()
    assert rita.last_status_update_at == NOW
    assert rita.status_update_due_on() == NOW.date() + timedelta(days=7)  # the cadence restarts
    undo = Undo.objects.get(owner=alice)
    assert (undo.action, undo.object_id) == (Undo.Action.REMOVE, logged.pk)
    assert reverse("web:undo", kwargs={"undo_id": undo.pk}) in answer.content.decode()  # the toast's button

    alice_client.post(reverse("web:undo", kwargs={"undo_id": undo.pk}), headers=HTMX)
    assert not Interaction.objects.filter(client=rita).exists()
    rita.refresh_from_db()
    assert rita.last_status_update_at is None


@time_machine.travel(NOW, tick=False)
def test_the_three_old_names_lead_to_one_view(alice_client: Any, rita: Any) -> None:
    from django.urls import resolve

    from crm.web.views.actions import status_update_sent

    one = reverse("web:status_update_mark_sent", kwargs={"client_id": rita.pk})
    send = reverse("web:status_update_send", kwargs={"client_id": rita.pk})
    assert resolve(one).func is status_update_sent
    assert (resolve(send).func, resolve(send).kwargs["send"]) == (status_update_sent, True)
    old = alice_client.post(reverse("web:status_update_draft_mark_sent", kwargs={"client_id": rita.pk}), {})
    assert (old.status_code, old["Location"]) == (307, one)


def test_sending_without_a_mailbox_is_refused_and_records_nothing(alice_client: Any, rita: Any) -> None:
    url, data = _draft(rita)
    answer = alice_client.post(url, data | {"send": "mailbox"})
    assert answer.status_code == 400
    assert "Connect a mailbox with an SMTP server first" in answer.content.decode()
    assert not Interaction.objects.exists() and not Undo.objects.exists()


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_bob_gets_a_404_from_every_entry_point(client: Any, bob: Any, rita: Any, entry: str) -> None:
    client.force_login(bob)
    url, data = ENTRY_POINTS[entry](rita)
    assert client.post(url, data).status_code == 404
    assert not Interaction.objects.exists()

"""Editing a journal record from two tabs, or saving it twice: nothing is silently lost, nothing saved twice.

The journal's edit pages (crm/web/views/edits.py) carry the drawn state and a one-time token like the client and
project edit pages (crm.core.forms.VersionedFormMixin, IdempotentFormMixin); these tests post what the page drew,
as a browser does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import models
from django.urls import reverse

from crm.models import Interaction
from tests.factories import make_client, make_conflict, make_interaction, make_invoice, make_promise
from tests.web.formpage import drawn_forms

# kind -> (how to make one, its id kwarg, a text field to change, two values for it)
KINDS: dict[str, tuple[Callable[[Any], models.Model], str, str, str, str]] = {
    "interaction": (
        lambda client: make_interaction(client, summary="Call"),
        "interaction_id",
        "summary",
        "A",
        "B",
    ),
    "promise": (
        lambda client: make_promise(client, description="Quote"),
        "promise_id",
        "description",
        "A",
        "B",
    ),
    "invoice": (lambda client: make_invoice(client, number="F-7"), "invoice_id", "number", "F-8", "F-9"),
    "conflict": (
        lambda client: make_conflict(client, description="Tense"),
        "signal_id",
        "description",
        "A",
        "B",
    ),
}


def _edit_form(http: Any, url: str) -> dict[str, Any]:
    """Return the data of the edit form drawn at `url`, as the browser would post it."""
    [form] = [form for form in drawn_forms(http.get(url).content.decode()) if form.action in ("", url)]
    return form.data()


@pytest.mark.parametrize("kind", KINDS)
def test_a_second_tab_editing_a_journal_record_is_told_what_changed(
    alice_client: Any, alice: Any, kind: str
) -> None:
    build, id_kwarg, field, first, second = KINDS[kind]
    row = build(make_client(alice))
    url = reverse(f"web:{kind}_edit", kwargs={id_kwarg: row.pk})
    tab_a, tab_b = _edit_form(alice_client, url), _edit_form(alice_client, url)

    assert alice_client.post(url, tab_a | {field: first}).status_code == 302
    refused = alice_client.post(url, tab_b | {field: second})
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "This was changed elsewhere since you opened the page." in page
    row.refresh_from_db()
    assert getattr(row, field) == first  # tab A's change kept, tab B's not saved over it

    # Nothing typed is lost: the answered form still holds tab B's value, and carries what is stored now, so
    # saving it again as it stands keeps tab B's value, knowingly.
    [answered] = [form for form in drawn_forms(page) if form.action in ("", url)]
    assert answered.data()[field] == second
    assert alice_client.post(url, answered.data()).status_code == 302
    row.refresh_from_db()
    assert getattr(row, field) == second


@pytest.mark.parametrize("kind", KINDS)
def test_an_edit_saved_twice_is_saved_once_and_both_posts_land_alike(
    alice_client: Any, alice: Any, kind: str
) -> None:
    build, id_kwarg, field, first, _second = KINDS[kind]
    row = build(make_client(alice))
    url = reverse(f"web:{kind}_edit", kwargs={id_kwarg: row.pk})
    data = _edit_form(alice_client, url) | {field: first}
    history_before = row.history.count()

    answers = [alice_client.post(url, data), alice_client.post(url, data)]

    # A double click: the second post is not taken for a change made elsewhere, and writes nothing.
    assert [answer.status_code for answer in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"]
    row.refresh_from_db()
    assert getattr(row, field) == first
    assert row.history.count() == history_before + 1


def test_a_resolved_conflict_keeps_its_day_when_edited_unchanged_in_french(client: Any, alice: Any) -> None:
    alice.profile.language = "fr"
    alice.profile.save()
    client.force_login(alice)
    signal = make_conflict(make_client(alice), observed_on=date(2026, 9, 2))
    signal.resolve(date(2026, 9, 5), "Réunion de cadrage")
    url = reverse("web:conflict_edit", kwargs={"signal_id": signal.pk})
    data = _edit_form(client, url)
    assert data["resolved_on"] == "2026-09-05"  # ISO in <input type="date">, not "05/09/2026"
    assert client.post(url, data).status_code == 302
    signal.refresh_from_db()
    assert (signal.state, signal.resolved_on) == ("resolved", date(2026, 9, 5))


def test_bob_cannot_edit_alices_interaction_even_with_her_drawn_form(
    alice_client: Any, alice: Any, client: Any, bob: Any
) -> None:
    row = make_interaction(make_client(alice), summary="Call")
    url = reverse("web:interaction_edit", kwargs={"interaction_id": row.pk})
    data = _edit_form(alice_client, url) | {"summary": "Bob was here"}
    client.force_login(bob)
    assert client.post(url, data).status_code == 404
    assert Interaction.objects.get(pk=row.pk).summary == "Call"

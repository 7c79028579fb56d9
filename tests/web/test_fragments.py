"""Cached pieces of the pages: rendered items and rows (crm/web/fragments.py) and the dashboard's week of work.

What is cached must never show something stale, another language, or another session's CSRF token.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Profile
from crm.models import Promise
from crm.trust.door import journal_changed, record_saved
from tests.factories import make_client, make_promise

NOW = "2026-03-10 09:00 +01:00"


@pytest.fixture
def overdue(alice: Any) -> Promise:
    with time_machine.travel(NOW, tick=False):
        rita = make_client(alice, name="Rita Risque")
        today = timezone.localdate()
        return make_promise(
            rita,
            description="Envoyer la maquette",
            made_on=today - timedelta(days=9),
            due_on=today - timedelta(days=2),
        )


def dashboard(http: Any, **params: Any) -> str:
    response = http.get(reverse("web:dashboard"), params)
    assert response.status_code == 200
    return response.content.decode()


def item_html(html: str, promise: Promise) -> str:
    return re.search(
        rf'<li class="event event-promise[^"]*" id="promise-{promise.pk}">.*?</li>', html, re.S
    ).group(0)


@time_machine.travel(NOW, tick=False)
def test_an_item_changed_since_it_was_cached_is_drawn_again(alice_client: Any, overdue: Promise) -> None:
    assert "Envoyer la maquette" in dashboard(alice_client)
    overdue.description = "Envoyer la maquette v2"
    overdue.save()
    journal_changed([overdue.client_id])  # as every path that saves the journal does
    html = dashboard(alice_client)
    assert "Envoyer la maquette v2" in html


@time_machine.travel(NOW, tick=False)
def test_the_week_of_work_follows_an_action_at_once(alice_client: Any, overdue: Promise) -> None:
    before = dashboard(alice_client)
    assert '<span class="count-pill" data-count="promises_overdue">1</span>' in before
    assert alice_client.post(reverse("web:promise_keep", args=[overdue.pk])).status_code == 302
    after = dashboard(alice_client)
    assert '<span class="count-pill" data-count="promises_overdue">0</span>' in after
    assert f'id="promise-{overdue.pk}"' not in after


@time_machine.travel(NOW, tick=False)
def test_a_new_client_is_counted_at_once(alice_client: Any, alice: Any, overdue: Promise) -> None:
    def insufficient(html: str) -> int:
        return int(re.search(r'data-count="insufficient">(\d+)<', html).group(1))

    before = insufficient(dashboard(alice_client))
    make_client(alice, name="Nadia Nouvelle")
    html = dashboard(alice_client)
    assert insufficient(html) == before + 1
    assert "Nadia Nouvelle" in html


@time_machine.travel(NOW, tick=False)
def test_cached_forms_carry_this_sessions_csrf_token_and_this_pages_address(
    alice: Any, overdue: Promise
) -> None:
    first = HttpClient(enforce_csrf_checks=True)
    first.force_login(alice)
    dashboard(first, q="Rita")  # draws and caches the item
    second = HttpClient(enforce_csrf_checks=True)
    second.force_login(alice)
    item = item_html(dashboard(second, q="Rita"), overdue)  # from the cache, in another session
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', item).group(1)
    assert 'name="next" value="/?q=Rita"' in item
    keep = reverse("web:promise_keep", args=[overdue.pk])
    response = second.post(keep, {"csrfmiddlewaretoken": token, "next": "/?q=Rita"})
    assert response.status_code == 302 and response.url == "/?q=Rita"
    overdue.refresh_from_db()
    assert overdue.state == Promise.State.KEPT


@time_machine.travel(NOW, tick=False)
def test_a_change_of_language_never_serves_the_other_languages_items(
    alice_client: Any, alice: Any, overdue: Promise
) -> None:
    assert "by you" in item_html(dashboard(alice_client), overdue)
    Profile.objects.filter(user=alice).update(language="fr")
    item = item_html(dashboard(alice_client), overdue)
    assert "par vous" in item and "by you" not in item


@time_machine.travel(NOW, tick=False)
def test_user_text_is_escaped_in_cached_items(alice_client: Any, overdue: Promise) -> None:
    overdue.description = "<script>alert(1)</script>"
    overdue.save()
    dashboard(alice_client)
    html = dashboard(alice_client)  # the second time from the cache
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_saving_a_stale_profile_keeps_the_newer_book_version(alice: Any) -> None:
    stale = Profile.objects.get(user=alice)
    make_client(alice)  # moves the book version
    newer = Profile.objects.get(user=alice).book_version
    assert newer > stale.book_version
    stale.display_name = "Alice M."
    stale.save()
    assert Profile.objects.get(user=alice).book_version == newer


@time_machine.travel(NOW, tick=False)
def test_workspace_entry_forms_load_when_opened_and_work_without_javascript(
    alice_client: Any, overdue: Promise
) -> None:
    workspace = alice_client.get(reverse("web:client", args=[overdue.client_id])).content.decode()
    new_promise = reverse("web:client_promise_new", args=[overdue.client_id])
    assert f'hx-get="{new_promise}" hx-trigger="toggle once"' in workspace
    assert (
        f'<a href="{new_promise}">Make a promise</a>' in workspace
    )  # without JavaScript: the form's own page
    assert 'id="promise-description"' not in workspace
    form = alice_client.get(new_promise, HTTP_HX_REQUEST="true").content.decode()
    assert form.lstrip().startswith('<form id="new-promise"') and 'id="promise-description"' in form


@time_machine.travel(NOW, tick=False)
def test_the_cached_board_follows_a_renamed_client_and_stays_its_owners(
    alice_client: Any, bob: Any, overdue: Promise
) -> None:
    assert "Rita Risque" in dashboard(alice_client)
    rita = overdue.client
    rita.name = "Rita Renommée"
    rita.save()
    record_saved(
        rita, ["name"]
    )  # as every path that saves a client does: no recompute, the book version moves
    assert "Rita Renommée" in dashboard(alice_client)
    bobs = HttpClient()
    bobs.force_login(bob)
    assert "Rita" not in dashboard(bobs)  # same page number and filters, another book


@time_machine.travel(NOW, tick=False)
def test_the_cached_workspace_regions_follow_the_journal_and_the_nightly_snapshots(
    alice_client: Any, overdue: Promise
) -> None:
    from crm.trust.health import write_snapshots
    from tests.factories import make_interaction

    url = reverse("web:client", args=[overdue.client_id])
    before = alice_client.get(url).content.decode()
    assert "No history yet: the trend appears after the first nightly snapshot." in before
    make_interaction(overdue.client, summary="Appel du lundi")
    assert "Appel du lundi" in alice_client.get(url).content.decode()
    write_snapshots(timezone.localdate())
    after = alice_client.get(url).content.decode()
    assert "No history yet" not in after and 'class="trend-chart"' in after
    timeline = alice_client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="timeline").content.decode()
    assert timeline.lstrip().startswith('<section id="timeline"') and "Appel du lundi" in timeline

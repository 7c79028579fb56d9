"""Double submits and concurrent edits (finding 7): a form posted twice creates one record, a second tab is
told what changed instead of wiping it, and a kept promise is reopened explicitly, never overwritten."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from clients.models import Client, FormSubmission, Project
from conflicts.models import ConflictSignal
from crm.models import Interaction, Invoice, Promise
from crm.trash.tasks import purge_trash
from tests.conftest import require_service
from tests.factories import form_moment, make_client, make_project, make_promise


def _drawn(http: Any, url: str, form_key: str = "form") -> dict[str, Any]:
    """Return the hidden fields of the form drawn at `url` (its tokens), as the browser would post them."""
    context = http.get(url).context
    form = context[form_key] if form_key in context else context["entry"].form
    return {field.html_name: field.value() for field in form.hidden_fields() if field.value() is not None}


def _entry_data(kind: str, rita: Client) -> dict[str, Any]:
    today = timezone.localdate().isoformat()
    later = (timezone.localdate() + timedelta(days=10)).isoformat()
    return {
        "interaction": {
            "kind": "call",
            "direction": "from_client",
            # An hour ago: an interaction in the future is refused (crm.core.days.FUTURE_TOLERANCE).
            "happened_at": form_moment(hours_ago=1),
            "summary": "Call",
        },
        "promise": {
            "promisor": "freelancer",
            "description": "Send the quote",
            "made_on": today,
            "due_on": later,
        },
        "invoice": {
            "number": "F-1",
            "amount": "450.00",
            "currency": "EUR",
            "issued_on": today,
            "due_on": later,
        },
        "conflict": {"kind": "posture", "severity": 2, "observed_on": today, "description": "Tense call"},
    }[kind] | {"client": rita.pk}


MODELS = {"interaction": Interaction, "promise": Promise, "invoice": Invoice, "conflict": ConflictSignal}


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_the_same_create_form_posted_twice_creates_one_record(
    alice_client: Any, alice: Any, kind: str, htmx: bool
) -> None:
    rita = make_client(alice)
    url = reverse(f"web:client_{kind}_new", kwargs={"client_id": rita.pk})
    data = _entry_data(kind, rita) | _drawn(alice_client, url)
    headers = {"HX-Request": "true"} if htmx else {}
    first = alice_client.post(url, data, headers=headers)
    second = alice_client.post(url, data, headers=headers)
    assert MODELS[kind].objects.filter(client=rita).count() == 1
    if htmx:
        assert "already sent: nothing was saved twice" in second.content.decode()
    else:
        assert second.status_code == 302 and second["Location"] == first["Location"]
    # A fresh form (a new token) creates a second one: only repeats are refused.
    if kind != "invoice":  # an invoice number is unique per freelancer
        alice_client.post(url, _entry_data(kind, rita) | _drawn(alice_client, url))
        assert MODELS[kind].objects.filter(client=rita).count() == 2


def test_a_new_client_posted_twice_is_created_once_and_both_posts_land_on_it(alice_client: Any) -> None:
    url = reverse("web:client_new")
    data = {"name": "Atelier", "language": "fr", "status": "active", "cadence_days": "7"} | _drawn(
        alice_client, url
    )
    first, second = alice_client.post(url, data), alice_client.post(url, data)
    created = Client.objects.get(name="Atelier")
    assert first["Location"] == second["Location"] == reverse("web:client", kwargs={"client_id": created.pk})


def test_a_new_project_posted_twice_is_created_once(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    url = reverse("web:project_new", kwargs={"client_id": rita.pk})
    data = {"client": rita.pk, "title": "Refonte", "status": "active", "currency": "EUR"} | _drawn(
        alice_client, url
    )
    alice_client.post(url, data)
    alice_client.post(url, data)
    assert Project.objects.filter(client=rita).count() == 1


def test_a_token_is_claimed_per_owner(alice_client: Any, alice: Any, bob: Any) -> None:
    FormSubmission.objects.create(owner=bob, token="same-token", result_url="/elsewhere/")
    url = reverse("web:client_new")
    data = {
        "name": "Atelier",
        "language": "fr",
        "status": "active",
        "cadence_days": "7",
        "form_token": "same-token",
    }
    response = alice_client.post(url, data)
    assert Client.objects.filter(owner=alice, name="Atelier").count() == 1
    assert response["Location"] != "/elsewhere/"


def test_two_clicks_on_status_update_sent_log_one_interaction(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice, created_at=timezone.now() - timedelta(days=30))
    page = alice_client.get(reverse("web:dashboard")).content.decode()
    token = f"sent-{rita.pk}-0"
    assert f'name="form_token" value="{token}"' in page
    url = reverse("web:status_update_mark_sent", kwargs={"client_id": rita.pk})
    for _ in range(2):
        alice_client.post(url, {"form_token": token}, headers={"HX-Request": "true"})
    assert Interaction.objects.filter(client=rita, kind="status_update").count() == 1
    # The next one, drawn after the first, carries a new token: it is logged.
    rita.refresh_from_db()
    fresh = f"sent-{rita.pk}-{int(rita.last_status_update_at.timestamp())}"
    alice_client.post(url, {"form_token": fresh})
    assert Interaction.objects.filter(client=rita, kind="status_update").count() == 2


def test_two_clicks_on_mark_as_sent_log_one_interaction(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    url = reverse("web:status_update_mark_sent", kwargs={"client_id": rita.pk})
    drawn = _drawn(alice_client, reverse("web:status_update_draft", kwargs={"client_id": rita.pk}))
    data = {"subject": "Point d'étape", "body": "Bonjour"} | drawn
    alice_client.post(url, data)
    alice_client.post(url, data)
    assert Interaction.objects.filter(client=rita, kind="status_update").count() == 1


# -- two tabs editing one client or project -------------------------------------------------------------------


CLIENT_FIELDS = {"language": "fr", "status": "active", "cadence_days": "7"}


def test_a_second_tab_is_told_what_changed_and_nothing_is_silently_lost(
    alice_client: Any, alice: Any
) -> None:
    rita = make_client(alice, name="Rita", company="Risque SARL", phone="")
    url = reverse("web:client_edit", kwargs={"client_id": rita.pk})
    tab_a, tab_b = _drawn(alice_client, url), _drawn(alice_client, url)

    saved = alice_client.post(
        url, CLIENT_FIELDS | tab_a | {"name": "Rita", "company": "Risque SA", "phone": ""}
    )
    assert saved.status_code == 302

    refused = alice_client.post(
        url, CLIENT_FIELDS | tab_b | {"name": "Rita", "company": "Risque SARL", "phone": "0600"}
    )
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "This was changed elsewhere since you opened the page." in page
    assert "Company: “Risque SARL” when you opened the page, now “Risque SA”." in page
    rita.refresh_from_db()
    assert (rita.company, rita.phone) == ("Risque SA", "")  # tab A's change kept, tab B's not yet saved

    # Saving again from the answered form (it now carries what is stored) keeps tab B's values knowingly.
    again = CLIENT_FIELDS | _hidden_of(refused) | {"name": "Rita", "company": "Risque SA", "phone": "0600"}
    assert alice_client.post(url, again).status_code == 302
    rita.refresh_from_db()
    assert (rita.company, rita.phone) == ("Risque SA", "0600")


def test_the_concurrency_check_speaks_french(client: Any, bob: Any) -> None:
    client.force_login(bob)
    rita = make_client(bob, name="Rita")
    url = reverse("web:client_edit", kwargs={"client_id": rita.pk})
    drawn = _drawn(client, url)
    Client.objects.filter(pk=rita.pk).update(name="Rita SA")
    page = client.post(url, CLIENT_FIELDS | drawn | {"name": "Rita B"}).content.decode()
    assert "Ceci a été modifié ailleurs depuis que vous avez ouvert la page." in page


def test_a_second_tab_editing_a_project_is_told_too(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    project = make_project(rita, title="Refonte")
    url = reverse("web:project_edit", kwargs={"project_id": project.pk})
    drawn = _drawn(alice_client, url)
    Project.objects.filter(pk=project.pk).update(title="Refonte v2")
    data = {
        "client": rita.pk,
        "title": "Refonte",
        "status": "active",
        "currency": "EUR",
        "goals": "More",
    } | drawn
    page = alice_client.post(url, data).content.decode()
    assert "Title: “Refonte” when you opened the page, now “Refonte v2”." in page
    assert Project.objects.get(pk=project.pk).goals == ""


def test_a_forged_drawn_state_is_refused(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice, name="Rita")
    url = reverse("web:client_edit", kwargs={"client_id": rita.pk})
    page = alice_client.post(url, CLIENT_FIELDS | {"name": "X", "drawn_state": "forged"}).content.decode()
    assert "This form is out of date: reload the page." in page
    assert Client.objects.get(pk=rita.pk).name == "Rita"


def _hidden_of(response: Any) -> dict[str, Any]:
    form = response.context["form"]
    return {field.html_name: field.value() for field in form.hidden_fields() if field.value() is not None}


# -- a kept promise is reopened explicitly ---------------------------------------------------------------------


def test_a_kept_promise_cannot_be_broken_or_explained_until_reopened(alice: Any) -> None:
    promise = make_promise(make_client(alice))
    today = timezone.localdate()
    promise.keep(today)
    with pytest.raises(ValidationError):
        promise.break_(today)
    with pytest.raises(ValidationError):
        promise.explain("Sorry")
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on, promise.clarification) == ("kept", today, "")
    promise.reopen()
    promise.break_(today)
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on, promise.broken_on) == ("broken", None, today)


def test_keeping_a_kept_promise_again_keeps_its_day(alice: Any) -> None:
    promise = make_promise(make_client(alice), made_on=timezone.localdate() - timedelta(days=3))
    promise.keep(timezone.localdate() - timedelta(days=1))
    promise.keep(timezone.localdate())
    promise.refresh_from_db()
    assert promise.kept_on == timezone.localdate() - timedelta(days=1)


def test_through_the_views_a_kept_promise_is_reopened_before_it_is_broken(
    alice_client: Any, alice: Any
) -> None:
    promise = make_promise(make_client(alice))
    alice_client.post(reverse("web:promise_keep", kwargs={"promise_id": promise.pk}))
    refused = alice_client.post(
        reverse("web:promise_break", kwargs={"promise_id": promise.pk}), headers={"HX-Request": "true"}
    )
    assert "This promise was kept. Reopen it first if that was a mistake." in refused.content.decode()
    explained = alice_client.post(
        reverse("web:promise_explain", kwargs={"promise_id": promise.pk}),
        {"clarification": "Late"},
        headers={"HX-Request": "true"},
    )
    assert "Reopen it first" in explained.content.decode()
    promise.refresh_from_db()
    assert promise.state == "kept" and promise.kept_on is not None

    reopened = alice_client.post(
        reverse("web:promise_reopen", kwargs={"promise_id": promise.pk}), headers={"HX-Request": "true"}
    )
    assert ">Kept</button>" in reopened.content.decode()  # open again: its actions are back
    alice_client.post(reverse("web:promise_break", kwargs={"promise_id": promise.pk}))
    promise.refresh_from_db()
    assert (promise.state, promise.kept_on) == ("broken", None)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_posts_of_one_form_create_one_record(alice: Any) -> None:
    """Two requests at once (two web processes): the second waits for the first's claim, then saves nothing."""
    # SQLite runs one write transaction at a time: there is no race to test (CI runs this in its PostgreSQL pass).
    require_service(connection.vendor == "postgresql", "PostgreSQL as DATABASE_URL")
    rita = make_client(alice)
    url = reverse("web:client_promise_new", kwargs={"client_id": rita.pk})
    first = HttpClient()
    first.force_login(alice)
    data = _entry_data("promise", rita) | _drawn(first, url)
    clients = [first, HttpClient()]
    clients[1].force_login(alice)
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def post(http: Any) -> None:
        try:
            barrier.wait()
            answers.append(http.post(url, data).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(http,)) for http in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [302, 302]
    assert Promise.objects.filter(client=rita).count() == 1


def test_claims_older_than_a_day_are_forgotten_by_the_nightly_purge(
    alice_client: Any, alice: Any, bob: Any
) -> None:
    old = FormSubmission.objects.create(
        owner=alice, token="old", claimed_at=timezone.now() - timedelta(days=2)
    )
    recent = FormSubmission.objects.create(owner=alice, token="recent")
    bobs = FormSubmission.objects.create(
        owner=bob, token="bob", claimed_at=timezone.now() - timedelta(days=2)
    )
    url = reverse("web:client_new")
    alice_client.post(
        url,
        {"name": "A", "language": "fr", "status": "active", "cadence_days": "7"} | _drawn(alice_client, url),
    )
    # A post claims its own token and deletes nothing (one query less on every form)...
    assert {old.pk, recent.pk, bobs.pk} <= set(FormSubmission.objects.values_list("pk", flat=True))
    # ...the nightly purge forgets every owner's claims older than a day.
    assert purge_trash()["form_tokens"] == 2
    left = set(FormSubmission.objects.values_list("pk", flat=True))
    assert old.pk not in left and bobs.pk not in left and recent.pk in left and len(left) == 2


def test_a_token_is_claimed_in_one_statement_once_per_owner(
    alice: Any, bob: Any, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):  # INSERT ... ON CONFLICT DO NOTHING: no savepoint, no error to catch
        assert FormSubmission.claim(alice, "one-token", "/clients/1/")
    assert not FormSubmission.claim(alice, "one-token", "/elsewhere/")  # a repeat: taken, left as it was
    assert FormSubmission.claim(bob, "one-token")  # another owner's token is another token
    assert FormSubmission.objects.get(owner=alice, token="one-token").result_url == "/clients/1/"


def test_a_refused_save_leaves_its_token_free_for_the_corrected_post(alice: Any) -> None:
    from clients.forms import ActionForm

    form = ActionForm({"form_token": "refused-then-corrected"})
    assert form.is_valid()

    def refuse() -> None:
        Project.objects.create(client=make_client(alice), title="Written, then taken back")
        raise ValidationError("Refused")

    with pytest.raises(ValidationError):
        form.save_once(alice, "/done/", save=refuse)
    assert not FormSubmission.objects.filter(owner=alice, token="refused-then-corrected").exists()
    assert not Project.objects.filter(title="Written, then taken back").exists()

    saved, url = form.save_once(alice, lambda saved: f"/done/{saved}/", save=lambda: "ok")
    assert (saved, url) == ("ok", "/done/ok/")
    assert FormSubmission.objects.get(owner=alice, token="refused-then-corrected").result_url == "/done/ok/"
    assert form.save_once(alice, "/done/", save=lambda: "twice") == (None, "/done/ok/")

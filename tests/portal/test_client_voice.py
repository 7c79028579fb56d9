"""The client's voice on their page (issue 26): a check-in at any time, "something bothers me", and taking either
back; each heard at once on the client's side of the trust health, as the client's own word."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone

from conflicts.models import ConflictSignal
from crm.models import CheckIn, ClientHealth, ClientPage, Dispatch, HealthChange
from crm.trust.door import journal_changed
from crm.trust.reasons import describe
from tests.factories import make_client, make_promise
from tests.web.formpage import drawn_forms

NOW = "2026-03-10 10:00 +01:00"


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _page(owner: Any, language: str, name: str = "Zoé") -> ClientPage:
    client = make_client(owner, name=name, language=language, email=f"{name.lower()}@example.com")
    # Something on record already, so the score reads the client's word against a history.
    for days in (30, 20, 10):
        kept = make_promise(client, made_on=timezone.localdate() - timedelta(days=days + 5),
                            due_on=timezone.localdate() - timedelta(days=days))  # fmt: skip
        kept.keep(kept.due_on)
    journal_changed([client.pk])  # the verbs change rows only: the door scores them
    return ClientPage.objects.create(client=client)


def _url(page: ClientPage) -> str:
    return reverse("portal:page", kwargs={"token": page.token})


def _form(browser: Browser, page: ClientPage, form_id: str) -> tuple[str, dict[str, Any]]:
    """The form `form_id` as the page draws it: its action and values (its one-time token included)."""
    html = browser.get(_url(page)).content.decode()
    (form,) = [form for form in drawn_forms(html) if form.attrs.get("id") == form_id]
    return form.action, form.data()


def _reasons(page: ClientPage) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in ClientHealth.objects.get(client=page.client).reasons}


@pytest.mark.parametrize(
    ("language", "thanks", "label"),
    [("fr", "Merci : votre réponse est enregistrée.", "Ça se passe bien"),
     ("en", "Thank you: your answer is recorded.", "Going well")],
)  # fmt: skip
def test_a_check_in_round_trips_in_the_clients_language(
    alice: Any, language: str, thanks: str, label: str
) -> None:
    page = _page(alice, language)
    browser = Browser(enforce_csrf_checks=True)
    action, data = _form(browser, page, "check-in")
    assert action == reverse("portal:check_in_new", kwargs={"token": page.token})
    answer = browser.post(action, {**data, "checkin-level": "good", "checkin-note": "  Très content  "})

    assert answer.status_code == 302 and answer["Location"].endswith("?said=check_in#voice")
    (said,) = CheckIn.objects.filter(client=page.client)
    assert (said.level, said.note, said.answered_at, said.withdrawn_at) == (
        "good",
        "Très content",
        timezone.now(),
        None,
    )
    shown = browser.get(answer["Location"]).content.decode()
    assert thanks in shown and label in shown and "Très content" in shown
    # Heard at once, on the client's side, as the client's own word (never the freelancer's feeling).
    reason = _reasons(page)["client_check_in_good"]
    assert (reason["component"], reason["side"]) == ("client_voice", "client")
    assert "feeling" not in {r["component"] for r in _reasons(page).values()}


def test_a_double_submit_records_one_check_in(alice: Any) -> None:
    page = _page(alice, "fr")
    browser = Browser()
    action, data = _form(browser, page, "check-in")
    first = browser.post(action, {**data, "checkin-level": "mixed"})
    again = browser.post(action, {**data, "checkin-level": "mixed"})
    assert again["Location"] == first["Location"]
    assert CheckIn.objects.filter(client=page.client).count() == 1


@pytest.mark.parametrize(
    ("posted", "message"),
    [({}, "Choose one of the three answers."),
     ({"checkin-level": "great"}, "Select a valid choice."),
     ({"checkin-level": "good", "checkin-note": "x" * 501}, "at most 500 characters")],
)  # fmt: skip
def test_a_bad_check_in_changes_nothing_and_says_why(
    alice: Any, posted: dict[str, str], message: str
) -> None:
    page = _page(alice, "en")
    before = ClientHealth.objects.get(client=page.client).reasons
    browser = Browser()
    action, data = _form(browser, page, "check-in")
    data.pop("checkin-level", None)
    answer = browser.post(action, {**data, **posted})
    assert answer.status_code == 400 and message in answer.content.decode()
    assert not CheckIn.objects.exists()
    assert ClientHealth.objects.get(client=page.client).reasons == before


def test_a_check_in_needs_the_csrf_token(alice: Any) -> None:
    page = _page(alice, "en")
    answer = Browser(enforce_csrf_checks=True).post(
        reverse("portal:check_in_new", kwargs={"token": page.token}), {"checkin-level": "poor"}
    )
    assert answer.status_code == 403 and not CheckIn.objects.exists()


def test_a_turned_off_or_replaced_link_records_nothing(alice: Any) -> None:
    page = _page(alice, "fr")
    old = page.token
    page.renew()
    browser = Browser()
    for url, data in (
        (reverse("portal:check_in_new", kwargs={"token": old}), {"checkin-level": "poor"}),
        (reverse("portal:concern_new", kwargs={"token": old}), {"concern-kind": "posture", "concern-description": "x"}),
    ):  # fmt: skip
        answer = browser.post(url, data)
        assert (
            answer.status_code == 410 and "Alice Martin" in answer.content.decode()
        )  # "ask Alice for the link"
    current = page.token
    page.turn_off()
    answer = browser.post(
        reverse("portal:check_in_new", kwargs={"token": current}), {"checkin-level": "poor"}
    )
    assert answer.status_code == 410  # turned off: "gone", as the page itself answers
    assert browser.get(reverse("portal:check_in_new", kwargs={"token": "nope"})).status_code == 404
    assert not CheckIn.objects.exists() and not ConflictSignal.objects.exists()


def test_withdrawing_a_check_in_stops_it_counting_and_keeps_it_in_the_history(alice: Any) -> None:
    page = _page(alice, "en")
    browser = Browser()
    action, data = _form(browser, page, "check-in")
    browser.post(action, {**data, "checkin-level": "poor", "checkin-note": "Delays"})
    assert "client_check_in_poor" in _reasons(page)
    said = CheckIn.objects.get()
    withdraw = reverse("portal:check_in_withdraw", kwargs={"token": page.token, "check_in_id": said.pk})
    assert f'action="{withdraw}"' in browser.get(_url(page)).content.decode()

    answer = browser.post(withdraw)
    browser.post(withdraw)  # a second click changes nothing

    assert answer.status_code == 302 and answer["Location"].endswith("?said=withdrawn#voice")
    said.refresh_from_db()
    assert said.withdrawn_at == timezone.now()
    assert "client_check_in_poor" not in _reasons(page)
    shown = browser.get(answer["Location"]).content.decode()
    assert "Delays" in shown and "withdrawn" in shown and f'action="{withdraw}"' not in shown


@pytest.mark.parametrize(
    ("owner_language", "subject", "words"),
    [("en", "Zoé says something bothers them", 'pressed "something bothers me" on their page (posture)'),
     ("fr", "Zoé vous signale une gêne", "a appuyé sur « quelque chose me gêne » sur sa page (posture)")],
)  # fmt: skip
def test_something_bothers_me_opens_a_clients_signal_and_alerts_the_freelancer_at_once(
    alice: Any, eager_celery: None, django_capture_on_commit_callbacks: Any, owner_language: str,
    subject: str, words: str,
) -> None:  # fmt: skip
    alice.profile.language = owner_language
    alice.profile.save(update_fields=["language"])
    page = _page(alice, "fr")
    before = ClientHealth.objects.get(client=page.client)
    browser = Browser(enforce_csrf_checks=True)
    action, data = _form(browser, page, "concern")
    with django_capture_on_commit_callbacks(execute=True):
        answer = browser.post(
            action, {**data, "concern-kind": "posture", "concern-description": "Le ton des derniers mails"}
        )

    assert answer.status_code == 302
    (signal,) = ConflictSignal.objects.filter(client=page.client)
    assert (signal.raised_by, signal.kind, signal.state, signal.description) == (
        "client", "posture", "open", "Le ton des derniers mails",
    )  # fmt: skip
    (alert,) = mail.outbox
    assert alert.to == [alice.email] and alert.subject == subject
    assert words in alert.body and "Le ton des derniers mails" in alert.body
    assert Dispatch.objects.get(kind=Dispatch.Kind.CLIENT_SIGNAL).state == Dispatch.State.SENT
    # The client's side hears it as the client's own word, and the timeline shows the move.
    reason = _reasons(page)["client_signal_posture"]
    assert reason["side"] == "client" and reason["impact"] < 0
    with_language = describe(reason)
    assert with_language.text.startswith("The client said something bothers them")
    after = ClientHealth.objects.get(client=page.client)
    assert after.client_score < 50 and after.score < before.score
    (move,) = HealthChange.objects.filter(client=page.client).order_by("-pk")[:1]
    assert move.new_score == after.score
    assert "conflict_open_posture" not in _reasons(page)  # not counted twice


def test_a_concern_needs_words_and_a_known_kind(alice: Any) -> None:
    page = _page(alice, "fr")
    browser = Browser()
    action, data = _form(browser, page, "concern")
    blank = browser.post(action, {**data, "concern-kind": "posture", "concern-description": "   "})
    unknown = browser.post(action, {**data, "concern-kind": "mood", "concern-description": "x"})
    assert blank.status_code == unknown.status_code == 400
    assert "Dites en quelques mots ce qui vous gêne." in blank.content.decode()
    assert "Sélectionnez un choix valide." in unknown.content.decode()
    assert (
        'id="concern" action=' in blank.content.decode()
        and '<details class="concern" open>' in blank.content.decode()
    )
    assert not ConflictSignal.objects.exists() and not Dispatch.objects.exists()


def test_the_client_withdraws_a_concern_and_it_no_longer_counts(alice: Any) -> None:
    page = _page(alice, "en")
    browser = Browser()
    action, data = _form(browser, page, "concern")
    browser.post(action, {**data, "concern-kind": "payment", "concern-description": "The price changed"})
    signal = ConflictSignal.objects.get()
    assert "client_signal_payment" in _reasons(page)

    browser.post(reverse("portal:concern_withdraw", kwargs={"token": page.token, "signal_id": signal.pk}))

    signal.refresh_from_db()
    assert (signal.state, signal.resolved_on, signal.withdrawn_at) == (
        "resolved", timezone.localdate(), timezone.now(),
    )  # fmt: skip
    assert not any(code.startswith("client_signal") for code in _reasons(page))
    shown = browser.get(_url(page)).content.decode()
    assert "The price changed" in shown and "withdrawn" in shown


def test_the_freelancer_sees_the_concern_on_the_dashboard_and_the_check_in_in_the_timeline(
    alice: Any, alice_client: Any
) -> None:
    page = _page(alice, "fr")
    browser = Browser()
    action, data = _form(browser, page, "check-in")
    browser.post(action, {**data, "checkin-level": "mixed", "checkin-note": "Un peu lent"})
    action, data = _form(browser, page, "concern")
    browser.post(action, {**data, "concern-kind": "ideas", "concern-description": "Le périmètre bouge"})

    dashboard = alice_client.get(reverse("web:dashboard")).content.decode()
    assert 'id="client-concerns"' in dashboard
    assert "Zoé says something bothers them (ideas)" in dashboard and "Le périmètre bouge" in dashboard
    workspace = alice_client.get(reverse("web:client", kwargs={"client_id": page.client_id})).content.decode()
    assert "The client said: So-so" in workspace and "Un peu lent" in workspace
    assert "The client said: something bothers me" in workspace
    assert "The client said the work is going so-so" in workspace


def test_the_freelancer_resolves_a_clients_concern_but_cannot_rewrite_it(
    alice: Any, alice_client: Any
) -> None:
    page = _page(alice, "fr")
    browser = Browser()
    action, data = _form(browser, page, "concern")
    browser.post(action, {**data, "concern-kind": "ideas", "concern-description": "Le périmètre bouge"})
    signal = ConflictSignal.objects.get()
    url = reverse("web:conflict_edit", kwargs={"signal_id": signal.pk})
    drawn = alice_client.get(url).content.decode()
    (form,) = [form for form in drawn_forms(drawn) if form.action in ("", url)]
    assert "The client said this on their page: only they can take it back." in drawn

    # Even posted by hand, the client's words stay theirs; the freelancer's resolution is saved.
    answer = alice_client.post(url, {
        **form.data(), "kind": "payment", "severity": "1", "description": "Tout va bien",
        "observed_on": "2026-01-02", "state": "resolved", "resolution": "Appel de cadrage",
    })  # fmt: skip

    assert answer.status_code == 302
    signal.refresh_from_db()
    assert (signal.kind, signal.description, signal.raised_by) == ("ideas", "Le périmètre bouge", "client")
    assert (signal.state, signal.resolution) == ("resolved", "Appel de cadrage")
    assert "Le périmètre bouge" in browser.get(_url(page)).content.decode()


def test_the_preview_draws_the_voice_and_records_nothing(alice: Any, alice_client: Any) -> None:
    page = _page(alice, "fr")
    preview = reverse("web:client_page_preview", kwargs={"client_id": page.client_id})
    html = alice_client.get(preview).content.decode()
    assert "Comment se passe notre travail ?" in html
    alice_client.post(preview, {"checkin-level": "poor"})
    assert not CheckIn.objects.exists()

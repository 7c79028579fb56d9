"""The weekly digest says the right promises, numbers and language, in both parts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail

from crm.models import ClientHealth, Dispatch, Interaction, Promise
from crm.reminders.digest import MIN_HEALTH_DROP, build_digest, digest_message
from crm.reminders.outbox import deliver
from tests.factories import make_client, make_interaction, make_invoice, make_promise, make_user

# Monday 23 November 2026, 08:00 in Paris.
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
TODAY = date(2026, 11, 23)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.fixture
def alices_week(alice: Any, bob: Any) -> dict[str, Any]:
    """A prepared history: kept on time, kept late, overdue, due soon, due later; an overdue invoice."""
    with time_machine.travel(NOW, tick=False):
        dupont = make_client(alice, name="Atelier Dupont", created_at=NOW - timedelta(days=60))
        make_interaction(
            dupont,
            kind=Interaction.Kind.STATUS_UPDATE,
            direction=Interaction.Direction.TO_CLIENT,
            happened_at=NOW - timedelta(days=10),
        )
        kept = make_promise(dupont, description="Send the quote", made_on=days(-20), due_on=days(-6))
        kept.keep(days(-7))
        late = make_promise(dupont, description="Deliver the mock-up", made_on=days(-20), due_on=days(-4))
        late.keep(days(-3))
        make_promise(dupont, description="Fix the contact form", made_on=days(-20), due_on=days(-3))
        make_promise(dupont, description="Call about hosting", made_on=days(-1), due_on=days(2))
        make_promise(dupont, description="Launch the site", made_on=days(-1), due_on=days(20))
        make_promise(
            dupont,
            description="Send the texts",
            promisor=Promise.Promisor.CLIENT,
            made_on=days(-1),
            due_on=days(1),
        )
        make_invoice(dupont, number="F-2026-031", issued_on=days(-40), due_on=days(-10))
        make_invoice(
            dupont, number="F-2026-032", issued_on=days(-40), due_on=days(-10), renegotiated_due_on=days(5)
        )
        make_invoice(dupont, number="F-2026-030", issued_on=days(-60), due_on=days(-30), paid_on=days(-29))
        quiet = make_client(alice, name="Studio Calme", created_at=NOW - timedelta(days=2), cadence_days=14)
        make_promise(make_client(bob, name="Bob's secret"), description="Bob's promise", due_on=days(1))
    return {"dupont": dupont, "quiet": quiet}


def test_digest_counts_the_week_gone_by(alice: Any, alices_week: dict[str, Any]) -> None:
    digest = build_digest(alice, NOW)
    assert [p.description for p in digest.kept] == ["Send the quote", "Deliver the mock-up"]
    # Due Tue 17, Thu 19, Fri 20 November: only the first was kept by its due date.
    assert (digest.kept_on_time_last_week, digest.due_last_week, digest.say_do_ratio) == (1, 3, 33)
    assert [p.description for p in digest.overdue] == ["Fix the contact form"]
    assert [p.description for p in digest.due_soon] == ["Call about hosting"]
    assert [(item.client.name, item.days_late) for item in digest.status_updates] == [("Atelier Dupont", 3)]
    assert [invoice.number for invoice in digest.overdue_invoices] == ["F-2026-031"]


def test_digest_email_says_it_in_both_parts(alice: Any, alices_week: dict[str, Any]) -> None:
    message = digest_message(alice, NOW)
    html = message.alternatives[0][0]
    assert message.to == ["alice@example.com"]
    for part in (message.body, html):
        assert "Say–do ratio: 1 of 3 promises due were kept on time (33%)." in part
        assert "Fix the contact form" in part
        assert "Friday, November 20, 3 days late" in part
        assert "Call about hosting" in part
        assert "Launch the site" not in part  # due in 20 days
        assert "Send the texts" not in part  # the client's promise, not hers
        assert "Bob" not in part
        assert "lapsed 3 days ago" in part
        assert "F-2026-031" in part and "10 days late" in part
        assert "F-2026-032" not in part  # renegotiated, not late
        assert f"http://127.0.0.1:8000/clients/{alices_week['dupont'].pk}/" in part
    assert message.subject == "Your week in promises, November 23 — 1 overdue"
    assert message.alternatives[0][1] == "text/html"


def test_digest_names_the_client_whose_trust_dropped(alice: Any, alices_week: dict[str, Any]) -> None:
    reason = {
        "code": "status_update_overdue",
        "component": "status_updates",
        "impact": -12.0,
        "params": {"days_overdue": 3, "cadence_days": 7},
        "events": [],
    }
    ClientHealth.objects.filter(client=alices_week["dupont"]).update(
        score=48, score_week_ago=71, reasons=[reason]
    )
    ClientHealth.objects.filter(client=alices_week["quiet"]).update(score=80, score_week_ago=75)
    digest = build_digest(alice, NOW)
    assert [(d.client.name, d.score_week_ago, d.score) for d in digest.health_drops] == [
        ("Atelier Dupont", 71, 48)
    ]
    body = digest_message(alice, NOW).body
    line = next(line for line in body.splitlines() if line.startswith("* Atelier Dupont: 71 → 48"))
    # Both sides of the word beside the drop (issue 13), then the reason.
    assert "(my word " in line and " · the client's word " in line
    assert line.endswith("). Status update overdue by 3 days (agreed every 7 days).")
    assert "Next step: Send a status update" in body
    assert "Studio Calme: 75" not in body


def test_digest_speaks_the_freelancers_language(alices_week: dict[str, Any]) -> None:
    claire = make_user("claire", language="fr", time_zone="America/Montreal")
    with time_machine.travel(NOW, tick=False):
        client = make_client(claire, name="Boulangerie Martin", created_at=NOW - timedelta(days=30))
        make_promise(client, description="Refaire le logo", made_on=days(-10), due_on=days(-2))
    ClientHealth.objects.filter(client=client).update(
        score=40,
        score_week_ago=60,
        reasons=[{"code": "status_update_overdue", "params": {"days_overdue": 3, "cadence_days": 7}}],
    )
    message = digest_message(claire, NOW)
    # The promise two days past due weighs already, a little (smooth time): my side has a score beside the move.
    assert "Boulangerie Martin: 60 → 40 (ma parole " in message.body
    assert "Status update overdue" not in message.body  # the reason too is in her language
    # 02:00 in Montreal: still Monday the 23rd there; the overdue promise was due Saturday the 21st.
    assert "23 novembre" in message.subject and not message.subject.startswith("Your week")
    for part in (message.body, message.alternatives[0][0]):
        assert "Refaire le logo" in part
        assert "21 novembre" in part and "November" not in part
    assert '<html lang="fr">' in message.alternatives[0][0]


def test_next_step_in_french_keeps_a_no_break_space_before_its_colon(alices_week: dict[str, Any]) -> None:
    claire = make_user("claire", language="fr")
    with time_machine.travel(NOW, tick=False):
        client = make_client(claire, name="Boulangerie Martin", created_at=NOW - timedelta(days=30))
    ClientHealth.objects.filter(client=client).update(
        score=40,
        score_week_ago=60,
        reasons=[{"code": "status_update_overdue", "params": {"days_overdue": 3, "cadence_days": 7}}],
    )
    message = digest_message(claire, NOW)
    for part in (message.body, message.alternatives[0][0]):
        assert "Prochaine étape\u00a0: " in part  # never a colon alone at the start of a line
        assert "Prochaine étape:" not in part


def test_a_drop_of_a_point_or_two_is_not_news(alice: Any, alices_week: dict[str, Any]) -> None:
    ClientHealth.objects.filter(client=alices_week["dupont"]).update(score=91, score_week_ago=92)
    ClientHealth.objects.filter(client=alices_week["quiet"]).update(score=89, score_week_ago=92)
    digest = build_digest(alice, NOW)
    assert [(d.client.name, d.score_week_ago, d.score) for d in digest.health_drops] == [
        ("Studio Calme", 92, 89)
    ]
    assert MIN_HEALTH_DROP == 3  # the drop listed is the smallest that counts


def test_digest_has_a_one_click_unsubscribe(alice: Any, alices_week: dict[str, Any]) -> None:
    message = digest_message(alice, NOW)
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<http://127.0.0.1:8000/email/preferences/") and header.endswith("/>")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header[1:-1] in message.body


def test_empty_digest_says_all_clear_or_nothing(alice: Any) -> None:
    message = digest_message(alice, NOW)
    assert message.subject == "Your week: all clear"
    assert "All clear" in message.body
    alice.profile.digest_when_empty = False
    alice.profile.save()
    assert digest_message(alice, NOW) is None


def seed_book(owner: Any, clients: int) -> None:
    """Give `owner` `clients` more clients, each with an overdue promise, a kept one, an overdue invoice,
    a lapsed status update and a trust health that dropped: every section of the digest has a row per client."""
    with time_machine.travel(NOW, tick=False):
        for i in range(clients):
            client = make_client(owner, created_at=NOW - timedelta(days=30))
            make_promise(client, description=f"Promise {i}", made_on=days(-10), due_on=days(-1))
            make_promise(client, description=f"Kept {i}", made_on=days(-10), due_on=days(-2)).keep(days(-3))
            make_invoice(client, issued_on=days(-40), due_on=days(-5))
            ClientHealth.objects.filter(client=client).update(
                score=40,
                score_week_ago=60,
                reasons=[{"code": "status_update_overdue", "params": {"days_overdue": 3, "cadence_days": 7}}],
            )


def test_digest_query_count_does_not_grow_with_the_book(alice: Any, django_assert_num_queries: Any) -> None:
    # Six queries whatever the number of clients and promises (no N+1 per client or per promise): the clients,
    # their absences (the status updates due), the promises, the invoices, the pending scope changes with their
    # projects, the recap lines the client corrected (issue 26); the profile comes with the owner.
    seed_book(alice, 2)
    with django_assert_num_queries(6):
        small = build_digest(alice, NOW)
    seed_book(alice, 20)
    with django_assert_num_queries(6):
        large = build_digest(alice, NOW)
    assert (len(small.overdue), len(large.overdue)) == (2, 22)
    assert (len(small.health_drops), len(large.health_drops)) == (2, 22)
    mail.outbox.clear()


def test_sending_a_digest_takes_as_many_queries_for_3_clients_as_for_40(
    alice: Any, django_assert_max_num_queries: Any
) -> None:
    # The whole of `deliver`: claim, owner and profile, the digest's six queries, the outcome. Guards against
    # an N+1 per client, promise, invoice or trust health while building, linking or rendering the email.
    counts = []
    for size, more in ((3, 3), (40, 37)):
        seed_book(alice, more)
        row = Dispatch.objects.create(
            owner=alice, kind=Dispatch.Kind.DIGEST, period=f"size-{size}", due_at=NOW
        )
        with django_assert_max_num_queries(11) as captured:
            assert deliver(row.pk, now=NOW) == Dispatch.State.SENT
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert len(mail.outbox) == 2 and mail.outbox[1].body.count("Promise ") == 40


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "1 promise broken, explained only after the due date."),
        ("fr", "1 promesse non tenue, expliquée seulement après l’échéance."),
    ],
)
def test_the_digest_tells_a_promise_explained_late_from_silence(
    alice: Any, alices_week: dict[str, Any], language: str, said: str
) -> None:
    # Issue 22: a promise explained after its due date used to read "broken without a word" in the digest too.
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])
    quiet = alices_week["quiet"]
    with time_machine.travel(NOW, tick=False):
        make_promise(
            quiet,
            description="Deliver the logo",
            made_on=days(-20),
            due_on=days(-5),
            state=Promise.State.BROKEN,
            broken_on=days(-4),
            clarification="Ill for a week",
            clarified_at=NOW - timedelta(days=3),
        )
    health = ClientHealth.objects.get(client=quiet)
    assert health.reasons[0]["code"] == "promise_broken_explained_late"
    ClientHealth.objects.filter(client=quiet).update(score_week_ago=health.score + 20)
    body = digest_message(alice, NOW).body
    assert said in body
    assert "without a word" not in body and "sans un mot" not in body

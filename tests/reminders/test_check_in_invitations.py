"""Check-in invitations (issue 26): at the cadence the freelancer chose per client, through the outbox, in the
client's language; never twice; never when off or when the page's link is off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from crm.models import CheckIn, ClientPage, Dispatch
from crm.reminders import check_ins, outbox
from tests.factories import make_client, make_interaction

# Tuesday 10 March 2026, 09:00 in Paris (08:00 UTC); the freelancer's hour is 8 in Paris, 07:00 UTC.
START = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def _page(owner: Any, cadence: str, language: str = "fr") -> ClientPage:
    client = make_client(owner, name="Zoé", language=language, email="zoe@example.com")
    page = ClientPage.objects.create(client=client, check_in_cadence=cadence)
    page.start_check_ins(START)
    return page


def _invited(now: datetime) -> list[Dispatch]:
    with time_machine.travel(now, tick=False):
        check_ins.plan(now)
    return list(Dispatch.objects.filter(kind=Dispatch.Kind.CHECK_IN).order_by("pk"))


def test_every_two_weeks_invites_once_at_the_freelancers_hour_in_the_clients_language(alice: Any) -> None:
    page = _page(alice, "2w")
    # Fourteen days later at 08:00 in Paris (07:00 UTC).
    assert page.check_in_invite_at == datetime(2026, 3, 24, 7, 0, tzinfo=UTC)

    assert _invited(datetime(2026, 3, 24, 6, 59, tzinfo=UTC)) == []
    (invitation,) = _invited(datetime(2026, 3, 24, 7, 0, tzinfo=UTC))
    assert _invited(datetime(2026, 3, 24, 7, 1, tzinfo=UTC)) == [invitation]  # not twice

    assert outbox.deliver(invitation.pk, now=datetime(2026, 3, 24, 7, 1, tzinfo=UTC)) == Dispatch.State.SENT
    (email,) = mail.outbox
    assert email.to == ["zoe@example.com"]
    assert email.subject == "Comment se passe notre travail ? Un mot pour Alice Martin"
    link = reverse("portal:page", kwargs={"token": page.token})
    assert link in email.body and "Comment se passe notre travail pour vous ?" in email.body
    page.refresh_from_db()
    assert page.check_in_invite_at == datetime(2026, 4, 7, 6, 0, tzinfo=UTC)  # two weeks on (summer time)


def test_an_english_client_is_invited_in_english(alice: Any) -> None:
    _page(alice, "2w", language="en")
    (invitation,) = _invited(datetime(2026, 3, 24, 7, 0, tzinfo=UTC))
    outbox.deliver(invitation.pk, now=datetime(2026, 3, 24, 7, 0, tzinfo=UTC))
    assert mail.outbox[0].subject == "How is our work going? A word for Alice Martin"


def test_a_check_in_answered_meanwhile_starts_the_clock_again(alice: Any) -> None:
    page = _page(alice, "2w")
    answered = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    CheckIn.objects.create(client=page.client, level="good", answered_at=answered)
    page.start_check_ins(answered)  # as the page's answer does
    assert _invited(datetime(2026, 3, 24, 7, 0, tzinfo=UTC)) == []
    assert len(_invited(datetime(2026, 4, 3, 6, 0, tzinfo=UTC))) == 1


def test_after_each_delivery_invites_only_once_a_delivery_was_logged(alice: Any) -> None:
    page = _page(alice, "milestones")
    looked_at = page.check_in_invite_at
    assert looked_at == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)  # the next 08:00 in Paris
    assert _invited(looked_at) == []
    page.refresh_from_db()
    assert page.check_in_invite_at == looked_at + timedelta(days=1)  # looked at again tomorrow

    make_interaction(page.client, kind="delivery", happened_at=datetime(2026, 3, 11, 15, 0, tzinfo=UTC))
    assert len(_invited(looked_at + timedelta(days=1))) == 1
    # The same delivery does not invite again.
    assert len(_invited(looked_at + timedelta(days=2))) == 1
    assert len(_invited(looked_at + timedelta(days=3))) == 1


@pytest.mark.parametrize("how", ["off", "page turned off"])
def test_off_means_never(alice: Any, how: str) -> None:
    page = _page(alice, "off" if how == "off" else "2w")
    if how == "page turned off":
        page.turn_off()
    page.refresh_from_db()
    assert page.check_in_invite_at is None
    for weeks in (2, 4, 8, 52):
        assert _invited(START + timedelta(weeks=weeks)) == []


def test_a_page_turned_off_after_the_invitation_was_written_sends_nothing(alice: Any) -> None:
    page = _page(alice, "2w")
    (invitation,) = _invited(datetime(2026, 3, 24, 7, 0, tzinfo=UTC))
    page.turn_off()
    assert (
        outbox.deliver(invitation.pk, now=datetime(2026, 3, 24, 7, 1, tzinfo=UTC)) == Dispatch.State.SKIPPED
    )
    assert mail.outbox == []


def test_the_panel_chooses_the_cadence_per_client(alice: Any, alice_client: Any) -> None:
    page = _page(alice, "off")
    url = reverse("web:client_page", kwargs={"client_id": page.client_id})
    answer = alice_client.post(url, {"show_projects": "on", "show_promises": "on", "check_in_cadence": "4w"})
    assert answer.status_code == 302
    page.refresh_from_db()
    assert page.check_in_cadence == "4w" and page.check_in_since > START
    # Four weeks from the day it was chosen, at the freelancer's hour.
    invited = page.check_in_invite_at.astimezone(alice.profile.zone)
    assert (invited.date() - page.check_in_since.astimezone(alice.profile.zone).date()).days == 28
    assert invited.hour == alice.profile.digest_hour
    refused = alice_client.post(url, {"check_in_cadence": "daily"})
    assert refused.status_code == 400
    page.refresh_from_db()
    assert page.check_in_cadence == "4w"

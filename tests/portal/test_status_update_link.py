"""Status updates carry the client's page: the prepared draft (and so the nudge that emails it) links to it while
the link is on, and never to a link renewed or turned off since."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from crm.models import ClientPage
from crm.reminders.status_updates import status_update_draft
from tests.factories import make_client


def _link(page: ClientPage) -> str:
    return settings.SITE_URL + reverse("portal:page", kwargs={"token": page.token})


def test_the_draft_carries_the_clients_page_in_the_clients_language(alice: Any) -> None:
    client = make_client(alice, name="Zoé", language="fr")
    _subject, body = status_update_draft(client, timezone.now())
    assert "/p/" not in body  # no page yet
    page = ClientPage.objects.create(client=client)
    _subject, body = status_update_draft(client, timezone.now())
    assert f"une page privée, rien que pour vous)\u00a0:\n{_link(page)}\n" in body
    assert body.rstrip().endswith("Alice Martin")


def test_a_renewed_or_turned_off_link_is_never_drafted(alice: Any) -> None:
    client = make_client(alice, name="Ada", language="en")
    page = ClientPage.objects.create(client=client)
    old = _link(page)
    page.renew()
    _subject, body = status_update_draft(client, timezone.now())
    assert old not in body and _link(page) in body
    page.turn_off()
    _subject, body = status_update_draft(client, timezone.now())
    assert "/p/" not in body


def test_the_draft_page_shows_the_link_to_the_freelancer(alice_client: Any, alice: Any) -> None:
    client = make_client(alice, name="Ada", language="en")
    page = ClientPage.objects.create(client=client)
    html = alice_client.get(
        reverse("web:status_update_draft", kwargs={"client_id": client.pk})
    ).content.decode()
    assert _link(page) in html

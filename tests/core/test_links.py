"""The secret-link primitive (crm/core/links.py) and the two links built on it, the calendar feed and the client's
page: a right key with a wrong secret is refused, the comparison is constant-time, the secret is never stored,
bob's key with alice's secret is refused, and a renewed or revoked link is refused at once."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from crm.core import links
from crm.models import ClientPage
from crm.reminders.calendar import feed_token
from tests.factories import make_client


def _calendar(user: Any) -> str:
    user.profile.refresh_from_db()
    token = feed_token(user.profile)
    assert token is not None
    return token


def _portal(user: Any) -> str:
    page = ClientPage.objects.filter(client__owner=user).first() or ClientPage.objects.create(
        client=make_client(user, name=f"Client of {user.username}"), owner=user
    )
    assert page.token is not None
    return page.token


LINKS: dict[str, tuple[Callable[[Any], str], str]] = {
    "calendar": (_calendar, "web:calendar_feed"),
    "portal": (_portal, "portal:page"),
}


def _opens(browser: Any, route: str, token: str) -> int:
    return browser.get(reverse(route, kwargs={"token": token})).status_code


@pytest.fixture(params=sorted(LINKS))
def link(request: pytest.FixtureRequest) -> tuple[Callable[[Any], str], str]:
    return LINKS[request.param]


def test_the_right_token_opens_and_a_wrong_secret_with_the_right_key_is_refused(client, alice, link) -> None:
    make, route = link
    token = make(alice)
    assert _opens(client, route, token) == 200
    key, secret = links.split(token)
    for wrong in [
        secret[:-1] + ("A" if secret[-1] != "A" else "B"),
        secret[::-1],
        "x" * len(secret),
        secret + "A",
    ]:
        assert _opens(client, route, key + wrong) == 404


def test_bobs_key_with_alices_secret_is_refused(client, alice, bob, link) -> None:
    make, route = link
    alices_key, alices_secret = links.split(make(alice))
    bobs_key, bobs_secret = links.split(make(bob))
    assert _opens(client, route, bobs_key + alices_secret) == 404
    assert _opens(client, route, alices_key + bobs_secret) == 404
    assert _opens(client, route, bobs_key + bobs_secret) == 200


def test_the_secret_is_never_stored_in_clear(alice, link) -> None:
    make, _route = link
    _key, secret = links.split(make(alice))
    dump = StringIO()
    call_command("dumpdata", stdout=dump)  # every table of the database
    assert secret not in dump.getvalue()
    assert links.hashed(secret) in dump.getvalue()


def test_the_comparison_is_constant_time(client, alice, link, monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret's hash is compared with hmac.compare_digest (the real one, watched), never with ==."""
    make, route = link
    token = make(alice)
    seen: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def watched(a: Any, b: Any) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(links.hmac, "compare_digest", watched)
    key, secret = links.split(token)
    assert _opens(client, route, key + "y" * len(secret)) == 404
    assert seen and seen[-1][0] == links.hashed("y" * len(secret))
    assert _opens(client, route, token) == 200
    assert seen[-1] == (links.hashed(secret), links.hashed(secret))


def test_a_replaced_calendar_address_is_refused(client, alice) -> None:
    old = _calendar(alice)
    alice.profile.revoke_calendar_token()
    assert _opens(client, "web:calendar_feed", old) == 404
    new = _calendar(alice)
    assert new != old and _opens(client, "web:calendar_feed", new) == 200


def test_a_renewed_or_turned_off_page_link_is_refused(client, alice) -> None:
    old = _portal(alice)
    page = ClientPage.objects.get(client__owner=alice)
    page.renew()
    # Refused: the page is not shown; its client reads that the link is gone (410), not its page.
    assert _opens(client, "portal:page", old) == 410
    renewed = page.token
    assert _opens(client, "portal:page", renewed) == 200
    page.turn_off()
    assert _opens(client, "portal:page", renewed) == 410
    assert (
        page.token is not None and _opens(client, "portal:page", page.token) == 404
    )  # off: no token opens it


@pytest.mark.parametrize("token", ["", "short", "é" * 55, "a" * 200, "../../etc/passwd" * 4])
def test_anything_that_cannot_be_a_token_is_refused_before_any_lookup(token: str) -> None:
    assert links.split(token) is None or not links.matches(links.split(token)[1], "")


def test_a_link_made_before_hashing_works_but_cannot_be_shown_again(client, alice) -> None:
    """A secret that is not the key's derivation (a link from before, or an older SECRET_KEY) still opens the
    page; the freelancer is told it cannot be shown, and a renewal makes one that can."""
    page = ClientPage.objects.create(client=make_client(alice), owner=alice)
    legacy = "L" * 43
    ClientPage.objects.filter(pk=page.pk).update(secret_hash=links.hashed(legacy))
    page.refresh_from_db()
    assert _opens(client, "portal:page", page.key + legacy) == 200
    assert page.token is None
    client.force_login(alice)
    panel = client.get(reverse("web:client_page", kwargs={"client_id": page.client_id})).content.decode()
    assert "cannot be shown again" in panel

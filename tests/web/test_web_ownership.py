"""Walk every URL of the web app (`web:`) that names an object: for another freelancer it is a 404, GET or POST."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import (
    make_client,
    make_conflict,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

KWARGS = {"client_id", "project_id", "interaction_id", "promise_id", "invoice_id", "signal_id"}


def _named_patterns(resolver: URLResolver, namespace: str = "") -> list[tuple[str, Any]]:
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found += _named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found.append((namespace + pattern.name, pattern))
    return found


def _object_urls() -> list[tuple[str, set[str]]]:
    urls = []
    for name, pattern in _named_patterns(get_resolver()):
        kwargs = set(pattern.pattern.converters)
        if kwargs and kwargs <= KWARGS and name.startswith("web:"):
            urls.append((name, kwargs))
    return urls


def test_the_walk_covers_the_web_app() -> None:
    names = {name for name, _kwargs in _object_urls()}
    assert {
        "web:client",
        "web:promise_keep",
        "web:invoice_mark_paid",
        "web:conflict_resolve",
        "web:project_edit",
    } <= names


@pytest.mark.parametrize("method", ["get", "post"])
def test_bob_gets_404_on_every_url_naming_alices_objects(
    client: Any, alice: Any, bob: Any, method: str
) -> None:
    rita = make_client(alice)
    ids = {
        "client_id": rita.pk,
        "project_id": make_project(rita).pk,
        "interaction_id": make_interaction(rita).pk,
        "promise_id": make_promise(rita).pk,
        "invoice_id": make_invoice(rita).pk,
        "signal_id": make_conflict(rita).pk,
    }
    client.force_login(bob)
    for name, kwargs in _object_urls():
        url = reverse(name, kwargs={key: ids[key] for key in kwargs})
        status = getattr(client, method)(url).status_code
        # A view answers a method it never takes (a GET to a POST-only action, a POST to a page) with 405 before
        # looking anything up, as it does for an id that exists nowhere; all else must be 404.
        missing = reverse(name, kwargs=dict.fromkeys(kwargs, 10**9))
        never_taken = getattr(client, method)(missing).status_code == 405
        assert status == 404 or (status == 405 and never_taken), f"{method.upper()} {name}: {status}"

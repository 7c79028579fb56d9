"""`next` is followed only when it is a path of this site: a bare word, another host or a scheme falls back to
the workspace, on every action's error path and on its success (issue 25: `next=x` was a 500)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from crm.web.views.common import next_url
from tests.factories import make_client, make_conflict, make_invoice, make_promise

NOW = "2026-03-10 09:00 +01:00"
BAD_NEXTS = [
    "x",
    "web:dashboard",
    "logout",
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example",
    "",
]


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/clients/3/?tab=journal", "/clients/3/?tab=journal"),
        ("x", "/fallback/"),
        ("web:dashboard", "/fallback/"),
        ("https://evil.example/", "/fallback/"),
        ("//evil.example/", "/fallback/"),
        ("/\\evil.example", "/fallback/"),
        ("///evil.example", "/fallback/"),
        ("javascript:alert(1)", "/fallback/"),
    ],
)
def test_next_url_takes_only_a_local_path(candidate: str, expected: str) -> None:
    request = RequestFactory().post("/", {"next": candidate})
    assert next_url(request, "/fallback/") == expected


def _setup(alice: Any) -> dict[str, Any]:
    today = timezone.localdate()
    client = make_client(alice, name="Rita")
    kept = make_promise(client, description="Kept", made_on=today - timedelta(days=9), due_on=today)
    kept.keep(today)
    opened = make_promise(client, description="Open", made_on=today - timedelta(days=9), due_on=today)
    invoice = make_invoice(client, issued_on=today - timedelta(days=40), due_on=today - timedelta(days=10))
    signal = make_conflict(client)
    return {"client": client, "kept": kept, "open": opened, "invoice": invoice, "signal": signal}


# Each action with a request that fails validation: (url name, the object's key, its url kwarg, the data).
ERROR_PATHS = [
    ("web:promise_explain", "open", "promise_id", {"clarification": ""}),
    ("web:promise_explain", "kept", "promise_id", {"clarification": "Told them"}),
    ("web:promise_break", "kept", "promise_id", {}),
    ("web:promise_drop", "kept", "promise_id", {}),
    ("web:promise_reopen", "open", "promise_id", {}),
    ("web:invoice_renegotiate", "invoice", "invoice_id", {"renegotiated_due_on": "not a date"}),
    ("web:invoice_reopen", "invoice", "invoice_id", {}),
    ("web:conflict_resolve", "signal", "signal_id", {"resolved_on": "", "resolution": ""}),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("name", "key", "kwarg", "data"), ERROR_PATHS)
@pytest.mark.parametrize("bad", BAD_NEXTS)
def test_an_error_path_with_a_bad_next_goes_back_to_the_workspace(
    alice_client: Any, alice: Any, name: str, key: str, kwarg: str, data: dict[str, str], bad: str
) -> None:
    book = _setup(alice)
    response = alice_client.post(reverse(name, kwargs={kwarg: book[key].pk}), {**data, "next": bad})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:client", kwargs={"client_id": book["client"].pk})


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("name", "key", "kwarg", "data"), ERROR_PATHS[:1])
def test_an_error_path_follows_a_local_next(
    alice_client: Any, alice: Any, name: str, key: str, kwarg: str, data: dict[str, str]
) -> None:
    book = _setup(alice)
    response = alice_client.post(reverse(name, kwargs={kwarg: book[key].pk}), {**data, "next": "/promises/"})
    assert (response.status_code, response["Location"]) == (302, "/promises/")


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("bad", ["x", "https://evil.example/"])
def test_a_done_action_and_a_feeling_with_a_bad_next_go_back_to_the_workspace(
    alice_client: Any, alice: Any, bad: str
) -> None:
    book = _setup(alice)
    workspace = reverse("web:client", kwargs={"client_id": book["client"].pk})
    kept = alice_client.post(
        reverse("web:promise_keep", kwargs={"promise_id": book["open"].pk}), {"next": bad}
    )
    assert (kept.status_code, kept["Location"]) == (302, workspace)
    feeling = alice_client.post(
        reverse("web:client_feeling_new", kwargs={"client_id": book["client"].pk}),
        {"rating": "", "next": bad},
    )
    assert (feeling.status_code, feeling["Location"]) == (302, workspace)


@pytest.mark.parametrize("bad", ["x", "https://evil.example/", "//evil.example/"])
def test_the_login_page_never_sends_anyone_away(alice: Any, client: Any, bad: str) -> None:
    """Django's LoginView reads `next` with the same check: never another host, never an error."""
    from tests.factories import PASSWORD

    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD, "next": bad}, REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 302
    assert "evil" not in response["Location"]

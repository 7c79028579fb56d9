"""Walk every URL that takes an object id: bob's objects are a 404 for alice, whatever the method or header.

The walk reads the project's resolver, so a view added later is covered without touching this file; a URL with
an integer id this file does not know fails the test until it is mapped below. The client's page (crm/portal)
takes a token instead of an id: every token URL is walked with each client's token (it shows that client alone)
and with tampered and revoked tokens (a 404).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern, RoutePattern

from clients.models import Absence
from conflicts.models import ConflictSignal
from crm.dataio.imports import receive
from crm.models import CheckIn, ClientPage, EvidencePack, PaymentReminder
from crm.models.portal import KEY_LENGTH
from crm.trash.snapshot import to_trash
from crm.trash.undo import remember
from tests.factories import (
    make_client,
    make_conflict,
    make_contact,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
    make_scope_change,
)

# The id kwargs a URL may take, and how to build the object each one names.
ID_KWARGS = {
    "client_id": lambda book: book["client"],
    "project_id": lambda book: book["project"],
    "contact_id": lambda book: book["contact"],
    "absence_id": lambda book: book["absence"],
    "scope_change_id": lambda book: book["scope_change"],
    "import_id": lambda book: book["book_import"],
    "interaction_id": lambda book: book["interaction"],
    "promise_id": lambda book: book["promise"],
    "invoice_id": lambda book: book["invoice"],
    "signal_id": lambda book: book["signal"],
    # The client's check-ins on their page (issue 26): read through the API, withdrawn through the page's link.
    "check_in_id": lambda book: book["check_in"],
    "trash_id": lambda book: book["trash_item"],
    "undo_id": lambda book: book["undo"],
    "token_id": lambda book: book["token"],
    "reminder_id": lambda book: book["payment_reminder"],
    # Settings → Sessions: signing a session out is the account's own.
    "session_id": lambda book: book["account_session"],
    # An evidence pack: its progress and its PDF and ZIP are the owner's only.
    "pack_id": lambda book: book["evidence_pack"],
    # The recap of a call (crm/recaps), read and written through the API.
    "recap_id": lambda book: book["recap"],
}
INT_IN_REGEX = re.compile(r"\(\?P<(\w+)>(?:\[0-9\]|\\d)[+*]?\)")
INT_IN_ROUTE = re.compile(r"<int:(\w+)>")
API_PREFIX = "api/"


def _route(pattern: Any) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    if isinstance(pattern, RegexPattern):
        # Turn integer groups into route syntax; other regex syntax is kept (those URLs take no object id).
        text = str(pattern).lstrip("^").rstrip("$")
        return INT_IN_REGEX.sub(r"<int:\1>", text)
    return str(pattern)


def _walk(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    for entry in resolver.url_patterns:
        route = prefix + _route(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


def _int_kwargs(route: str) -> list[str]:
    return INT_IN_ROUTE.findall(route)


def _all_id_routes() -> list[str]:
    return sorted({route for route in _walk(get_resolver()) if _int_kwargs(route)})


def id_routes() -> list[str]:
    """Return every route of the web app that captures an integer id (the API's are walked with tokens below, the
    client's page's with its links at the end)."""
    return [
        route for route in _all_id_routes() if not route.startswith(API_PREFIX) and "<str:token>" not in route
    ]


def api_id_routes() -> list[str]:
    return [route for route in _all_id_routes() if route.startswith(API_PREFIX)]


def _book(owner: Any) -> dict[str, Any]:
    from clients.models import AccessToken, AccountSession

    client = make_client(owner, name=f"Client de {owner.username}")
    project = make_project(client)
    undoable = make_promise(client, description="Tenue, puis annulée")
    invoice = make_invoice(client, project=project)
    return {
        "client": client,
        # The client's page: its panel, renew, off and preview take the client's id.
        "client_page": ClientPage.objects.create(client=client),
        "project": project,
        "book_import": receive(owner, "clients", "book.csv", b"Client;Email\nAtelier;a@example.com\n"),
        "interaction": make_interaction(client, project=project),
        "promise": make_promise(client, project=project),
        "invoice": invoice,
        # A payment reminder waiting for approval: sending or skipping it is the owner's only.
        "payment_reminder": PaymentReminder.objects.create(
            owner=owner, invoice=invoice, step=1, due_basis=invoice.due_on, due_on=invoice.due_on
        ),
        "signal": make_conflict(client),
        "check_in": CheckIn.objects.create(client=client, level=CheckIn.Level.GOOD, note="Bien"),
        # A promise in the trash, and the undo of a promise kept: the way back is the owner's only.
        "trash_item": to_trash(make_promise(client, description="Supprimée"), owner),
        "token": AccessToken.issue(owner, "walk", AccessToken.Scope.WRITE)[0],
        "contact": make_contact(client, email=f"contact@{owner.username}.example"),
        # A holiday of the client: editing, ending or deleting it is the owner's only.
        "absence": Absence.objects.create(client=client, start_on=date(2026, 3, 1), end_on=date(2026, 3, 20)),
        "account_session": AccountSession.objects.create(user=owner, session_key=f"walk-{owner.username}"),
        # A change of the project's scope asked by the client: accepting or declining it is the owner's only.
        "scope_change": make_scope_change(project),
        "evidence_pack": EvidencePack.objects.create(
            client=client, language="en", state=EvidencePack.State.DONE, pdf=b"%PDF-1.7", archive=b"PK"
        ),
        # A call's recap with a line awaiting the client's answer: confirming or correcting it is the client's
        # own (their page's link), reading it the owner's.
        "recap": _recap(client),
        "undo": remember(
            owner, undoable, ["state", "kept_on", "broken_on"], lambda: undoable.keep(undoable.made_on)
        ),
    }


def _recap(client: Any) -> Any:
    from crm.recaps.writing import Line, write

    call = make_interaction(client, kind="call", summary="Appel de lancement")
    return write(call, "On lance", "", [Line("freelancer", "Maquette", date(2100, 1, 1))])


def _ids(book: dict[str, Any]) -> dict[str, int]:
    return {kwarg: pick(book).pk for kwarg, pick in ID_KWARGS.items()}


def _url(route: str, ids: dict[str, Any]) -> str:
    """Return the URL of `route` with each id kwarg replaced from `ids` (a book, or kwarg -> id)."""
    if "client" in ids:
        ids = _ids(ids)
    url = INT_IN_ROUTE.sub(lambda match: str(ids[match.group(1)]), route)
    return "/" + re.sub(r"<\w+:(\w+)>|<(\w+)>", "x", url)


def test_every_int_converter_is_an_object_id_we_know() -> None:
    """A new URL with an integer id must name a known object kwarg, so it joins the walk below."""
    unknown = {
        (route, kwarg) for route in _all_id_routes() for kwarg in _int_kwargs(route) if kwarg not in ID_KWARGS
    }
    assert unknown == set(), "map these kwargs in ID_KWARGS (and give them an ownership check)"


def test_every_integer_converter_is_found_by_the_walk() -> None:
    """Guard the walk itself: any int-converting RoutePattern shows up as <int:...> in its route."""

    def converters(resolver: URLResolver) -> Iterator[tuple[str, Any]]:
        for entry in resolver.url_patterns:
            if isinstance(entry.pattern, RoutePattern):
                yield from entry.pattern.converters.items()
            if isinstance(entry, URLResolver):
                yield from converters(entry)

    int_names = {name for name, conv in converters(get_resolver()) if isinstance(conv, IntConverter)}
    walked = {kwarg for route in _all_id_routes() for kwarg in _int_kwargs(route)}
    assert int_names == walked


def test_the_walk_covers_the_journal() -> None:
    routes = _all_id_routes()
    assert len(id_routes()) >= 10
    assert {kwarg for route in routes for kwarg in _int_kwargs(route)} == set(ID_KWARGS)


def test_the_walk_covers_edit_delete_reopen_undo_and_trash() -> None:
    """Every URL of the way back takes an owned id, so each is walked below (bob's ids are a 404)."""
    from django.urls import reverse

    routes = {"/" + route for route in id_routes()}
    names = [
        *(
            f"{kind}_{verb}"
            for kind in ("interaction", "promise", "invoice", "conflict")
            for verb in ("edit", "delete")
        ),
        "client_delete",
        "project_delete",
        "promise_reopen",
        "invoice_reopen",
        "conflict_reopen",
    ]
    kwargs = {"client": "client_id", "project": "project_id", "interaction": "interaction_id"}
    kwargs |= {"promise": "promise_id", "invoice": "invoice_id", "conflict": "signal_id"}
    for name in names:
        kwarg = kwargs[name.split("_")[0]]
        assert reverse(f"crm:{name}", kwargs={kwarg: 7}).replace("7", f"<int:{kwarg}>") in routes, name
    for name, kwarg in (("undo", "undo_id"), ("trash_restore", "trash_id"), ("trash_delete", "trash_id")):
        assert reverse(f"crm:{name}", kwargs={kwarg: 7}).replace("7", f"<int:{kwarg}>") in routes, name


@pytest.fixture
def books(alice: Any, bob: Any) -> dict[str, dict[str, Any]]:
    return {"alice": _book(alice), "bob": _book(bob)}


def _attempts(http: Any, url: str, data: dict[str, Any]) -> dict[str, int]:
    """Return the status of GET and POST, plain and from htmx, on `url`."""
    htmx = {"HX-Request": "true"}
    return {
        "GET": http.get(url).status_code,
        "POST": http.post(url, data).status_code,
        "GET htmx": http.get(url, headers=htmx).status_code,
        "POST htmx": http.post(url, data, headers=htmx).status_code,
    }


@pytest.mark.parametrize("route", id_routes())
def test_alice_gets_404_for_bobs_objects(alice_client: Any, books: dict[str, Any], route: str) -> None:
    bob = books["bob"]
    statuses = _attempts(alice_client, _url(route, bob), {"client": bob["client"].pk})
    # A method the view never accepts is a 405 for any id at all, so it tells nothing about bob's objects.
    missing = _url(route, dict.fromkeys(ID_KWARGS, 10**9))
    never_allowed = {name for name, status in _attempts(alice_client, missing, {}).items() if status == 405}
    expected = {name: 405 if name in never_allowed else 404 for name in statuses}
    assert statuses == expected, f"{route}: {statuses}"
    assert 404 in statuses.values()


@pytest.mark.parametrize("route", id_routes())
def test_alice_reaches_her_own_objects(alice_client: Any, books: dict[str, Any], route: str) -> None:
    """The same URLs with alice's own ids are found, so the 404s above prove ownership, not a broken URL."""
    url = _url(route, books["alice"])
    status = alice_client.get(url).status_code
    if status == 405:  # a POST-only action: try it for real
        status = alice_client.post(url, {}).status_code
    assert status != 404, url
    assert status < 500, url


@pytest.mark.parametrize("route", id_routes())
def test_bobs_objects_are_unchanged_after_alices_attempts(
    alice_client: Any, books: dict[str, Any], route: str
) -> None:
    bob = books["bob"]
    before = {name: _snapshot(type(obj).objects.get(pk=obj.pk)) for name, obj in bob.items()}
    alice_client.post(_url(route, bob), {"client": bob["client"].pk, "resolved_on": "2026-01-01"})
    after = {name: _snapshot(type(obj).objects.get(pk=obj.pk)) for name, obj in bob.items()}
    assert after == before


def _snapshot(obj: Any) -> dict[str, Any]:
    return {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname != "updated_at"
    }


# -- the API: the same walk with bearer tokens, every endpoint x every method its schema declares --------------


def _api_methods(route: str) -> list[str]:
    """Return the methods the API's own schema declares for `route` (so a new endpoint joins the walk)."""
    from crm.api.app import api

    schema_path = "/" + re.sub(r"<int:(\w+)>", r"{\1}", route).rstrip("/")
    methods = api.get_openapi_schema()["paths"][schema_path]
    # DELETE last: alice's own record must still be there for the others.
    return sorted((method.upper() for method in methods), key=lambda method: (method == "DELETE", method))


def _api_attempts(token: str, route: str, ids: dict[str, Any]) -> dict[str, int]:
    """Return the status of each method of `route` (ids from `ids`), called with `token`; writes send `{}`."""
    from django.test import Client as HttpClient

    http, url = HttpClient(), _url(route, ids)
    headers = {"Authorization": f"Bearer {token}"}
    statuses = {}
    for method in _api_methods(route):
        kwargs: dict[str, Any] = {"headers": headers}
        if method in {"POST", "PATCH", "PUT"}:
            kwargs.update(data="{}", content_type="application/json")
        statuses[method] = getattr(http, method.lower())(url, **kwargs).status_code
    return statuses


@pytest.fixture
def tokens(books: dict[str, Any]) -> dict[str, str]:
    from clients.models import AccessToken

    return {
        name: AccessToken.issue(book["client"].owner, "api walk", AccessToken.Scope.WRITE)[1]
        for name, book in books.items()
    }


def test_the_api_walk_covers_every_kind() -> None:
    kwargs = {kwarg for route in api_id_routes() for kwarg in _int_kwargs(route)}
    assert kwargs >= {
        "client_id", "contact_id", "project_id", "interaction_id", "promise_id", "invoice_id", "signal_id"
    }  # fmt: skip
    assert {"DELETE", "GET", "PATCH"} <= set(_api_methods("api/promises/<int:promise_id>"))


@pytest.mark.parametrize("route", api_id_routes())
def test_alice_gets_404_from_the_api_for_bobs_objects(
    books: dict[str, Any], tokens: dict[str, str], route: str
) -> None:
    statuses = _api_attempts(tokens["alice"], route, books["bob"])
    assert statuses and set(statuses.values()) == {404}, f"{route}: {statuses}"


@pytest.mark.parametrize("route", api_id_routes())
def test_alice_reaches_her_own_objects_through_the_api(
    books: dict[str, Any], tokens: dict[str, str], route: str
) -> None:
    statuses = _api_attempts(tokens["alice"], route, books["alice"])
    assert 404 not in statuses.values() and max(statuses.values()) < 500, f"{route}: {statuses}"


@pytest.mark.parametrize("route", api_id_routes())
def test_bobs_objects_are_unchanged_after_alices_api_calls(
    books: dict[str, Any], tokens: dict[str, str], route: str
) -> None:
    bob = books["bob"]
    before = {name: _snapshot(type(obj).objects.get(pk=obj.pk)) for name, obj in bob.items()}
    _api_attempts(tokens["alice"], route, bob)
    after = {name: _snapshot(type(obj).objects.get(pk=obj.pk)) for name, obj in bob.items()}
    assert after == before


# -- the client's page: a token, not an id ---------------------------------------------------------------------


def _token_routes(resolver: URLResolver, prefix: str = "") -> Iterator[str]:
    """Yield every route that takes a token and is served by the client's page (crm/portal)."""
    for entry in resolver.url_patterns:
        route = prefix + _route(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _token_routes(entry, route)
        elif "<str:token>" in route and entry.callback.__module__.startswith("crm.portal."):
            yield route


TOKEN_ROUTES = sorted(set(_token_routes(get_resolver())))


def _token_url(route: str, token: str, book: dict[str, Any] | None = None) -> str:
    """Return the URL of `route` opened with `token` (its ids, if any, from `book`)."""
    url = "/" + route.replace("<str:token>", token)
    return INT_IN_ROUTE.sub(lambda match: str(_ids(book)[match.group(1)]), url) if book else url


def _tampered(token: str) -> list[str]:
    """Tokens a guesser would try from a real one: one character changed in the key or in the secret, cut,
    lengthened, in another case, key or secret alone."""

    def change(index: int) -> str:
        return token[:index] + ("B" if token[index] == "A" else "A") + token[index + 1 :]

    return [
        change(0), change(KEY_LENGTH), change(len(token) - 1), token[:-1], token + "A", token.swapcase(),
        token[:KEY_LENGTH], token[KEY_LENGTH:], "0" * len(token),
    ]  # fmt: skip


# The client's own voice (issue 26): POST only, each under the page's link.
VOICE_ROUTES = [
    "p/<str:token>/check-in/",
    "p/<str:token>/check-in/<int:check_in_id>/withdraw/",
    "p/<str:token>/concern/",
    "p/<str:token>/concern/<int:signal_id>/withdraw/",
]


def test_the_walk_covers_the_client_page() -> None:
    assert (
        sorted(
            [
                "p/<str:token>/",
                "p/<str:token>/logo/",
                "p/<str:token>/recap/confirm/",
                "p/<str:token>/recap/line/confirm/",
                "p/<str:token>/recap/line/correct/",
                "p/<str:token>/scope-changes/accept/",
                "p/<str:token>/scope-changes/decline/",
                *VOICE_ROUTES,
            ]
        )
        == TOKEN_ROUTES
    )


def test_each_token_shows_its_own_freelancers_logo_only(client: Any, alice: Any, bob: Any) -> None:
    from clients.models import BusinessLogo

    for owner in (alice, bob):
        BusinessLogo.objects.create(owner=owner, image=owner.username.encode(), content_type="image/png")
    for owner in (alice, bob):
        page = ClientPage.objects.create(client=make_client(owner))
        answer = client.get(_token_url("p/<str:token>/logo/", page.token))
        assert answer.status_code == 200 and answer.content == owner.username.encode()


@pytest.mark.parametrize("route", [route for route in TOKEN_ROUTES if route == "p/<str:token>/"])
def test_each_token_opens_its_own_clients_page_and_nothing_of_another(
    client: Any, alice: Any, bob: Any, route: str
) -> None:
    # Two clients of alice's and bob's: a neighbour in the same book is as foreign as another freelancer's client.
    pages = [
        ClientPage.objects.create(client=make_client(owner, name=f"Client {n} de {owner.username}"))
        for owner in (alice, bob)
        for n in (1, 2)
    ]
    for page in pages:
        # An answer's address (a recap's) read with GET goes back to the page itself.
        html = client.get(_token_url(route, page.token), follow=True).content.decode()
        assert page.client.name in html
        others = [other.client.name for other in pages if other != page]
        assert [name for name in others if name in html] == []


@pytest.mark.parametrize("route", TOKEN_ROUTES)
def test_tampered_and_revoked_tokens_open_nothing(client: Any, books: dict[str, Any], route: str) -> None:
    page = books["bob"]["client_page"]
    before = {name: _snapshot(type(obj).objects.get(pk=obj.pk)) for name, obj in books["bob"].items()}
    data = {"invoice": books["bob"]["invoice"].pk, "new_due_on": "2100-01-01"}
    # What each answer of the page posts, bob's own ids among them (issue 26: a check-in, a concern).
    data |= {"checkin-level": "poor", "concern-kind": "posture", "concern-description": "Non"}
    bob = books["bob"]
    for token in _tampered(page.token):
        assert _attempts(client, _token_url(route, token, bob), data) == dict.fromkeys(
            ("GET", "POST", "GET htmx", "POST htmx"), 404
        ), token
    revoked = page.token
    page.renew()
    # A replaced link opens nothing either: its holder reads that it is gone (410, on the page), never the page.
    gone = 404 if route.endswith("logo/") else 410
    assert set(_attempts(client, _token_url(route, revoked, bob), data).values()) == {gone}
    page.turn_off()
    assert set(_attempts(client, _token_url(route, page.token, bob), data).values()) == {404}
    after = {name: _snapshot(type(obj).objects.get(pk=obj.pk)) for name, obj in books["bob"].items()}
    assert {name: row for name, row in after.items() if name != "client_page"} == {
        name: row for name, row in before.items() if name != "client_page"
    }


@pytest.mark.parametrize("route", [route for route in VOICE_ROUTES if "<int:" in route])
def test_a_page_withdraws_only_what_its_own_client_said(
    client: Any, books: dict[str, Any], route: str
) -> None:
    """Alice's client's link with the id of what bob's client (or alice's other client) said: a 404, nothing
    withdrawn."""
    page = books["alice"]["client_page"]
    neighbour = make_client(books["alice"]["client"].owner, name="Voisin")
    said = []
    for book_client in (books["bob"]["client"], neighbour):
        check_in = CheckIn.objects.create(client=book_client, level=CheckIn.Level.POOR)
        signal = make_conflict(book_client, raised_by=ConflictSignal.RaisedBy.CLIENT)
        said.append({"check_in_id": check_in.pk, "signal_id": signal.pk})
    for ids in said:
        url = "/" + INT_IN_ROUTE.sub(
            lambda match, ids=ids: str(ids[match.group(1)]), route.replace("<str:token>", page.token)
        )
        assert client.post(url).status_code == 404
    assert not CheckIn.objects.filter(withdrawn_at__isnull=False).exists()
    assert not ConflictSignal.objects.filter(withdrawn_at__isnull=False).exists()

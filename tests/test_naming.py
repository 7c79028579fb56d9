"""Names: each face its own URL namespace (`web:`, `api:`, `portal:`), one scheme for URL names and template
partials, and the old URL names kept.

The scheme: a page is named by its noun (`client`, `guide`), a list by the plural (`clients`), an action by noun
then verb (`client_edit`, `promise_keep`, `invoice_mark_paid`), never by a verb first or a state
(`prepare_status_update`, `invoice_paid`). The words are listed below: a new URL adds its words here, which is
the moment to check it reads like its neighbours.

Template partials: a named partial (`{% partialdef %}`) is named in snake_case after what it draws (`timeline`,
`score_panel`, an htmx target's id read with "_" for "-"), never after how it is swapped (`inline`, `oob`); a
template file that is only ever included by another starts with "_" (`portal/_promises.html`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from config.urls import OLD_NAMES as ALIASES
from crm.api.urls import NINJA_NAMES, scheme_name

NOUNS = """
    dashboard guide sample_book client clients contact project interaction interactions promise promises invoice
    invoices conflict conflicts conflict_signal conflict_signals feeling status_update status_update_draft undo
    trash api_token api_tokens mailbox import export zip json vcards progress sample calendar settings feed token
    email_preferences payment_reminder payment_reminders client_page page health contacts projects logo absence
    absences scope_change scope_changes evidence_pack evidence_packs pdf check_in check_ins concern concerns recap recaps line
""".split()  # noqa: SIM905 (a list of words reads best as words)
VERBS = """
    new edit delete keep break explain drop reopen renegotiate resolve restore remove revoke test sync disconnect
    import send approve skip rotate renew turn_off preview mark_sent mark_paid make_primary end pause resume accept decline withdraw
    confirm correct
""".split()  # noqa: SIM905


def _either(words: list[str]) -> str:
    return "(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + ")"


SCHEME = re.compile(rf"^{_either(NOUNS)}(?:_{_either(NOUNS)})*(?:_{_either(VERBS)})?$")
SCHEME_SNAKE = re.compile(r"^[a-z]+(?:_[a-z]+)*$")
FACES = ("web", "api", "portal")


def _names(namespace: str) -> set[str]:
    _prefix, resolver = get_resolver().namespace_dict[namespace]
    return {key for key in resolver.reverse_dict if isinstance(key, str)}


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str | None]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found += _routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((prefix + str(entry.pattern), entry.name))
    return found


def test_the_scheme_refuses_a_verb_first_or_a_state() -> None:
    # Guards the check below against accepting anything.
    assert SCHEME.match("promise_keep") and SCHEME.match("clients") and SCHEME.match("client_promise_new")
    for name in ("prepare_status_update", "invoice_paid", "contact_primary", "off", "status_update_sent"):
        assert not SCHEME.match(name), name


@pytest.mark.parametrize("namespace", ["web", "portal"])
def test_every_url_name_of_a_face_follows_the_scheme(namespace: str) -> None:
    old = set(ALIASES["portal"][1].values()) if namespace == "portal" else set()
    names = _names(namespace) - old
    assert len(names) > (50 if namespace == "web" else 0)
    assert sorted(name for name in names if not SCHEME.match(name)) == []


def test_every_api_route_has_its_name_in_the_scheme() -> None:
    """Ninja names each operation after its function (kept, below); every route is also named in the scheme."""
    _prefix, resolver = get_resolver().namespace_dict["api"]
    routes = [(route, name) for route, name in _routes(resolver) if name not in NINJA_NAMES]
    assert len(routes) > 20
    named = {(route, name) for route, name in routes}
    assert sorted(route for route, _name in routes if (route, scheme_name(route)) not in named) == []
    assert (
        sorted({scheme_name(route) for route, _name in routes if not SCHEME.match(scheme_name(route))}) == []
    )


@pytest.mark.parametrize(
    ("path", "namespace", "name"),
    [
        ("/", "web", "dashboard"),
        ("/clients/7/", "web", "client"),
        ("/clients/7/status-update/", "web", "status_update_draft"),
        ("/calendar/", "web", "calendar_settings"),
        ("/import/", "web", "import"),
        ("/settings/mailbox/", "web", "mailbox"),
        ("/settings/api-tokens/", "web", "api_tokens"),
        ("/clients/7/client-page/", "web", "client_page"),
        ("/p/abc/", "portal", "page"),
        ("/api/clients/7", "api", "client"),
    ],
)
def test_a_path_resolves_to_its_face(path: str, namespace: str, name: str) -> None:
    match = resolve(path)
    assert (match.namespace, match.url_name) == (namespace, name)


OLD_NAMES = [
    ("api:openapi-json", {}, "/api/openapi.json"),
    ("api:openapi-view", {}, "/api/docs"),
    ("api:list_items", {}, "/api/conflict-signals"),
    ("api:create_item", {}, "/api/conflict-signals"),
    ("api:get_item", {"client_id": 7}, "/api/clients/7"),
    ("api:update_item", {"client_id": 7}, "/api/clients/7"),
    ("api:delete_item", {"client_id": 7}, "/api/clients/7"),
    ("api:list_health", {}, "/api/health"),
    ("api:client_health", {"client_id": 7}, "/api/clients/7/health"),
    ("api:api-root", {}, "/api/"),
    ("crm:dashboard", {}, "/"),
    ("crm:sample_book", {}, "/sample/"),
    ("crm:sample_book_remove", {}, "/sample/remove/"),
    ("crm:guide", {}, "/guide/"),
    ("crm:clients", {}, "/clients/"),
    ("crm:client_new", {}, "/clients/new/"),
    ("crm:client", {"client_id": 7}, "/clients/7/"),
    ("crm:client_edit", {"client_id": 7}, "/clients/7/edit/"),
    ("crm:client_delete", {"client_id": 7}, "/clients/7/delete/"),
    ("crm:project_new", {"client_id": 7}, "/clients/7/projects/new/"),
    ("crm:contact_new", {"client_id": 7}, "/clients/7/contacts/new/"),
    ("crm:contact_edit", {"contact_id": 7}, "/contacts/7/edit/"),
    ("crm:contact_delete", {"contact_id": 7}, "/contacts/7/delete/"),
    ("crm:contact_primary", {"contact_id": 7}, "/contacts/7/primary/"),
    ("crm:project_edit", {"project_id": 7}, "/projects/7/edit/"),
    ("crm:project_delete", {"project_id": 7}, "/projects/7/delete/"),
    ("crm:status_update_sent", {"client_id": 7}, "/clients/7/status-update-sent/"),
    ("crm:client_feeling", {"client_id": 7}, "/clients/7/feeling/"),
    ("crm:interaction_new", {}, "/interactions/new/"),
    ("crm:promise_new", {}, "/promises/new/"),
    ("crm:invoice_new", {}, "/invoices/new/"),
    ("crm:conflict_new", {}, "/conflicts/new/"),
    ("crm:client_interaction_new", {"client_id": 7}, "/clients/7/interactions/new/"),
    ("crm:client_promise_new", {"client_id": 7}, "/clients/7/promises/new/"),
    ("crm:client_invoice_new", {"client_id": 7}, "/clients/7/invoices/new/"),
    ("crm:client_conflict_new", {"client_id": 7}, "/clients/7/conflicts/new/"),
    ("crm:interaction", {"interaction_id": 7}, "/interactions/7/"),
    ("crm:interaction_edit", {"interaction_id": 7}, "/interactions/7/edit/"),
    ("crm:interaction_delete", {"interaction_id": 7}, "/interactions/7/delete/"),
    ("crm:promises", {}, "/promises/"),
    ("crm:promise", {"promise_id": 7}, "/promises/7/"),
    ("crm:promise_keep", {"promise_id": 7}, "/promises/7/kept/"),
    ("crm:promise_break", {"promise_id": 7}, "/promises/7/broken/"),
    ("crm:promise_explain", {"promise_id": 7}, "/promises/7/explain/"),
    ("crm:promise_drop", {"promise_id": 7}, "/promises/7/dropped/"),
    ("crm:promise_reopen", {"promise_id": 7}, "/promises/7/reopen/"),
    ("crm:promise_edit", {"promise_id": 7}, "/promises/7/edit/"),
    ("crm:promise_delete", {"promise_id": 7}, "/promises/7/delete/"),
    ("crm:invoices", {}, "/invoices/"),
    ("crm:invoice", {"invoice_id": 7}, "/invoices/7/"),
    ("crm:invoice_paid", {"invoice_id": 7}, "/invoices/7/paid/"),
    ("crm:invoice_renegotiate", {"invoice_id": 7}, "/invoices/7/renegotiate/"),
    ("crm:invoice_reopen", {"invoice_id": 7}, "/invoices/7/reopen/"),
    ("crm:invoice_edit", {"invoice_id": 7}, "/invoices/7/edit/"),
    ("crm:invoice_delete", {"invoice_id": 7}, "/invoices/7/delete/"),
    ("crm:conflicts", {}, "/conflicts/"),
    ("crm:conflict", {"signal_id": 7}, "/conflicts/7/"),
    ("crm:conflict_resolve", {"signal_id": 7}, "/conflicts/7/resolve/"),
    ("crm:conflict_reopen", {"signal_id": 7}, "/conflicts/7/reopen/"),
    ("crm:conflict_edit", {"signal_id": 7}, "/conflicts/7/edit/"),
    ("crm:conflict_delete", {"signal_id": 7}, "/conflicts/7/delete/"),
    ("crm:undo", {"undo_id": 7}, "/undo/7/"),
    ("crm:trash", {}, "/trash/"),
    ("crm:trash_restore", {"trash_id": 7}, "/trash/7/restore/"),
    ("crm:trash_delete", {"trash_id": 7}, "/trash/7/delete/"),
    ("crm:api_tokens", {}, "/settings/api-tokens/"),
    ("crm:api_token_revoke", {"token_id": 7}, "/settings/api-tokens/7/revoke/"),
    ("crm:mailbox", {}, "/settings/mailbox/"),
    ("crm:mailbox_test", {}, "/settings/mailbox/test/"),
    ("crm:mailbox_sync", {}, "/settings/mailbox/sync/"),
    ("crm:mailbox_disconnect", {}, "/settings/mailbox/disconnect/"),
    ("crm:mailbox_import", {}, "/settings/mailbox/import/"),
    ("crm:status_update_send", {"client_id": 7}, "/clients/7/status-update/send/"),
    ("crm:import", {}, "/import/"),
    ("crm:import_preview", {"import_id": 7}, "/import/7/"),
    ("crm:import_progress", {"import_id": 7}, "/import/7/progress/"),
    ("crm:import_sample", {"kind": "x"}, "/import/samples/x/"),
    ("crm:export", {}, "/export/"),
    ("crm:export_zip", {}, "/export/book.zip"),
    ("crm:export_json", {}, "/export/book.json"),
    ("crm:export_vcards", {}, "/export/contacts.vcf"),
    ("reminders:prepare_status_update", {"client_id": 7}, "/clients/7/status-update/"),
    ("reminders:mark_status_update_sent", {"client_id": 7}, "/clients/7/status-update/sent/"),
    ("reminders:payment_reminders", {}, "/payment-reminders/"),
    ("reminders:approve_payment_reminder", {"reminder_id": 7}, "/payment-reminders/7/send/"),
    ("reminders:skip_payment_reminder", {"reminder_id": 7}, "/payment-reminders/7/skip/"),
    ("reminders:calendar_settings", {}, "/calendar/"),
    ("reminders:rotate_calendar_token", {}, "/calendar/rotate/"),
    ("reminders:calendar_feed", {"token": "x"}, "/calendar/x.ics"),
    ("reminders:email_preferences", {"token": "x"}, "/email/preferences/x/"),
    ("portal:page", {"token": "x"}, "/p/x/"),
    ("portal:panel", {"client_id": 7}, "/clients/7/client-page/"),
    ("portal:renew", {"client_id": 7}, "/clients/7/client-page/renew/"),
    ("portal:off", {"client_id": 7}, "/clients/7/client-page/off/"),
    ("portal:preview", {"client_id": 7}, "/clients/7/client-page/preview/"),
    ("api:get_item", {"contact_id": 7}, "/api/contacts/7"),
    ("api:get_item", {"project_id": 7}, "/api/projects/7"),
    ("api:get_item", {"interaction_id": 7}, "/api/interactions/7"),
    ("api:get_item", {"promise_id": 7}, "/api/promises/7"),
    ("api:get_item", {"invoice_id": 7}, "/api/invoices/7"),
    ("api:get_item", {"signal_id": 7}, "/api/conflict-signals/7"),
    ("api:update_item", {"contact_id": 7}, "/api/contacts/7"),
    ("api:update_item", {"project_id": 7}, "/api/projects/7"),
    ("api:update_item", {"interaction_id": 7}, "/api/interactions/7"),
    ("api:update_item", {"promise_id": 7}, "/api/promises/7"),
    ("api:update_item", {"invoice_id": 7}, "/api/invoices/7"),
    ("api:update_item", {"signal_id": 7}, "/api/conflict-signals/7"),
    ("api:delete_item", {"contact_id": 7}, "/api/contacts/7"),
    ("api:delete_item", {"project_id": 7}, "/api/projects/7"),
    ("api:delete_item", {"interaction_id": 7}, "/api/interactions/7"),
    ("api:delete_item", {"promise_id": 7}, "/api/promises/7"),
    ("api:delete_item", {"invoice_id": 7}, "/api/invoices/7"),
    ("api:delete_item", {"signal_id": 7}, "/api/conflict-signals/7"),
]


@pytest.mark.parametrize(("name", "kwargs", "path"), OLD_NAMES)
def test_every_old_name_still_reverses_to_the_same_path(name: str, kwargs: dict[str, Any], path: str) -> None:
    """The names before the faces (issue 21), frozen here: other code and bookmarks of names keep working."""
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).func == resolve(reverse(name, kwargs=kwargs)).func


def test_every_alias_names_a_pattern_of_the_web_face() -> None:
    # The old namespaces hold nothing the faces do not, and every rename names a pattern that exists.
    web = _names("web")
    for patterns, renamed in ALIASES.values():
        names = {pattern.name for pattern in patterns}
        assert names <= web
        assert set(renamed) <= names


ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
PARTIAL = re.compile(r"{%\s*partialdef\s+([^\s%]+)")
INCLUDED = re.compile(r"""{%\s*include\s+["']([^"'#]+)""")
HOW_NOT_WHAT = {"inline", "oob", "partial", "fragment", "snippet"}


def _templates() -> list[Path]:
    return sorted(path for path in TEMPLATES.rglob("*") if path.is_file())


def test_every_partial_is_named_in_snake_case_for_what_it_draws() -> None:
    names = {
        (path.relative_to(TEMPLATES).as_posix(), name)
        for path in _templates()
        for name in PARTIAL.findall(path.read_text())
    }
    assert len(names) > 20
    assert (
        sorted(
            f"{where}#{name}" for where, name in names if not SCHEME_SNAKE.match(name) or name in HOW_NOT_WHAT
        )
        == []
    )


def test_a_template_only_ever_included_starts_with_an_underscore() -> None:
    included = {name for path in _templates() for name in INCLUDED.findall(path.read_text())}
    python = "\n".join(
        path.read_text()
        for package in ("crm", "clients", "config", "bench")
        for path in (ROOT / package).rglob("*.py")
    )
    # An email triple's parts are drawn by name (crm/reminders/emails.py) even when another email includes one.
    triples = re.compile(r"^emails/[\w-]+-(?:subject\.txt|body\.txt|body\.html)$")
    only_included = {
        name
        for name in included
        if f'"{name}' not in python and f"'{name}" not in python and not triples.match(name)
    }
    assert len(included) >= 5
    assert sorted(name for name in only_included if not name.rpartition("/")[2].startswith("_")) == []
    # And the other way round: a file named as a piece is never drawn alone by a view.
    pieces = {path.relative_to(TEMPLATES).as_posix() for path in _templates() if path.name.startswith("_")}
    assert sorted(name for name in pieces if f'"{name}' in python) == []

"""The API's URLs (`/api/…`, the `api:` namespace, included by config/urls.py) and its Settings page
(`web:api_tokens`, a page of the freelancer's app: config/urls.py adds it to the `web:` namespace)."""

from __future__ import annotations

import re

from django.urls import URLPattern, path, re_path

from crm.api import views
from crm.api.app import api
from crm.api.problems import method_problems, not_found_view

# Ninja names its own pages (`openapi-json`, `openapi-view`, `api-root`) and each operation after its function
# (`list_items`, `get_item`...: one name for every kind). Those names stay; each route also gets its name in the
# project's scheme (`clients`, `client`, `client_health`).
NINJA_NAMES = frozenset({"openapi-json", "openapi-view", "api-root"})


def scheme_name(route: str) -> str:
    """Return a route's name in the scheme: a collection by its plural, one item by its singular, then what of it.

    `clients` -> `clients`, `clients/<int:client_id>` -> `client`, `clients/<int:client_id>/health` ->
    `client_health`, `conflict-signals` -> `conflict_signals`.
    """
    words = []
    for segment, converter in re.findall(r"([^/<>]+)(?:/(<[^>]+>))?", route.strip("/")):
        word = segment.strip("/").replace("-", "_")
        words.append(word.removesuffix("s") if converter else word)
    return "_".join(words)


def _with_scheme_names(patterns: list[URLPattern]) -> list[URLPattern]:
    named: dict[tuple[str, str], URLPattern] = {}
    for pattern in patterns:
        route = str(pattern.pattern)
        if pattern.name not in NINJA_NAMES:
            name = scheme_name(route)
            # Several operations share a route (GET and POST of a collection): one name for the route.
            named.setdefault((route, name), path(route, pattern.callback, pattern.default_args, name=name))
    return [*named.values(), *patterns]


# A method an endpoint does not take is a problem+json 405 too.
_api_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    path("", (method_problems(_with_scheme_names(_api_patterns)), _app_name, _namespace)),
    # Anything else under /api/ (an unknown path, an id that is not a number) is a problem+json 404 too.
    re_path(r"^(?P<rest>(?s:.*))$", not_found_view),
]

settings_urlpatterns = [
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path("settings/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

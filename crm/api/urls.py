"""The API's URLs (`/api/…`, included by config/urls.py) and its Settings page (`crm:api_tokens`, included by
crm/web/urls.py, whose namespace it shares)."""

from __future__ import annotations

from django.urls import path, re_path

from crm.api import views
from crm.api.app import api
from crm.api.problems import method_problems, not_found_view

# A method an endpoint does not take is a problem+json 405 too.
_api_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    path("", (method_problems(_api_patterns), _app_name, _namespace)),
    # Anything else under /api/ (an unknown path, an id that is not a number) is a problem+json 404 too.
    re_path(r"^(?P<rest>(?s:.*))$", not_found_view),
]

settings_urlpatterns = [
    path("settings/api-tokens/", views.api_tokens, name="api_tokens"),
    path("settings/api-tokens/<int:token_id>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]

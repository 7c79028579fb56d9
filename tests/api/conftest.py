"""The API's callers: alice's and bob's tokens, and a client that sends JSON with a bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from clients.models import AccessToken


class ApiCaller:
    """Django's test client speaking JSON to /api/ with one bearer token (no session, no cookie)."""

    def __init__(self, raw_token: str | None) -> None:
        self.http = HttpClient()
        self.headers = {"Authorization": f"Bearer {raw_token}"} if raw_token else {}

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        kwargs: dict[str, Any] = {"headers": self.headers}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        elif params:
            kwargs["data"] = params
        return getattr(self.http, method.lower())(f"/api{path}", **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, **params)

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)

    def patch(self, path: str, body: Any) -> Any:
        return self.call("PATCH", path, body)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)


@pytest.fixture
def alice_api(alice: Any) -> ApiCaller:
    _token, raw = AccessToken.issue(alice, "tests", AccessToken.Scope.WRITE)
    return ApiCaller(raw)


@pytest.fixture
def alice_reader(alice: Any) -> ApiCaller:
    _token, raw = AccessToken.issue(alice, "read only", AccessToken.Scope.READ)
    return ApiCaller(raw)


@pytest.fixture
def bob_api(bob: Any) -> ApiCaller:
    _token, raw = AccessToken.issue(bob, "tests", AccessToken.Scope.WRITE)
    return ApiCaller(raw)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report what the schemathesis fuzz (tests/api/test_api_fuzz.py) sent, when it ran."""
    import sys

    from django.conf import settings

    fuzz = sys.modules.get("tests.api.test_api_fuzz")
    if fuzz is None or not fuzz.REQUESTS:
        return
    total = sum(fuzz.REQUESTS.values())
    errors = sum(count for status, count in fuzz.STATUSES.items() if status >= 500)
    statuses = ", ".join(f"{status}: {count}" for status, count in sorted(fuzz.STATUSES.items()))
    database = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    terminalreporter.write_line(
        f"api fuzz ({database}): {total} requests over {len(fuzz.REQUESTS)} operations, "
        f"{errors} answered 500 ({statuses})"
    )

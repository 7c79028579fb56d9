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

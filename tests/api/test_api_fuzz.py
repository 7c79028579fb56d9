"""Fuzz the running API from its own OpenAPI schema with schemathesis, through the WSGI app (every middleware,
the real database): whatever is sent, no answer is a 500, and every answer matches the schema (its status, its
media type, its headers, its body), refused input included.

Examples per operation come from FUZZ_PROFILE like tests/test_fuzz.py (`dev`: 10 each; `ci`: 30 each).
Half the calls name alice's real records (ids in the path and the body), so the fuzz reaches the models'
validation and the writes, not only the 404s of random ids. The number of requests is printed at the end.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from clients.models import AccessToken
from config.wsgi import application
from tests.factories import (
    make_client,
    make_conflict,
    make_contact,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
)

# CI runs it on SQLite and on PostgreSQL: 30 examples per operation is about 3,000 requests each (10: 2,300).
EXAMPLES = {"dev": 10, "ci": 30}[os.environ.get("FUZZ_PROFILE", "dev")]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# What the run sent and how it was answered (tests/api/conftest.py prints it at the end of the session).
REQUESTS: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()
_turns = itertools.count()


@pytest.fixture(autouse=True)
def _connection_kept_between_requests() -> Iterator[None]:
    """Keep the test's database connection across the WSGI requests, as Django's test client does: a request's
    end would otherwise close it (it is inside the test's transaction, not in autocommit), on PostgreSQL."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db: None) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def alices_book(alice: Any, settings: Any) -> dict[str, Any]:
    settings.RATE_LIMIT_API = "100000/m"
    client = make_client(alice)
    project = make_project(client)
    return {
        "token": AccessToken.issue(alice, "fuzz", AccessToken.Scope.WRITE)[1],
        "ids": {
            "client_id": client.pk,
            "contact_id": make_contact(client).pk,
            "project_id": project.pk,
            "interaction_id": make_interaction(client, project=project).pk,
            "promise_id": make_promise(client).pk,
            "invoice_id": make_invoice(client).pk,
            "signal_id": make_conflict(client).pk,
        },
    }


def _name_real_records(case: Any, ids: dict[str, int]) -> None:
    for name in list(case.path_parameters or {}):
        if name in ids:
            case.path_parameters[name] = ids[name]
    if isinstance(case.body, dict):
        for name in ("client_id", "project_id"):
            if name in case.body:
                case.body[name] = ids[name]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_answers_every_request_as_its_schema_says(case: Any, alices_book: dict[str, Any]) -> None:
    # Only a valid case is pointed at real records: a case made invalid on purpose must stay invalid.
    if case.meta.generation.mode == GenerationMode.POSITIVE and next(_turns) % 2 == 0:
        _name_real_records(case, alices_book["ids"])
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {alices_book['token']}"}, checks=CHECKS
    )
    REQUESTS[f"{case.method} {case.path}"] += 1
    STATUSES[response.status_code] += 1

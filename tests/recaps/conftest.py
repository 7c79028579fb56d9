"""A call with Zoé, a French client with a page, for the recap tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from crm.models import ClientPage, Interaction
from tests.factories import make_client, make_interaction, make_project

# A Tuesday morning in Paris.
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def call(alice: Any) -> Interaction:
    zoe = make_client(alice, name="Zoé Bernard", email="zoe@atelier.example", language="fr")
    ClientPage.objects.create(client=zoe)
    project = make_project(zoe, title="Boutique")
    return make_interaction(
        zoe,
        project=project,
        kind="call",
        summary="Point de lancement",
        happened_at=datetime(2026, 3, 9, 14, 0, tzinfo=UTC),
    )

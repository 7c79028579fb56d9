from __future__ import annotations

from typing import Any

from tests.factories import make_client


def test_dashboard_lists_only_the_owners_clients(alice_client: Any, alice: Any, bob: Any) -> None:
    make_client(alice, name="Atelier Dupont")
    make_client(bob, name="Secret de Bob")
    page = alice_client.get("/").content.decode()
    assert "Atelier Dupont" in page
    assert "Secret de Bob" not in page

"""A recap the client has not answered RECAP_CLARIFY_AFTER_DAYS after it was written shows on the dashboard as
something to clarify; answered, or younger, it does not."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine
from django.urls import reverse

from crm.models import Interaction
from crm.models.recaps import RECAP_CLARIFY_AFTER_DAYS
from crm.recaps.writing import Line, confirm_recap, write

from .conftest import NOW


def _dashboard(http: Any) -> str:
    return http.get(reverse("web:dashboard")).content.decode()


def test_an_unanswered_recap_is_to_clarify_after_a_week(alice_client: Any, call: Interaction) -> None:
    recap = write(call, "Go", "", [Line("client", "Textes", date(2026, 3, 20))])
    with time_machine.travel(NOW + timedelta(days=RECAP_CLARIFY_AFTER_DAYS - 1), tick=False):
        assert "Recaps to clarify" not in _dashboard(alice_client)
    with time_machine.travel(NOW + timedelta(days=RECAP_CLARIFY_AFTER_DAYS, minutes=1), tick=False):
        html = _dashboard(alice_client)
        assert "Recaps to clarify" in html
        assert "Zoé Bernard: recap of the call of March 9, 2026" in html
        assert reverse("web:interaction_recap", kwargs={"interaction_id": call.pk}) in html
        confirm_recap(recap, NOW + timedelta(days=RECAP_CLARIFY_AFTER_DAYS))
        assert "Recaps to clarify" not in _dashboard(alice_client)


def test_bobs_dashboard_never_lists_alices_recaps(client: Any, bob: Any, call: Interaction) -> None:
    write(call, "Go", "", [])
    client.force_login(bob)
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        assert "Recaps to clarify" not in _dashboard(client)

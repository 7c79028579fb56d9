"""One way to write a day per language (issue 24, item 6): an English page never writes a day before its month
("Sunday 6 December 2026" beside "Dec. 13, 2026"), a French page always does."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from tests.factories import make_client, make_invoice, make_promise

pytestmark = pytest.mark.django_db

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DAY_FIRST = re.compile(rf"\b\d{{1,2}} ({MONTHS})\b")
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # a Sunday


def _text(response: Any) -> str:
    return re.sub(r"<[^>]+>", " ", response.content.decode())


@time_machine.travel(NOW, tick=False)
def test_english_pages_write_the_month_first(alice_client: Any, alice: Any) -> None:
    client = make_client(alice, name="Atelier Brun")
    today = NOW.date()
    make_promise(client, made_on=today - timedelta(days=10), due_on=today + timedelta(days=7))
    make_invoice(client, issued_on=today - timedelta(days=30), due_on=today - timedelta(days=3))
    pages = [
        reverse("web:dashboard"),
        reverse("web:client", kwargs={"client_id": client.pk}),
        reverse("web:promises"),
        reverse("web:invoices"),
    ]

    texts = {url: _text(alice_client.get(url)) for url in pages}

    assert "Sunday, December 6, 2026" in texts[reverse("web:dashboard")]
    assert {url: DAY_FIRST.findall(text) for url, text in texts.items() if DAY_FIRST.search(text)} == {}


@time_machine.travel(NOW, tick=False)
def test_french_pages_write_the_day_first(client: Any, bob: Any) -> None:
    client.force_login(bob)
    page = _text(client.get(reverse("web:dashboard")))
    assert "dimanche 6 décembre 2026" in page

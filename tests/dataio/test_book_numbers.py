"""A JSON book import range-checks every number it parses: a 5,000-digit integer, a number past 64 bits, an
infinite amount or NaN is refused with the client and the field it is in, and nothing is written (issue 25:
the 5,000-digit integer was a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import Client
from crm.dataio.book import read_document
from crm.dataio.imports import receive, run

HUGE = "1" + "0" * 5000


def _document(*clients: str) -> str:
    return '{"format": "confiance-book", "version": 1, "clients": [' + ", ".join(clients) + "]}"


GOOD = '{"name": "First, fine"}'


@pytest.mark.parametrize(
    ("client", "field"),
    [
        ('{"name": "X", "cadence_days": ' + HUGE + "}", "cadence_days"),
        ('{"name": "X", "cadence_days": 99999999999999999999}', "cadence_days"),
        ('{"name": "X", "conflict_signals": [{"kind": "ideas", "severity": ' + HUGE + "}]}", "severity"),
        ('{"name": "X", "invoices": [{"number": "1", "amount": 1e999}]}', "amount"),
        ('{"name": "X", "invoices": [{"number": "1", "amount": NaN}]}', "amount"),
        ('{"name": "X", "invoices": [{"number": "1", "amount": -Infinity}]}', "amount"),
        ('{"name": "X", "interactions": [{"summary": "s", "project": ' + HUGE + "}]}", None),
    ],
    ids=["huge", "past-64-bits", "severity", "infinite", "nan", "minus-infinity", "reference"],
)
def test_a_number_out_of_range_is_refused_by_its_record_and_nothing_is_written(
    alice: Any, client: str, field: str | None
) -> None:
    done = run(receive(alice, "book", "a.json", _document(GOOD, client).encode()))
    assert done.state == "failed"
    assert done.error.startswith("Client 2 of the file: ")
    if field:
        assert f"“{field}”" in done.error
    assert len(done.error) < 400  # never the 5,000 digits
    assert not Client.objects.filter(owner=alice).exists()


def test_every_parsed_number_is_range_checked() -> None:
    document = read_document(
        _document('{"name": "X", "a": ' + HUGE + ', "b": 9223372036854775807, "c": 1.5}')
    )
    values = document["clients"][0]
    assert str(values["a"]) == "100000000000… (5001 digits)"
    assert values["b"] == 2**63 - 1 and values["c"] == 1.5
    out = read_document(_document('{"name": "X", "b": 9223372036854775808}'))["clients"][0]["b"]
    assert not isinstance(out, int)


def test_the_upload_of_a_huge_integer_shows_a_clear_message(alice_client: Any, alice: Any) -> None:
    text = _document('{"name": "X", "cadence_days": ' + HUGE + "}")
    response = alice_client.post(
        reverse("web:import"), {"kind": "book", "file": SimpleUploadedFile("b.json", text.encode())}
    )
    assert response.status_code == 302
    page = alice_client.post(response["Location"], {"action": "import"}, follow=True).content.decode()
    assert "Client 1 of the file" in page and "out of range" in page
    assert not Client.objects.exists()

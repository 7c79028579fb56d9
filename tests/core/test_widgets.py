"""The inputs every form uses (crm/core/widgets.py): ISO dates in every language, amounts as people type them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from clients.models import Client
from crm.core.widgets import (
    IsoDateInput,
    IsoDateTimeInput,
    LocalizedDecimalField,
    book_formfield,
    parse_localized_number,
)
from crm.models import Invoice


def test_dates_are_drawn_in_iso_in_french_too() -> None:
    with translation.override("fr"):
        assert IsoDateInput().format_value(date(2026, 9, 5)) == "2026-09-05"
        assert IsoDateTimeInput().format_value(datetime(2026, 9, 5, 14, 30)) == "2026-09-05T14:30"
    assert IsoDateInput().attrs == {"min": "1970-01-01", "max": "2100-12-31"}


@pytest.mark.parametrize(
    ("language", "typed", "read"),
    [
        ("fr", "1 234,56", "1234.56"),
        ("fr", "1.234,56", "1234.56"),
        ("fr", "12.5", "12.5"),
        ("en", "1,234.56", "1234.56"),
        ("en", "1,5", "1,5"),  # ambiguous in English: left for the field to refuse
    ],
)
def test_amounts_are_read_as_typed(language: str, typed: str, read: str) -> None:
    with translation.override(language):
        assert parse_localized_number(typed) == read


def test_an_ambiguous_amount_is_refused() -> None:
    with translation.override("en"), pytest.raises(forms.ValidationError):
        LocalizedDecimalField().clean("1,5")
    with translation.override("fr"):
        assert LocalizedDecimalField().clean("1 234,56") == Decimal("1234.56")


def test_book_formfield_gives_every_model_field_the_books_inputs() -> None:
    due = book_formfield(Invoice._meta.get_field("due_on"))
    assert isinstance(due.widget, IsoDateInput)
    with pytest.raises(forms.ValidationError):
        due.clean("2101-01-01")  # the window, before any rule of the form
    assert isinstance(book_formfield(Invoice._meta.get_field("amount")), LocalizedDecimalField)
    assert isinstance(book_formfield(Client._meta.get_field("created_at")).widget, IsoDateTimeInput)

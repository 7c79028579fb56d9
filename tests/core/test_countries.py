"""A country of the book is checked by its code (crm/core/countries.py): the form and the model refuse the same
codes with the same words, in French and English, and accept every code of django_countries' list."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django_countries import countries

from clients.forms import ClientForm
from clients.models import Client
from tests.factories import make_client


def _posted(client: Client, **changes: str) -> dict[str, Any]:
    data = {}
    for bound in ClientForm(instance=client):
        value = bound.value()
        if value is not None and value is not False:
            data[bound.html_name] = "on" if value is True else value
    return data | changes


@pytest.mark.parametrize("code", ["FR", "DE", "MH", "US"])
def test_a_country_of_the_list_is_accepted_by_the_form_and_the_model(alice: Any, code: str) -> None:
    client = make_client(alice)
    form = ClientForm(_posted(client, country=code), instance=client)
    assert form.is_valid(), form.errors
    assert form.instance.country.code == code
    form.instance.full_clean()


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Select a valid choice. ZZ is not one of the available choices."),
        ("fr", "Sélectionnez un choix valide. ZZ n’en fait pas partie."),
    ],
)
def test_a_code_not_in_the_list_is_refused_alike_by_the_form_and_the_model(
    alice: Any, language: str, words: str
) -> None:
    client = make_client(alice)
    with translation.override(language):
        form = ClientForm(_posted(client, country="ZZ"), instance=client)
        assert not form.is_valid()
        assert any(words in error for error in form.errors["country"])
        client.country = "ZZ"
        with pytest.raises(ValidationError) as refused:
            client.full_clean()
    assert "country" in refused.value.message_dict


def test_every_code_of_the_list_is_a_valid_choice() -> None:
    field = Client._meta.get_field("country")
    for code, _name in countries:
        field.validate(code, None)

"""French typography in every French message (issue 24, item 6): a no-break space before « : ; ! ? » and inside
« », the typographic apostrophe, and the names as the French write them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.utils import translation
from django_countries import countries

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _french() -> list[tuple[str, str]]:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    found = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        found += [(ids[0], text) for text in strings if text]
    return found


RULES = [
    (re.compile(r" [:;!?]"), "a plain space before : ; ! or ? (a no-break space keeps it on the line)"),
    (re.compile(r"[^\s\u00a0\u202f][;!?](?=\s|$)"), "no space before ; ! or ?"),
    (re.compile(r"« |«(?=[^\s\u00a0\u202f])"), "« without a no-break space after it"),
    (re.compile(r" »|(?<=[^\s\u00a0\u202f])»"), "» without a no-break space before it"),
    (re.compile(r"(?<=[A-Za-zÀ-ÿ])'(?=[A-Za-zÀ-ÿ])"), "a straight apostrophe (the catalogue uses ’)"),
]


@pytest.mark.parametrize(("rule", "why"), RULES, ids=[why for _rule, why in RULES])
def test_every_french_message_follows_french_typography(rule: re.Pattern[str], why: str) -> None:
    offenders = [(msgid, text) for msgid, text in _french() if rule.search(text)]
    assert offenders == [], why


def test_the_catalogue_was_read() -> None:
    # Guards the rules above against passing on an empty catalogue.
    assert len(_french()) > 1000


def test_country_names_as_the_french_write_them() -> None:
    with translation.override("fr"):
        names = dict(countries)
    assert names["MH"] == "Îles Marshall"
    assert names["FR"] == "France"

"""The guide states the band rule the score, the workspace header and the timeline's health moves all use: its
numbers are read from the code (the settings' thresholds, `crm.trust.formula`), never written twice.

Seen on the screen before: the guide said "fewer than three recent events" is "not enough history" while one
conflict signal showed "at risk" (the rule judges something gone wrong at once, however short the history).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from crm.trust import formula
from crm.trust.health import thresholds


def _bands_section(http: Any, language: str) -> str:
    with translation.override(language):
        html = http.get(reverse("web:guide"), headers={"Accept-Language": language}).content.decode()
    start = html.index('id="bands"')
    text = re.sub(r"<[^>]+>", " ", html[start : html.index('id="sides"', start)])
    return re.sub(r"\s+", " ", text)


WORDS = {
    "en": [
        "Healthy ({healthy} or more)",
        "Watch ({watch} to {top})",
        "At risk (below {watch})",
        "fewer than {min} recent events, and nothing gone wrong yet",
        'a score below {watch} is "at risk" from the first event',
    ],
    "fr": [
        "Saine ({healthy} ou plus)",
        "À surveiller (de {watch} à {top})",
        "En danger (moins de {watch})",
        "moins de {min} événements récents, et rien d'anormal encore",
        "un score sous {watch} est « en danger » dès le premier événement",
    ],
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("healthy,watch", [(None, None), (80, 50)])
def test_the_guide_states_the_thresholds_of_the_code(
    alice_client: Any, alice: Any, language: str, healthy: int | None, watch: int | None
) -> None:
    alice.profile.language = language
    alice.profile.save()
    overrides = {"TRUST_BAND_HEALTHY": healthy, "TRUST_BAND_WATCH": watch} if healthy else {}
    with override_settings(**overrides):
        bands = thresholds()
        assert (bands.healthy, bands.watch) == (settings.TRUST_BAND_HEALTHY, settings.TRUST_BAND_WATCH)
        said = _bands_section(alice_client, language)
    numbers = {
        "healthy": bands.healthy,
        "watch": bands.watch,
        "top": bands.healthy - 1,
        "min": formula.MIN_EVIDENCE,
    }
    for words in WORDS[language]:
        assert words.format(**numbers) in said, said


def test_the_guides_words_are_the_rule_of_the_code() -> None:
    """What the guide says of each band holds for `formula.band_for`, the one rule behind the header, the
    timeline's moves and the dashboard."""
    bands = thresholds()
    few = formula.MIN_EVIDENCE - 1  # fewer recent events than "enough history"
    assert formula.band_for(bands.healthy, formula.MIN_EVIDENCE, bands) == "healthy"
    assert formula.band_for(bands.healthy - 1, formula.MIN_EVIDENCE, bands) == "watch"
    assert formula.band_for(bands.watch, formula.MIN_EVIDENCE, bands) == "watch"
    assert formula.band_for(bands.watch - 1, formula.MIN_EVIDENCE, bands) == "at_risk"
    # Fewer events and nothing gone wrong: not enough history, whatever the score above "at risk".
    assert formula.band_for(bands.healthy, few, bands, bad_mass=0.0) == "insufficient"
    # Something gone wrong is judged at once: a score below the watch line is at risk from the first event.
    assert formula.band_for(bands.watch - 1, 1, bands, bad_mass=0.0) == "at_risk"
    assert formula.band_for(bands.watch, 1, bands, bad_mass=formula.BAD_EVIDENCE) == "watch"

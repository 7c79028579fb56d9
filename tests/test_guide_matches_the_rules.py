"""The guide's words (`/guide/`, in English and French) and docs/trust-model.md say the thresholds the code uses.

Every number is read from the code (the settings' band limits, `crm.trust.formula`'s constants), never written
here: change a threshold and this test names the sentence that now lies. The guide does not state the grace
periods; docs/trust-model.md (the reader's version of the formula, linked from the guide's "Why this?") does, so
they are checked there.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from crm.trust import formula

NUMBER_WORDS = {
    "en": {2: "two", 3: "three", 4: "four", 5: "five"},
    "fr": {2: "deux", 3: "trois", 4: "quatre", 5: "cinq"},
}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "trust-model.md"


def _guide_text(browser: Any, alice: Any, language: str) -> str:
    # The pages speak the freelancer's language (their profile's).
    alice.profile.language = language
    alice.profile.save(update_fields=["language"])
    html = browser.get(reverse("crm:guide")).content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(
    ("language", "sentences"),
    [
        (
            "en",
            [
                "Healthy ({healthy} or more)",
                "Watch ({watch} to {healthy_minus_one})",
                "At risk (below {watch})",
                "Not enough history: fewer than {min_evidence} recent events",
                "answers within {reply} days",
            ],
        ),
        (
            "fr",
            [
                "Saine ({healthy} ou plus)",
                "À surveiller (de {watch} à {healthy_minus_one})",
                "En danger (moins de {watch})",
                "Historique insuffisant : moins de {min_evidence} événements récents",
                "des réponses sous {reply} jours",
            ],
        ),
    ],
)
def test_the_guide_states_the_thresholds_the_code_uses(
    alice_client: Any, alice: Any, language: str, sentences: list[str]
) -> None:
    words = NUMBER_WORDS[language]
    numbers = {
        "healthy": django_settings.TRUST_BAND_HEALTHY,
        "watch": django_settings.TRUST_BAND_WATCH,
        "healthy_minus_one": django_settings.TRUST_BAND_HEALTHY - 1,
        "min_evidence": words[formula.BandThresholds().min_evidence],
        "reply": words[int(formula.REPLY_WITHIN_DAYS)],
    }
    text = _guide_text(alice_client, alice, language)
    for sentence in sentences:
        said = sentence.format(**numbers)
        assert said in text, f"the {language} guide does not say {said!r}"


def test_the_trust_model_page_states_the_grace_periods_the_code_uses() -> None:
    text = re.sub(r"\s+", " ", DOCS.read_text(encoding="utf-8"))
    sentences = [
        f"a promise kept within **{formula.PROMISE_GRACE_DAYS} days** of its due date counts as on time",
        f"an open promise counts as overdue from day {formula.PROMISE_GRACE_DAYS + 1}",
        f"An invoice paid within **{formula.INVOICE_GRACE_DAYS} days** counts as on time",
        f"A status update counts as late from **{formula.CADENCE_GRACE_DAYS} days** past the cadence",
        f"fewer than **{formula.MIN_EVIDENCE} recent events**",
        f"(the unfaded bad mass N is below **{formula.BAD_EVIDENCE}**)",
        f'An open promise more than **{formula.SETTLE_AFTER_DAYS} days** past due becomes "to settle"',
        f"`TRUST_BAND_HEALTHY` (default **{django_settings.TRUST_BAND_HEALTHY}**)",
        f"`TRUST_BAND_WATCH` (default **{django_settings.TRUST_BAND_WATCH}**)",
    ]
    for said in sentences:
        assert said in text, f"docs/trust-model.md does not say {said!r}"

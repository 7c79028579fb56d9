"""docs/trust-model.md says the thresholds and grace periods the code uses.

Every number is read from the code (the settings' band limits, `crm.trust.formula`'s constants), never written
here: change a threshold and this test names the sentence that now lies. The guide's own words (`/guide/`, both
languages) are drawn from the same constants and checked by tests/web/test_guide_rule.py.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings as django_settings

from crm.core import rules
from crm.models.recaps import RECAP_CLARIFY_AFTER_DAYS
from crm.trust import formula

DOCS = Path(__file__).resolve().parent.parent / "docs" / "trust-model.md"


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
        # Smooth time (issue 22): the ramps the code uses.
        f"then to its full mass as broken **{formula.PROMISE_RAMP_DAYS:g} days** later",
        f"comes in over **{formula.CADENCE_RAMP_DAYS:g} days** after the grace",
        f"over its last **{formula.FEELING_FADE_DAYS:g}** (gone at {rules.FEELING_DAYS})",
        f"broken, **explained late** {formula.PROMISE_BROKEN_EXPLAINED_LATE:g}".replace("-", "−"),
        f"**Answered within {formula.CLIENT_REPLY_WITHIN_DAYS:g} days**: +{formula.CLIENT_REPLY_QUICK:g}",
        f"−{formula.CLIENT_REPLY_SLOW_PER_DAY:g} per day beyond the {formula.CLIENT_REPLY_WITHIN_DAYS:g}, down to "
        f"−{formula.CLIENT_REPLY_SLOW_MAX:g}",
        f"`TRUST_BAND_HEALTHY` (default **{django_settings.TRUST_BAND_HEALTHY}**)",
        f"`TRUST_BAND_WATCH` (default **{django_settings.TRUST_BAND_WATCH}**)",
        # Issue 22: the client's word about a debt, and the currency amounts are weighed in.
        f"at the client's promises' weight (**{formula.PAYMENT_WORD_WEIGHT}**)",
        f"kept on time **+{formula.PROMISE_KEPT_ON_TIME * formula.PAYMENT_WORD_WEIGHT:g}**",
        f"**−{-formula.PROMISE_BROKEN_SILENTLY * formula.PAYMENT_WORD_WEIGHT:g}**",
        f"converted to **{formula.COMMON_CURRENCY}**",
        # Issue 26: scope drift, the conflict of ideas from unpriced changes.
        f"When **{formula.SCOPE_DRIFT_CHANGES} changes** or more",
        f"within **{formula.SCOPE_DRIFT_WINDOW_DAYS} days** (`SCOPE_DRIFT_WINDOW_DAYS`)",
        f"over its last **{formula.SCOPE_DRIFT_FADE_DAYS:g} days** (`SCOPE_DRIFT_FADE_DAYS`",
        # Issue 26: the client's own voice.
        f"going well **+{formula.CHECK_IN_MASSES['good']:g}**, so-so **−{-formula.CHECK_IN_MASSES['mixed']:g}**, "
        f"not well **−{-formula.CHECK_IN_MASSES['poor']:g}**",
        f"Of check-ins less than **{formula.CHECK_IN_MIN_DAYS:g} days** apart only the later one counts",
        f"at severity **{formula.CLIENT_SIGNAL_SEVERITY}** (serious)",
        # Issue 26: a recap the client confirmed strengthens the promises it holds; unanswered, it is to clarify.
        f"earns **+{formula.RECAP_CONFIRMED_BONUS:g}** more than one only spoken of",
        f"has not answered **{RECAP_CLARIFY_AFTER_DAYS} days** after it was written",
    ]
    for said in sentences:
        assert said in text, f"docs/trust-model.md does not say {said!r}"

from __future__ import annotations

from django.utils import translation

from crm.trust.reasons import describe

OVERDUE = {
    "code": "invoice_overdue",
    "component": "payments",
    "impact": -25.0,
    "params": {"count": 1, "days_late": 65, "amount": "4500.00"},
    "events": [],
}


def test_overdue_amount_reads_in_the_freelancers_locale() -> None:
    with translation.override("fr"):
        # French groups thousands with a no-break space.
        assert "(4\xa0500,00)" in describe(OVERDUE).text
    with translation.override("en"):
        assert "(4,500.00)" in describe(OVERDUE).text

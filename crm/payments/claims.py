"""The late-payment claim of a stored invoice: the rates from the database, the rules from `interest`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from clients.models import Client
from crm.models import Invoice, LatePaymentRate
from crm.payments import interest

RatesBySeries = dict[str, list[interest.DatedRate]]


def load_rates() -> RatesBySeries:
    """Return every stored rate by series (one query: a few dozen rows)."""
    rates: RatesBySeries = defaultdict(list)
    for series, starts_on, percent in LatePaymentRate.objects.values_list("series", "starts_on", "percent"):
        rates[series].append(interest.DatedRate(starts_on, percent))
    return rates


def regime_of(client: Client) -> interest.Regime:
    return interest.regime_for(client.kind, str(client.country or ""))


def claim_for(
    invoice: Invoice, today: date, rates: RatesBySeries, *, formal_notice_on: date | None = None
) -> interest.Claim | None:
    """Return what may be claimed on `invoice` as of `today`, or None when the freelancer waives it for this
    client, nothing is late, the law gives nothing, or a day of the delay has no rate entered."""
    client = invoice.client
    if not client.claim_late_payment:
        return None
    regime = regime_of(client)
    try:
        claim = interest.late_payment_claim(
            amount=invoice.amount,
            due_on=invoice.effective_due_on,
            today=today,
            paid_on=invoice.paid_on,
            regime=regime,
            rates=rates.get(regime.series, []),
            formal_notice_on=formal_notice_on,
        )
    except LookupError:
        return None
    return claim if claim.total > 0 else None

"""The late-payment claim of a stored invoice: the rates from the database, the rules from `interest`."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from clients.models import Client
from crm.models import Invoice, LatePaymentRate, PaymentReminder
from crm.payments import interest

RatesBySeries = dict[str, list[interest.DatedRate]]

# The rates change twice a year, by hand in the admin: pages read them from the shared cache, and every change
# of a row empties it (the receivers below).
RATES_CACHE_KEY = "confiance:late-payment-rates:v1"


def load_rates() -> RatesBySeries:
    """Return every stored rate by series (from the cache, else one query: a few dozen rows)."""
    cached = cache.get(RATES_CACHE_KEY)
    if cached is not None:
        return cached
    rates: RatesBySeries = defaultdict(list)
    for series, starts_on, percent in LatePaymentRate.objects.values_list("series", "starts_on", "percent"):
        rates[series].append(interest.DatedRate(starts_on, percent))
    rates = dict(rates)
    cache.set(RATES_CACHE_KEY, rates, timeout=3600)
    return rates


def forget_rates(**_kwargs: Any) -> None:
    cache.delete(RATES_CACHE_KEY)


post_save.connect(forget_rates, sender=LatePaymentRate, dispatch_uid="forget_late_payment_rates_saved")
post_delete.connect(forget_rates, sender=LatePaymentRate, dispatch_uid="forget_late_payment_rates_deleted")


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


def follow_up_of(invoice: Invoice, today: date) -> dict[str, Any]:
    """Return what an invoice's page shows of its follow-up: the claim (or None) and its reminders (one query)."""
    reminders = list(invoice.reminders.order_by("created_at", "pk"))
    notice = next(
        (
            r.sent_at.date()
            for r in reminders
            if r.step == PaymentReminder.Step.FORMAL_NOTICE
            and r.state == PaymentReminder.State.SENT
            and r.sent_at
        ),
        None,
    )
    return {
        "claim": claim_for(invoice, today, load_rates(), formal_notice_on=notice),
        "regime": regime_of(invoice.client).code,
        "reminders": reminders,
    }

"""The late-payment claim of a stored invoice: the rates from the database, the rules from `interest`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from clients.models import Client
from crm.models import Invoice, LatePaymentRate, PaymentReminder
from crm.payments import interest, ratefile

RatesBySeries = dict[str, interest.RateTable]

# The rates change a few times a year (the shipped file, `load_late_payment_rates`): pages read them from the
# shared cache, and every change of a row empties it (the receivers below). v2: tables with their checked day.
RATES_CACHE_KEY = "confiance:late-payment-rates:v2"


def load_rates() -> RatesBySeries:
    """Return every stored rate by series (from the cache, else one query: a few dozen rows)."""
    cached = cache.get(RATES_CACHE_KEY)
    if cached is not None:
        return cached
    rows: dict[str, list[interest.DatedRate]] = defaultdict(list)
    checked: dict[str, date] = {}
    for series, starts_on, percent, checked_on in LatePaymentRate.objects.values_list(
        "series", "starts_on", "percent", "checked_on"
    ):
        rows[series].append(interest.DatedRate(starts_on, percent))
        if checked_on is not None:
            checked[series] = max(checked_on, checked.get(series, checked_on))
    rates = {
        series: interest.table_of(series, rows[series], checked.get(series)) for series in interest.SERIES
    }
    cache.set(RATES_CACHE_KEY, rates, timeout=3600)
    return rates


@dataclass(frozen=True)
class RateInForce:
    """What the freelancer reads of one rate on a day: its yearly percent (None when not known) and the first day
    of the half-year it applies to."""

    label: str
    percent: Decimal | None
    applies_from: date


def rates_in_force(rates: RatesBySeries, day: date) -> tuple[list[RateInForce], date | None]:
    """Return the rates applying to `day` (each series, and the French rate between businesses, the ECB's rate
    plus its margin) and the day the rates were last checked against the publications."""
    labels = dict(LatePaymentRate.Series.choices)
    start = interest.half_year_start(day)
    percents = {}
    for series in interest.SERIES:
        rate = interest.rate_in_force(rates.get(series) or interest.table_of(series, ()), day)
        percents[series] = None if rate is None else rate.percent
    ecb = percents[interest.ECB_MAIN_REFINANCING]
    margin = interest.REGIMES[interest.FR_BUSINESS].margin_points
    shown = [
        RateInForce(
            str(_("French late-payment rate between businesses (ECB rate + 10 points)")),
            None if ecb is None else ecb + margin,
            start,
        ),
        *(RateInForce(str(labels[series]), percents[series], start) for series in interest.SERIES),
    ]
    checked = max((table.checked_on for table in rates.values() if table.checked_on), default=None)
    return shown, checked


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
    client, nothing is late or the law gives nothing (a half-year without its rate adds no interest: the
    claim lists it)."""
    client = invoice.client
    if not client.claim_late_payment:
        return None
    regime = regime_of(client)
    claim = interest.late_payment_claim(
        amount=invoice.amount,
        due_on=invoice.effective_due_on,
        today=today,
        paid_on=invoice.paid_on,
        regime=regime,
        rates=rates.get(regime.series) or interest.table_of(regime.series, ()),
        formal_notice_on=formal_notice_on,
    )
    # A claim whose rate is missing is kept even at 0: the letter says the interest is not stated.
    return claim if claim.total > 0 or claim.rate_missing else None


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


def store_rate_file(parsed: ratefile.RateFile) -> tuple[list[ratefile.Row], list[tuple[ratefile.Row, str]]]:
    """Add the file's new rows and update the rows it changes, all or nothing; return the added rows and each
    changed row with what it was. A row already as in the file is left alone (the same file twice changes
    nothing); the day a row was checked only moves forward."""
    if parsed.errors:
        raise ValueError("a rates file with errors is never stored")
    added: list[ratefile.Row] = []
    changed: list[tuple[ratefile.Row, str]] = []
    with transaction.atomic():
        existing = {
            (rate.series, rate.starts_on): rate for rate in LatePaymentRate.objects.select_for_update()
        }
        for row in parsed.rows:
            rate = existing.get((row.kind, row.valid_from))
            if rate is None:
                LatePaymentRate.objects.create(
                    series=row.kind,
                    starts_on=row.valid_from,
                    percent=row.percent,
                    source=row.source,
                    checked_on=parsed.checked_on,
                )
                added.append(row)
                continue
            checked_on = max(filter(None, (rate.checked_on, parsed.checked_on)), default=None)
            if (rate.percent, rate.source, rate.checked_on) == (row.percent, row.source, checked_on):
                continue
            before = (
                f"{rate.percent} %" if rate.percent != row.percent else f"{rate.percent} % (source or date)"
            )
            rate.percent, rate.source, rate.checked_on = row.percent, row.source, checked_on
            rate.save(update_fields=["percent", "source", "checked_on"])
            changed.append((row, before))
    forget_rates()
    return added, changed

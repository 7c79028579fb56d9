"""Late-payment amounts the law allows: plain functions over plain values, no Django, so they are property-tested.

`docs/payments.md` is the reader's version of this module (the rules, the rates and their sources, a worked
example); change both together.

The shape, in one paragraph: an invoice not paid by its due date owes, for each day late, simple interest on the
unpaid amount at a yearly rate, `amount × rate / 100 / 365` a day (no compounding), from the day after the due
date up to and including the day it is paid (or today, while unpaid); nothing more accrues once it is paid. The
yearly rate is a *reference rate plus a margin*, and the reference rate is the one in force on the first day of
the half-year (1 January or 1 July) the day belongs to, for the whole half-year: a delay across 1 July is
counted at two rates. Which reference and margin, and whether the fixed 40 € recovery compensation is owed, depend
on who the client is (the *regime*):

- a business in France: the ECB's main refinancing rate + 10 points (art. L441-10 Code de commerce), and 40 €
  per invoice (art. L441-10 II and D441-5);
- a business elsewhere in the EU: the ECB's rate + 8 points (directive 2011/7/EU, art. 2(6) and 3), and 40 €
  (art. 6);
- a consumer: the French legal interest rate (taux de l'intérêt légal) with no margin and no 40 €, and only from
  the formal notice (art. 1231-6 Code civil); the rate of "all other cases" applies, since the creditor, a
  freelancer, acts for professional needs;
- a business outside the EU: nothing computed (the contract decides).

Amounts are `Decimal`, rounded to the cent half up once, at the end (each half-year's share is kept exact).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from crm.core import rules

# -- the rules -------------------------------------------------------------------------------------------------

# Days in the year the yearly rate is divided by: 365, leap years too (the usual convention of French
# late-payment calculators; the law fixes the rate, not the day count).
DAY_COUNT = Decimal(365)
CENT = Decimal("0.01")

# The fixed recovery compensation owed by a late business debtor, per invoice (art. D441-5; directive art. 6).
RECOVERY_COMPENSATION_EUR = Decimal("40.00")

# The rate series stored as dated rows (`crm.models.LatePaymentRate.series`).
ECB_MAIN_REFINANCING = "ecb_mro"
FR_LEGAL_PROFESSIONAL = "fr_legal_pro"  # taux de l'intérêt légal, "pour tous les autres cas"
# ... "créances des personnes physiques n'agissant pas pour des besoins professionnels": the creditor is a private
# person, never the case of a freelancer's invoice. Kept for reference.
FR_LEGAL_PERSONAL = "fr_legal_personal"
SERIES = (ECB_MAIN_REFINANCING, FR_LEGAL_PROFESSIONAL, FR_LEGAL_PERSONAL)

# Who the client is.
BUSINESS = "business"
CONSUMER = "consumer"

# The regimes: which series, the margin in points, whether the 40 € are owed, and from when interest runs.
FR_BUSINESS = "fr_business"
EU_BUSINESS = "eu_business"
FR_CONSUMER = "consumer"
NO_STATUTORY_CLAIM = "none"

# EU member states (ISO 3166-1 alpha-2) as of 2026.
# fmt: off
EU_COUNTRIES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
})
# fmt: on


@dataclass(frozen=True)
class Regime:
    code: str
    series: str  # "" when nothing is computed
    margin_points: Decimal
    compensation_eur: Decimal
    # True: interest runs from the day after the due date, without any reminder (L441-10). False: only from the
    # formal notice (mise en demeure, art. 1231-6 Code civil).
    runs_from_due_date: bool


REGIMES: dict[str, Regime] = {
    FR_BUSINESS: Regime(FR_BUSINESS, ECB_MAIN_REFINANCING, Decimal(10), RECOVERY_COMPENSATION_EUR, True),
    EU_BUSINESS: Regime(EU_BUSINESS, ECB_MAIN_REFINANCING, Decimal(8), RECOVERY_COMPENSATION_EUR, True),
    FR_CONSUMER: Regime(FR_CONSUMER, FR_LEGAL_PROFESSIONAL, Decimal(0), Decimal(0), False),
    NO_STATUTORY_CLAIM: Regime(NO_STATUTORY_CLAIM, "", Decimal(0), Decimal(0), True),
}


def regime_for(kind: str, country: str) -> Regime:
    """Return the regime for a client of `kind` (business or consumer) in `country` (ISO code, any case)."""
    country = country.strip().upper()
    if kind == CONSUMER:
        return REGIMES[FR_CONSUMER]
    if country == "FR":
        return REGIMES[FR_BUSINESS]
    if country in EU_COUNTRIES:
        return REGIMES[EU_BUSINESS]
    return REGIMES[NO_STATUTORY_CLAIM]


# -- dated rates -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatedRate:
    """A yearly rate in percent, in force from `starts_on` (a 1 January or 1 July) until the next one."""

    starts_on: date
    percent: Decimal


# The published values seeded into the database by a data migration (which keeps its own frozen copy) and
# listed with their sources in docs/payments.md. The database rows, editable in the admin, are what counts.
PUBLISHED_RATES: dict[str, tuple[tuple[date, str], ...]] = {
    # The ECB's main refinancing operations rate in force on each 1 January / 1 July.
    ECB_MAIN_REFINANCING: (
        (date(2022, 1, 1), "0.00"),
        (date(2022, 7, 1), "0.00"),  # raised to 0.50 on 27 July 2022: after 1 July, so from 2023 on
        (date(2023, 1, 1), "2.50"),
        (date(2023, 7, 1), "4.00"),
        (date(2024, 1, 1), "4.50"),
        (date(2024, 7, 1), "4.25"),
        (date(2025, 1, 1), "3.15"),
        (date(2025, 7, 1), "2.15"),
        (date(2026, 1, 1), "2.15"),
    ),
    FR_LEGAL_PROFESSIONAL: (
        (date(2022, 1, 1), "0.76"),
        (date(2022, 7, 1), "0.77"),
        (date(2023, 1, 1), "2.06"),
        (date(2023, 7, 1), "4.22"),
        (date(2024, 1, 1), "5.07"),
        (date(2024, 7, 1), "4.92"),
        (date(2025, 1, 1), "3.71"),
        (date(2025, 7, 1), "2.76"),
        (date(2026, 1, 1), "2.62"),
    ),
    FR_LEGAL_PERSONAL: (
        (date(2022, 1, 1), "3.13"),
        (date(2022, 7, 1), "3.15"),
        (date(2023, 1, 1), "4.47"),
        (date(2023, 7, 1), "6.82"),
        (date(2024, 1, 1), "8.01"),
        (date(2024, 7, 1), "8.16"),
        (date(2025, 1, 1), "7.21"),
        (date(2025, 7, 1), "6.65"),
        (date(2026, 1, 1), "6.67"),
    ),
}


def published_rates(series: str) -> list[DatedRate]:
    return [DatedRate(day, Decimal(percent)) for day, percent in PUBLISHED_RATES[series]]


def half_year_start(day: date) -> date:
    """Return the 1 January or 1 July that starts `day`'s half-year."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year_start(day: date) -> date:
    start = half_year_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def rate_in_force(rates: Iterable[DatedRate], day: date) -> DatedRate | None:
    """Return the rate that applies to `day`: the latest one in force on the first day of its half-year.

    A half-year with no row of its own (the new value not entered yet) keeps the latest earlier one; the caller
    sees it through `starts_on` being before the half-year (`Claim.unconfirmed_rate`).
    """
    start = half_year_start(day)
    known = [rate for rate in rates if rate.starts_on <= start]
    return max(known, key=lambda rate: rate.starts_on) if known else None


# -- the computation -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days of a delay at one rate (one half-year, or the part of it that the delay covers)."""

    first_day: date
    last_day: date
    days: int
    percent: Decimal  # reference rate + margin
    interest: Decimal  # exact, not rounded


def interest_periods(
    amount: Decimal, after: date, until: date, rates: Sequence[DatedRate], margin_points: Decimal
) -> list[Period]:
    """Return the delay from the day after `after` to `until` included, cut at each half-year, with its interest.

    Raises `LookupError` when a day of the delay has no rate in force (before the first row).
    """
    periods = []
    day = after + timedelta(days=1)
    while day <= until:
        end = min(next_half_year_start(day) - timedelta(days=1), until)
        rate = rate_in_force(rates, day)
        if rate is None:
            raise LookupError(f"no rate in force on {day.isoformat()}")
        days = (end - day).days + 1
        percent = rate.percent + margin_points
        periods.append(Period(day, end, days, percent, amount * percent / 100 * days / DAY_COUNT))
        day = end + timedelta(days=1)
    return periods


@dataclass(frozen=True)
class Claim:
    """What may be claimed for one late invoice on one day: interest, the fixed compensation, and how."""

    regime: Regime
    days_late: int
    periods: tuple[Period, ...]
    interest: Decimal  # rounded to the cent
    compensation_eur: Decimal
    # A day of the delay used a rate older than its half-year (the new rate not entered yet).
    unconfirmed_rate: bool

    @property
    def total(self) -> Decimal:
        """Interest plus compensation (the compensation is in euros; the invoice's currency is the caller's)."""
        return self.interest + self.compensation_eur


def late_payment_claim(
    *,
    amount: Decimal,
    due_on: date,
    today: date,
    regime: Regime,
    rates: Sequence[DatedRate],
    paid_on: date | None = None,
    formal_notice_on: date | None = None,
) -> Claim:
    """Return what the law allows to claim on an invoice of `amount` due on `due_on`, as of `today`.

    Interest runs from the day after the due date (or, for a consumer, after `formal_notice_on`; none without
    one) to the payment day, or `today` while unpaid; the compensation is owed from the first day late.
    """
    late = rules.days_late(due_on, today, paid_on)
    if late == 0 or not regime.series:
        return Claim(regime, late, (), Decimal("0.00"), Decimal("0.00"), False)
    until = min(paid_on, today) if paid_on is not None else today
    after = due_on
    if not regime.runs_from_due_date:
        after = max(due_on, formal_notice_on) if formal_notice_on is not None else until
    periods = tuple(interest_periods(amount, after, until, rates, regime.margin_points))
    interest = sum((period.interest for period in periods), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    unconfirmed = any(
        rate_in_force(rates, period.first_day).starts_on < half_year_start(period.first_day)  # type: ignore[union-attr]  # a period exists only with a rate
        for period in periods
    )
    return Claim(regime, late, periods, interest, regime.compensation_eur, unconfirmed)

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


# How each series is published: the ECB's rate as dated changes (a decision takes effect on a day of its own),
# the legal rates once per half-year. A half-yearly rate is known only for the half-year of its own row (never
# carried over); a dated-change rate is known up to the later of its last row and the day the series was last
# checked (a row on a 1 January / 1 July confirms an unchanged rate).
HALF_YEARLY = frozenset({FR_LEGAL_PROFESSIONAL, FR_LEGAL_PERSONAL})


@dataclass(frozen=True)
class RateTable:
    """The dated rates of one series, and how far they are known."""

    rates: tuple[DatedRate, ...]
    half_yearly: bool = False
    # The day the values were last checked against the publication (None: up to the last row only).
    checked_on: date | None = None

    def known_until(self) -> date | None:
        last = max((rate.starts_on for rate in self.rates), default=None)
        if last is None or self.checked_on is None:
            return last
        return max(last, self.checked_on)


def table_of(series: str, rates: Iterable[DatedRate], checked_on: date | None = None) -> RateTable:
    return RateTable(tuple(rates), series in HALF_YEARLY, checked_on)


def half_year_start(day: date) -> date:
    """Return the 1 January or 1 July that starts `day`'s half-year."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year_start(day: date) -> date:
    start = half_year_start(day)
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def rate_in_force(rates: RateTable | Iterable[DatedRate], day: date) -> DatedRate | None:
    """Return the rate that applies to `day`: the latest one in force on the first day of its half-year, or None
    when it is not known (before the first row, a half-yearly rate without the row of its half-year, or a
    dated-change rate after the day it is known until). Plain rates are read as dated changes."""
    table = rates if isinstance(rates, RateTable) else RateTable(tuple(rates))
    start = half_year_start(day)
    known = [rate for rate in table.rates if rate.starts_on <= start]
    if not known:
        return None
    latest = max(known, key=lambda rate: rate.starts_on)
    if table.half_yearly:
        return latest if latest.starts_on == start else None
    until = table.known_until()
    return latest if until is not None and start <= until else None


# -- the computation -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Days of a delay at one rate (one half-year, or the part of it that the delay covers)."""

    first_day: date
    last_day: date
    days: int
    percent: Decimal | None  # reference rate + margin; None: the rate of this half-year is not known
    interest: Decimal  # exact, not rounded; 0 when the rate is not known (never guessed)

    @property
    def rate_known(self) -> bool:
        return self.percent is not None


def interest_periods(
    amount: Decimal, after: date, until: date, rates: RateTable | Sequence[DatedRate], margin_points: Decimal
) -> list[Period]:
    """Return the delay from the day after `after` to `until` included, cut at each half-year, with its interest.

    A half-year whose rate is not known is a period without a percent and with no interest: it is never counted
    at another half-year's rate, nor at 0 % silently (the claim says so).
    """
    periods = []
    day = after + timedelta(days=1)
    while day <= until:
        end = min(next_half_year_start(day) - timedelta(days=1), until)
        rate = rate_in_force(rates, day)
        days = (end - day).days + 1
        if rate is None:
            periods.append(Period(day, end, days, None, Decimal(0)))
        else:
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
    interest: Decimal  # rounded to the cent; only the periods whose rate is known
    compensation_eur: Decimal

    @property
    def total(self) -> Decimal:
        """Interest plus compensation (the compensation is in euros; the invoice's currency is the caller's)."""
        return self.interest + self.compensation_eur

    @property
    def missing_periods(self) -> tuple[Period, ...]:
        """The periods of the delay whose rate is not known: no interest is claimed for them."""
        return tuple(period for period in self.periods if not period.rate_known)

    @property
    def rate_missing(self) -> bool:
        return bool(self.missing_periods)


def late_payment_claim(
    *,
    amount: Decimal,
    due_on: date,
    today: date,
    regime: Regime,
    rates: RateTable | Sequence[DatedRate],
    paid_on: date | None = None,
    formal_notice_on: date | None = None,
) -> Claim:
    """Return what the law allows to claim on an invoice of `amount` due on `due_on`, as of `today`.

    Interest runs from the day after the due date (or, for a consumer, after `formal_notice_on`; none without
    one) to the payment day, or `today` while unpaid; the compensation is owed from the first day late. The
    half-years whose rate is not known add nothing and are listed in `missing_periods`.
    """
    late = rules.days_late(due_on, today, paid_on)
    if late == 0 or not regime.series:
        return Claim(regime, late, (), Decimal("0.00"), Decimal("0.00"))
    until = min(paid_on, today) if paid_on is not None else today
    after = due_on
    if not regime.runs_from_due_date:
        after = max(due_on, formal_notice_on) if formal_notice_on is not None else until
    periods = tuple(interest_periods(amount, after, until, rates, regime.margin_points))
    interest = sum((period.interest for period in periods), Decimal(0)).quantize(CENT, ROUND_HALF_UP)
    return Claim(regime, late, periods, interest, regime.compensation_eur)

"""Late-payment interest and compensation: the worked example of docs/payments.md, the regimes, the properties."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crm.payments import interest
from crm.payments.interest import (
    BUSINESS,
    CONSUMER,
    ECB_MAIN_REFINANCING,
    FR_LEGAL_PROFESSIONAL,
    REGIMES,
    DatedRate,
    RateTable,
    late_payment_claim,
    rate_in_force,
    regime_for,
)
from crm.payments.ratefile import shipped_tables

SHIPPED = shipped_tables()
ECB = SHIPPED[ECB_MAIN_REFINANCING]
LEGAL = SHIPPED[FR_LEGAL_PROFESSIONAL]
# For the properties: the shipped ECB changes, taken as known for every half-year up to 2040.
ECB_KNOWN = RateTable(ECB.rates, checked_on=date(2040, 1, 1))


def test_the_worked_example_of_the_doc_to_the_cent() -> None:
    # docs/payments.md, "A worked example": 2,400.00 € due 15 May 2025, paid 20 August 2025, a French business.
    claim = late_payment_claim(
        amount=Decimal("2400.00"),
        due_on=date(2025, 5, 15),
        paid_on=date(2025, 8, 20),
        today=date(2025, 11, 30),
        regime=regime_for(BUSINESS, "FR"),
        rates=ECB,
    )
    assert claim.days_late == 97
    assert [(p.first_day, p.last_day, p.days, p.percent) for p in claim.periods] == [
        (date(2025, 5, 16), date(2025, 6, 30), 46, Decimal("13.15")),
        (date(2025, 7, 1), date(2025, 8, 20), 51, Decimal("12.15")),
    ]
    assert [p.interest.quantize(Decimal("0.0001")) for p in claim.periods] == [
        Decimal("39.7742"),
        Decimal("40.7441"),
    ]
    assert claim.interest == Decimal("80.52")
    assert claim.compensation_eur == Decimal("40.00")
    assert claim.total == Decimal("120.52")
    assert not claim.rate_missing


def test_elsewhere_in_the_eu_the_margin_is_eight_points() -> None:
    claim = late_payment_claim(
        amount=Decimal("1000.00"),
        due_on=date(2025, 7, 31),
        today=date(2025, 8, 30),
        regime=regime_for(BUSINESS, "de"),
        rates=ECB,
    )
    # 30 days at 2.15 + 8 = 10.15 %: 1000 × 0.1015 × 30 / 365 = 8.342...
    assert (claim.days_late, claim.interest, claim.compensation_eur) == (
        30,
        Decimal("8.34"),
        Decimal("40.00"),
    )


def test_a_consumer_owes_the_legal_rate_from_the_formal_notice_and_no_compensation() -> None:
    regime = regime_for(CONSUMER, "FR")
    without_notice = late_payment_claim(
        amount=Decimal("1000.00"),
        due_on=date(2025, 8, 10),
        today=date(2025, 9, 29),
        regime=regime,
        rates=LEGAL,
    )
    assert (without_notice.interest, without_notice.compensation_eur) == (Decimal("0.00"), Decimal("0.00"))
    with_notice = late_payment_claim(
        amount=Decimal("1000.00"),
        due_on=date(2025, 8, 10),
        today=date(2025, 9, 29),
        formal_notice_on=date(2025, 9, 1),
        regime=regime,
        rates=LEGAL,
    )
    # 28 days of September at the 2025 H2 rate of "all other cases", 2.76 %: 1000 × 0.0276 × 28 / 365 = 2.117...
    assert with_notice.periods[0].first_day == date(2025, 9, 2)
    assert (with_notice.interest, with_notice.total) == (Decimal("2.12"), Decimal("2.12"))


def test_outside_the_eu_nothing_is_computed() -> None:
    claim = late_payment_claim(
        amount=Decimal("500"),
        due_on=date(2025, 1, 1),
        today=date(2025, 6, 1),
        regime=regime_for(BUSINESS, "US"),
        rates=ECB,
    )
    assert (claim.days_late, claim.total) == (151, Decimal("0.00"))


def test_the_rate_of_the_first_day_of_the_half_year_holds_for_the_whole_half_year() -> None:
    rates = [DatedRate(date(2025, 1, 1), Decimal("3.15")), DatedRate(date(2025, 7, 1), Decimal("2.15"))]
    assert rate_in_force(rates, date(2025, 6, 30)).percent == Decimal("3.15")  # type: ignore[union-attr]
    assert rate_in_force(rates, date(2025, 7, 1)).percent == Decimal("2.15")  # type: ignore[union-attr]
    assert rate_in_force(rates, date(2024, 12, 31)) is None
    # A change taking effect mid-half-year (the day the ECB decided) only counts from the next half-year.
    decided = RateTable((*rates, DatedRate(date(2025, 9, 18), Decimal("9.99"))), checked_on=date(2026, 3, 1))
    assert rate_in_force(decided, date(2025, 12, 31)).percent == Decimal("2.15")  # type: ignore[union-attr]
    assert rate_in_force(decided, date(2026, 1, 1)).percent == Decimal("9.99")  # type: ignore[union-attr]


def test_the_shipped_ecb_changes_give_the_rate_in_force_on_each_first_day() -> None:
    # The first rise, to 0.50 % on 27 July 2022, came after 1 July: 2022 H2 is still at 0 %.
    expected = {
        date(2020, 1, 1): "0.00",
        date(2022, 7, 1): "0.00",
        date(2023, 1, 1): "2.50",
        date(2023, 7, 1): "4.00",
        date(2024, 1, 1): "4.50",
        date(2024, 7, 1): "4.25",
        date(2025, 1, 1): "3.15",
        date(2025, 7, 1): "2.15",
        date(2026, 1, 1): "2.15",
    }
    assert {day: str(rate_in_force(ECB, day).percent) for day in expected} == expected  # type: ignore[union-attr]


def test_a_half_year_without_its_rate_is_not_known_and_not_borrowed() -> None:
    # The ECB's changes are known up to 1 January 2026 (the shipped file): 1 July 2026 is not known.
    assert rate_in_force(ECB, date(2026, 7, 1)) is None
    # A half-yearly rate is never carried over: 2025 H2 is known, 2026 H1 is not in the shipped file.
    assert rate_in_force(LEGAL, date(2025, 12, 31)).percent == Decimal("2.76")  # type: ignore[union-attr]
    assert rate_in_force(LEGAL, date(2026, 1, 1)) is None


def test_a_claim_across_a_missing_half_year_counts_no_interest_for_it() -> None:
    claim = late_payment_claim(
        amount=Decimal("1000"),
        due_on=date(2026, 6, 20),
        today=date(2026, 7, 10),
        regime=REGIMES[interest.FR_BUSINESS],
        rates=ECB,
    )
    assert claim.rate_missing
    assert [(p.first_day, p.last_day, p.percent) for p in claim.periods] == [
        (date(2026, 6, 21), date(2026, 6, 30), Decimal("12.15")),
        (date(2026, 7, 1), date(2026, 7, 10), None),
    ]
    assert [(p.first_day, p.days) for p in claim.missing_periods] == [(date(2026, 7, 1), 10)]
    # Only the 10 known days: 1000 × 0.1215 × 10 / 365 = 3.328...
    assert claim.interest == Decimal("3.33")


def test_before_the_first_rate_nothing_is_guessed() -> None:
    claim = late_payment_claim(
        amount=Decimal("1"),
        due_on=date(2010, 1, 1),
        today=date(2010, 2, 1),
        regime=REGIMES[interest.FR_BUSINESS],
        rates=ECB,
    )
    assert claim.rate_missing and claim.interest == Decimal("0.00")
    assert claim.missing_periods[0].first_day == date(2010, 1, 2)


# -- properties --------------------------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2)
due_days = st.dates(min_value=date(2022, 1, 1), max_value=date(2027, 12, 31))
delays = st.integers(min_value=0, max_value=2000)
regimes = st.sampled_from([REGIMES[interest.FR_BUSINESS], REGIMES[interest.EU_BUSINESS]])


def _claim(amount: Decimal, due_on: date, today: date, regime: interest.Regime, paid_on: date | None = None):
    return late_payment_claim(
        amount=amount, due_on=due_on, today=today, regime=regime, rates=ECB_KNOWN, paid_on=paid_on
    )


@given(amounts, due_days, delays, regimes)
def test_a_claim_is_never_negative(
    amount: Decimal, due_on: date, delay: int, regime: interest.Regime
) -> None:
    claim = _claim(amount, due_on, due_on + timedelta(days=delay), regime)
    assert claim.interest >= 0
    assert claim.total >= 0
    assert (claim.total > 0) == (delay > 0)


@given(amounts, due_days, delays, st.integers(min_value=1, max_value=400), regimes)
def test_a_claim_grows_with_the_days_late(
    amount: Decimal, due_on: date, delay: int, more: int, regime: interest.Regime
) -> None:
    earlier = _claim(amount, due_on, due_on + timedelta(days=delay), regime)
    later = _claim(amount, due_on, due_on + timedelta(days=delay + more), regime)
    assert later.days_late == earlier.days_late + more
    assert later.interest >= earlier.interest
    assert sum(p.interest for p in later.periods) > sum(p.interest for p in earlier.periods)


@given(amounts, due_days, delays, st.integers(min_value=0, max_value=2000), regimes)
def test_a_claim_stops_at_payment(
    amount: Decimal, due_on: date, delay: int, after: int, regime: interest.Regime
) -> None:
    paid_on = due_on + timedelta(days=delay)
    at_payment = _claim(amount, due_on, paid_on, regime, paid_on=paid_on)
    long_after = _claim(amount, due_on, paid_on + timedelta(days=after), regime, paid_on=paid_on)
    assert long_after == at_payment


@given(amounts, due_days, delays)
def test_the_periods_cover_every_late_day_once(amount: Decimal, due_on: date, delay: int) -> None:
    claim = _claim(amount, due_on, due_on + timedelta(days=delay), REGIMES[interest.FR_BUSINESS])
    assert sum(p.days for p in claim.periods) == claim.days_late
    for before, after in zip(claim.periods, claim.periods[1:], strict=False):
        assert after.first_day == before.last_day + timedelta(days=1)
        assert after.first_day.day == 1 and after.first_day.month in (1, 7)


@given(amounts, due_days, delays, regimes)
def test_a_half_year_without_its_rate_adds_nothing(
    amount: Decimal, due_on: date, delay: int, regime: interest.Regime
) -> None:
    # The shipped ECB rates as they are: nothing known after 1 January 2026's half-year.
    claim = late_payment_claim(
        amount=amount, due_on=due_on, today=due_on + timedelta(days=delay), regime=regime, rates=ECB
    )
    assert all(p.interest == 0 and p.first_day >= date(2026, 7, 1) for p in claim.missing_periods)
    known = sum((p.interest for p in claim.periods if p.rate_known), Decimal(0))
    assert claim.interest == known.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert sum(p.days for p in claim.periods) == claim.days_late

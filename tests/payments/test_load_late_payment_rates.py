"""`load_late_payment_rates FILE`: a good file adds and changes rows, a bad one is refused whole, twice is once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.models import LatePaymentRate
from crm.payments import interest
from crm.payments.claims import load_rates

pytestmark = pytest.mark.django_db

HEADER = "# Rates for a test.\n# last checked: 2026-07-03\nkind,valid_from,rate_percent,source\n"


def _file(tmp_path: Path, rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "rates.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path


def _load(path: Path) -> str:
    out = StringIO()
    call_command("load_late_payment_rates", str(path), stdout=out)
    return out.getvalue()


def _table() -> set[tuple[str, date, Decimal, str]]:
    return set(LatePaymentRate.objects.values_list("series", "starts_on", "percent", "source"))


def test_a_good_file_adds_the_new_rates_changes_the_others_and_says_which(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "ecb_mro,2026-07-01,2.15,ECB: unchanged on 1 July 2026\n"
        "fr_legal_pro,2026-07-01,2.50,Banque de France 2026 S2\n"
        "fr_legal_personal,2025-07-01,6.70,corrected\n"
        "fr_legal_pro,2025-07-01,2.76,Banque de France: taux de l'intérêt légal 2025 S2 (arrêté au JORF)\n",
    )
    before = interest.rate_in_force(load_rates()[interest.ECB_MAIN_REFINANCING], date(2026, 9, 1))
    assert before is None
    out = _load(path)
    assert "added ecb_mro from 2026-07-01: 2.15 %" in out
    assert "added fr_legal_pro from 2026-07-01: 2.50 %" in out
    assert "changed fr_legal_personal from 2025-07-01: 6.650 % -> 6.70 %" in out
    assert "2 added, 2 changed, 0 unchanged" in out  # the 2025 legal row's day checked moved forward
    assert LatePaymentRate.objects.get(
        series="fr_legal_personal", starts_on=date(2025, 7, 1)
    ).percent == Decimal("6.70")
    # The claims read the new rates at once (the cache is emptied).
    rates = load_rates()
    assert interest.rate_in_force(rates["ecb_mro"], date(2026, 9, 1)) == interest.DatedRate(
        date(2026, 7, 1), Decimal("2.15")
    )
    assert rates["ecb_mro"].checked_on == date(2026, 7, 3)


def test_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    path = _file(tmp_path, "ecb_mro,2026-07-01,2.15,ECB\nfr_legal_pro,2026-07-01,2.50,BdF\n")
    _load(path)
    after_once = _table()
    out = _load(path)
    assert "0 added, 0 changed, 2 unchanged" in out
    assert _table() == after_once


def test_the_shipped_file_loads_onto_the_migrated_table_without_a_change() -> None:
    from crm.payments.ratefile import SHIPPED

    assert "0 added, 0 changed, 44 unchanged" in _load(SHIPPED)


def test_bad_rows_are_refused_with_their_line_and_reason_and_nothing_is_written(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "ecb_mro,2026-07-01,2.15,ECB (a good row: not written either)\n"
        "ecb_mro,2026-13-01,2.15,bad date\n"
        "fr_legal_pro,2026-07-01,deux,bad number\n"
        "libor,2026-07-01,1.00,unknown kind\n"
        "fr_legal_pro,2026-08-01,2.50,not a half-year start\n"
        "fr_legal_personal,2026-07-01,6.00,first\n"
        "fr_legal_personal,2026-07-01,6.10,overlapping duplicate\n"
        "ecb_mro,2026-09-01,2.1234,too many decimals\n",
    )
    before = _table()
    with pytest.raises(CommandError) as refused:
        _load(path)
    message = str(refused.value)
    assert "nothing was loaded, 6 problem(s)" in message
    assert "line 5: bad date '2026-13-01'" in message
    assert "line 6: bad number 'deux'" in message
    assert "line 7: unknown kind 'libor'" in message
    assert (
        "line 8: fr_legal_pro is set per half-year: it starts on a 1 January or 1 July, not 2026-08-01"
        in message
    )
    assert (
        "line 10: overlapping duplicate: fr_legal_personal from 2026-07-01 is already given on line 9"
        in message
    )
    assert "line 11: bad number '2.1234'" in message
    assert _table() == before


def test_a_file_without_its_checked_day_or_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no '# last checked: YYYY-MM-DD' line"):
        _load(
            _file(tmp_path, "ecb_mro,2026-07-01,2.15,ECB\n", header="kind,valid_from,rate_percent,source\n")
        )
    with pytest.raises(CommandError, match="line 3: the header must be kind,valid_from,rate_percent,source"):
        _load(
            _file(
                tmp_path, "ecb_mro,2026-07-01,2.15,ECB\n", header="# last checked: 2026-07-03\n\nday,rate\n"
            )
        )
    with pytest.raises(CommandError, match="cannot be read"):
        _load(tmp_path / "absent.csv")

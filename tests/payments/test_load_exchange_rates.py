"""`load_exchange_rates FILE`: the ECB's eurofxref-hist.csv adds and corrects rates, a bad file is refused whole,
twice is once; the shipped set is one such file. No network: the files are written here."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.models import Rate
from crm.payments import fxfile
from crm.payments.tasks import load_exchange_rates

pytestmark = pytest.mark.django_db

# As the ECB publishes it: newest first, a trailing comma, N/A for a currency no longer quoted (values of 2025).
ECB = (
    "Date,USD,JPY,BGN,CYP,GBP,\n"
    "2025-05-09,1.1252,163.36,1.9558,N/A,0.8477,\n"
    "2025-05-08,1.1297,163.45,1.9558,N/A,0.8476,\n"
)


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(text, encoding="utf-8")
    return path


def _load(path: Path) -> str:
    out = StringIO()
    call_command("load_exchange_rates", str(path), stdout=out)
    return out.getvalue()


def _rates(currency: str) -> dict[date, Decimal]:
    return dict(Rate.objects.filter(currency=currency).values_list("day", "per_euro"))


def test_the_ecb_file_adds_its_rates_skips_what_is_not_quoted_and_twice_is_once(tmp_path: Path) -> None:
    Rate.objects.filter(day__gte=date(2025, 5, 8)).delete()
    path = _file(tmp_path, ECB)
    assert _load(path).strip() == "8 added, 0 changed, 0 unchanged"
    assert _rates("USD")[date(2025, 5, 9)] == Decimal("1.1252")
    assert _rates("GBP")[date(2025, 5, 8)] == Decimal("0.8476")
    assert not Rate.objects.filter(currency="CYP").exists()
    assert _load(path).strip() == "0 added, 0 changed, 8 unchanged"


def test_a_corrected_rate_is_changed_and_rates_absent_from_the_file_are_kept(tmp_path: Path) -> None:
    Rate.objects.filter(day__gte=date(2025, 5, 8)).delete()
    _load(_file(tmp_path, ECB))
    before = Rate.objects.count()
    assert (
        _load(_file(tmp_path, "Date,USD\n2025-05-09,1.1253\n")).strip() == "0 added, 1 changed, 0 unchanged"
    )
    assert _rates("USD")[date(2025, 5, 9)] == Decimal("1.1253")
    assert Rate.objects.count() == before


def test_a_bad_file_is_refused_whole_and_says_which_lines(tmp_path: Path) -> None:
    before = Rate.objects.count()
    bad = "Date,USD,GBP\n2025-05-12,1.12,0.84\n2025-13-01,1.1,0.8\n2025-05-13,-1,0.8\n2025-05-12,1.1,0.8\n"
    with pytest.raises(CommandError) as refused:
        _load(_file(tmp_path, bad))
    message = str(refused.value)
    assert "line 3: bad date '2025-13-01'" in message
    assert "line 4: bad rate '-1' for USD" in message
    assert "line 5: 2025-05-12 is already given on line 2" in message
    assert Rate.objects.count() == before  # nothing loaded, not even the good line


def test_a_header_that_is_not_the_ecbs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="the header must start with Date"):
        _load(_file(tmp_path, "kind,valid_from,rate_percent,source\n"))
    with pytest.raises(CommandError, match="three letters"):
        _load(_file(tmp_path, "Date,US Dollar\n2025-05-09,1.12\n"))


def test_the_shipped_set_reads_without_error_and_is_what_the_migration_loaded() -> None:
    shipped = fxfile.read(fxfile.SHIPPED)
    assert shipped.errors == []
    assert len({row.currency for row in shipped.rows}) == 29
    assert {(row.currency, row.day, row.per_euro) for row in shipped.rows} <= set(
        Rate.objects.values_list("currency", "day", "per_euro")
    )


def test_the_daily_task_loads_the_configured_file_and_does_nothing_without_one(
    tmp_path: Path, settings: Any
) -> None:
    Rate.objects.filter(day__gte=date(2025, 5, 8)).delete()
    settings.EXCHANGE_RATES_FILE = ""
    assert load_exchange_rates() is None
    settings.EXCHANGE_RATES_FILE = str(_file(tmp_path, ECB))
    assert load_exchange_rates() == (8, 0)
    assert load_exchange_rates() == (0, 0)
    settings.EXCHANGE_RATES_FILE = str(_file(tmp_path, "Date,USD\nnot a day,1.1\n"))
    assert load_exchange_rates() is None  # refused whole, logged

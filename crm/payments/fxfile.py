"""The exchange reference rates file, in the ECB's `eurofxref-hist.csv` format: read and checked, no Django.

The same reader serves the data migration that loads the shipped set (`crm/payments/data/eurofxref.csv`) and the
`load_exchange_rates` command that refreshes the rates from the ECB's full file, so a file the migration accepts is
one the command accepts.

The format, as the ECB publishes it (https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip): a header
`Date,USD,JPY,...` (a trailing comma tolerated), then one line per working day, `YYYY-MM-DD` and the units of each
currency one euro bought that day, `N/A` (or nothing) where a currency was not quoted. Lines starting with `#` are
comments (the shipped set says where it comes from).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from crm.core.days import FIRST_DAY, LAST_DAY

SHIPPED = Path(__file__).parent / "data" / "eurofxref.csv"
NOT_QUOTED = ("", "N/A")
# The bounds of `Rate.per_euro` (max_digits=18, decimal_places=6).
HIGHEST = Decimal("999999999999")
PLACES = 6


@dataclass(frozen=True)
class Row:
    currency: str
    day: date
    per_euro: Decimal


@dataclass
class RateFile:
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value > HIGHEST:
        return None
    if value.as_tuple().exponent < -PLACES:  # type: ignore[operator]  # finite: an int
        return None
    return value


def parse(text: str) -> RateFile:
    """Return the rates of the file and one message per refused line (every line is checked).

    Refused: a header that does not start with `Date` or names a currency that is not three letters (or names one
    twice), a date that is not YYYY-MM-DD or outside the date window, the same day twice, a rate that is not a
    positive number with at most six decimals, and a line with more cells than the header.
    """
    result = RateFile()
    lines = [
        (n, raw)
        for n, raw in enumerate(text.splitlines(), start=1)
        if raw.strip() and not raw.startswith("#")
    ]
    if not lines:
        result.errors.append("the file has no header and no rows")
        return result
    header_line, header = lines[0]
    names = [cell.strip() for cell in next(csv.reader([header]))]
    while names and names[-1] == "":
        names.pop()
    currencies = [name.upper() for name in names[1:]]
    if not names or names[0] != "Date":
        result.errors.append(
            f"line {header_line}: the header must start with Date (the ECB's eurofxref-hist.csv)"
        )
        return result
    bad = [name for name in currencies if not (len(name) == 3 and name.isalpha() and name.isascii())]
    if bad or len(set(currencies)) != len(currencies):
        result.errors.append(
            f"line {header_line}: a currency must be three letters, each once (not {bad or names})"
        )
        return result
    seen: dict[date, int] = {}
    for number, raw in lines[1:]:
        cells = [cell.strip() for cell in next(csv.reader([raw]))]
        while len(cells) > len(names) and cells[-1] == "":
            cells.pop()
        problems = []
        if len(cells) > len(names):
            problems.append(f"{len(cells)} columns, more than the header's {len(names)}")
        try:
            day: date | None = date.fromisoformat(cells[0])
        except ValueError:
            day = None
        if day is None or not FIRST_DAY <= day <= LAST_DAY:
            problems.append(f"bad date {cells[0]!r} (YYYY-MM-DD between {FIRST_DAY} and {LAST_DAY})")
            day = None
        elif day in seen:
            problems.append(f"{cells[0]} is already given on line {seen[day]}")
        else:
            seen[day] = number
        found = []
        for currency, text in zip(currencies, cells[1:], strict=False):
            if text in NOT_QUOTED:
                continue
            value = _number(text)
            if value is None:
                problems.append(
                    f"bad rate {text!r} for {currency} (a positive number, at most {PLACES} decimals)"
                )
            elif day is not None:
                found.append(Row(currency, day, value))
        if problems:
            result.errors.append(f"line {number}: " + "; ".join(problems))
        else:
            result.rows.extend(found)
    return result


def read(path: Path) -> RateFile:
    """Return the parsed file at `path` (UTF-8, a BOM tolerated)."""
    return parse(path.read_text(encoding="utf-8-sig"))

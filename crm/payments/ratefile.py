"""The late-payment rates file (`crm/payments/data/rates.csv`): read and checked row by row, no Django.

The same reader serves the data migration that loads the shipped file and the `load_late_payment_rates` command
that refreshes the rates from a newer one, so a file the migration accepts is one the command accepts.

The format: `#` comment lines (one of them `# last checked: YYYY-MM-DD`, the day the values were last checked
against the publications), then a CSV header `kind,valid_from,rate_percent,source` and one row per rate.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from crm.core.days import FIRST_DAY, LAST_DAY
from crm.payments import interest

SHIPPED = Path(__file__).parent / "data" / "rates.csv"
COLUMNS = ["kind", "valid_from", "rate_percent", "source"]
CHECKED_LINE = re.compile(r"^#\s*last checked:\s*(\S+)\s*$", re.IGNORECASE)

# The bounds of `LatePaymentRate.percent` (max_digits=6, decimal_places=3, -5..100); dates in the window.
LOWEST, HIGHEST = Decimal("-5"), Decimal("100")
SOURCE_LENGTH = 300


@dataclass(frozen=True)
class Row:
    line: int
    kind: str
    valid_from: date
    percent: Decimal
    source: str


@dataclass
class RateFile:
    checked_on: date | None = None
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _percent(text: str) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value.as_tuple().exponent < -3:  # type: ignore[operator]  # finite: an int
        return None
    return value


def parse(text: str) -> RateFile:
    """Return the file's date, its rows and one message per refused line (every line is checked).

    Refused: a date that is not YYYY-MM-DD or outside the date window, a rate that is not a number with at most three
    decimals between -5 and 100, an unknown kind, a half-yearly kind not starting on a 1 January or 1 July, and
    two rows of one kind from the same day (or, for a half-yearly kind, the same half-year).
    """
    result = RateFile()
    data_lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("#"):
            match = CHECKED_LINE.match(line)
            if match:
                try:
                    result.checked_on = date.fromisoformat(match.group(1))
                except ValueError:
                    result.errors.append(
                        f"line {number}: bad date {match.group(1)!r} in 'last checked' (YYYY-MM-DD)"
                    )
        elif line:
            data_lines.append((number, raw))
    if result.checked_on is None and not result.errors:
        result.errors.append("the file has no '# last checked: YYYY-MM-DD' line")
    if not data_lines:
        result.errors.append("the file has no header and no rows")
        return result
    header_line, header = data_lines[0]
    if [cell.strip() for cell in next(csv.reader([header]))] != COLUMNS:
        result.errors.append(f"line {header_line}: the header must be {','.join(COLUMNS)}")
        return result
    seen: dict[tuple[str, date], int] = {}
    for number, raw in data_lines[1:]:
        cells = [cell.strip() for cell in next(csv.reader([raw]))]
        if len(cells) != len(COLUMNS):
            result.errors.append(f"line {number}: {len(cells)} columns instead of {len(COLUMNS)}")
            continue
        kind, day_text, percent_text, source = cells
        problems = []
        if kind not in interest.SERIES:
            problems.append(f"unknown kind {kind!r} (one of {', '.join(interest.SERIES)})")
        try:
            day: date | None = date.fromisoformat(day_text)
        except ValueError:
            day = None
        if day is None or not FIRST_DAY <= day <= LAST_DAY:
            problems.append(f"bad date {day_text!r} (YYYY-MM-DD between {FIRST_DAY} and {LAST_DAY})")
            day = None
        percent = _percent(percent_text)
        if percent is None or not LOWEST <= percent <= HIGHEST:
            problems.append(f"bad number {percent_text!r} (a rate in percent, at most 3 decimals, -5 to 100)")
        if len(source) > SOURCE_LENGTH:
            problems.append(f"source longer than {SOURCE_LENGTH} characters")
        half_yearly = kind in interest.HALF_YEARLY
        if day is not None and half_yearly and day != interest.half_year_start(day):
            problems.append(
                f"{kind} is set per half-year: it starts on a 1 January or 1 July, not {day_text}"
            )
        if day is not None and kind in interest.SERIES:
            key = (kind, interest.half_year_start(day) if half_yearly else day)
            if key in seen:
                problems.append(
                    f"overlapping duplicate: {kind} from {day_text} is already given on line {seen[key]}"
                )
            else:
                seen[key] = number
        if problems:
            result.errors.append(f"line {number}: " + "; ".join(problems))
        else:
            assert day is not None and percent is not None  # noqa: S101  # no problem means both parsed
            result.rows.append(Row(number, kind, day, percent, source))
    return result


def read(path: Path) -> RateFile:
    """Return the parsed file at `path` (UTF-8, a BOM tolerated)."""
    return parse(path.read_text(encoding="utf-8-sig"))


def shipped_tables() -> dict[str, interest.RateTable]:
    """Return the rates of the shipped file by series, as the data migration stores them (read at each call)."""
    shipped = read(SHIPPED)
    if shipped.errors:
        raise ValueError(f"{SHIPPED.name}: " + " / ".join(shipped.errors))
    return {
        series: interest.table_of(
            series,
            (interest.DatedRate(row.valid_from, row.percent) for row in shipped.rows if row.kind == series),
            shipped.checked_on,
        )
        for series in interest.SERIES
    }

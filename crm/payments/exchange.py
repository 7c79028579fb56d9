"""Store the exchange reference rates of a rates file (`crm.payments.fxfile`) in `Rate`, all or nothing.

The command `load_exchange_rates` and the beat task `crm.load_exchange_rates` call `store_rates`; the data
migration that ships the first set writes the same rows.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from crm.models import Rate
from crm.payments import fxfile

BATCH_SIZE = 2000


def store_rates(parsed: fxfile.RateFile) -> tuple[int, int]:
    """Add the file's new rates and correct the ones it changes, in one transaction; return (added, changed).

    A rate already as in the file is left alone, so the same file twice changes nothing; rates absent from the
    file are kept (a file may cover a few months only). The ECB's full file (about 200,000 rates) is read in one
    query per currency and written in batches.
    """
    if parsed.errors:
        raise ValueError("a rates file with errors is never stored")
    new: list[Rate] = []
    changed: list[Rate] = []
    with transaction.atomic():
        by_currency: dict[str, list[fxfile.Row]] = {}
        for row in parsed.rows:
            by_currency.setdefault(row.currency, []).append(row)
        for currency, rows in sorted(by_currency.items()):
            existing: dict[object, tuple[int, Decimal]] = {
                day: (pk, per_euro)
                for pk, day, per_euro in Rate.objects.select_for_update()
                .filter(currency=currency)
                .values_list("pk", "day", "per_euro")
            }
            for row in rows:
                known = existing.get(row.day)
                if known is None:
                    new.append(Rate(currency=currency, day=row.day, per_euro=row.per_euro))
                elif known[1] != row.per_euro:
                    changed.append(Rate(pk=known[0], currency=currency, day=row.day, per_euro=row.per_euro))
        Rate.objects.bulk_create(new, batch_size=BATCH_SIZE)
        Rate.objects.bulk_update(changed, ["per_euro"], batch_size=BATCH_SIZE)
    return len(new), len(changed)

"""The exchange reference rates refresh: a beat task that loads the file at EXCHANGE_RATES_FILE, when set (a copy
of the ECB's eurofxref-hist.csv fetched by the host, e.g. a cron's curl: Confiance itself never calls the network)."""

from __future__ import annotations

import logging
from pathlib import Path

from celery import shared_task
from django.conf import settings

from crm.payments import fxfile
from crm.payments.exchange import store_rates

logger = logging.getLogger(__name__)


@shared_task(name="crm.load_exchange_rates", ignore_result=True)
def load_exchange_rates() -> tuple[int, int] | None:
    """Load EXCHANGE_RATES_FILE into the rates (as `manage.py load_exchange_rates` does); return (added,
    changed), or None when no file is configured, or it cannot be read, or it has a bad line (nothing loaded)."""
    if not settings.EXCHANGE_RATES_FILE:
        return None
    path = Path(settings.EXCHANGE_RATES_FILE)
    try:
        parsed = fxfile.read(path)
    except (OSError, UnicodeDecodeError) as error:
        logger.warning("exchange rates: %s cannot be read (%s)", path, error)
        return None
    if parsed.errors:
        logger.warning("exchange rates: %s refused, nothing loaded: %s", path, "; ".join(parsed.errors[:5]))
        return None
    added, changed = store_rates(parsed)
    logger.info("exchange rates: %s added, %s changed from %s", added, changed, path)
    return added, changed

"""Days written out as every page and email writes them, one way per language (`crm.core.dates.DAY_PATTERNS`)."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone

from crm.core.dates import DAY, written_day

register = template.Library()


@register.filter
def written(value: date | datetime | None, kind: str = DAY) -> str:
    """Write a day ("day", "short_day" or "full_day") in the active language; a moment is first taken to the
    active time zone's day."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return written_day(value, kind)

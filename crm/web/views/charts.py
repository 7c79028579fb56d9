"""The 90-day trust-health trend, drawn on the server as SVG coordinates (no chart library)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings

from clients.models import Client
from crm.models import HealthSnapshot

WIDTH, HEIGHT, PAD = 300, 100, 4


@dataclass
class TrendChart:
    points: str
    first: int | None
    last: int | None
    low: int | None
    high: int | None
    healthy_y: float
    watch_y: float
    end: tuple[float, float] | None = None
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def empty(self) -> bool:
        return not self.points


def _y(score: float) -> float:
    return round(PAD + (100 - score) * (HEIGHT - 2 * PAD) / 100, 1)


def trend_chart(client: Client, today: date, days: int = 90) -> TrendChart:
    """Return the client's daily trust health over the last `days` days as polyline points (one query)."""
    start = today - timedelta(days=days)
    scores = list(
        HealthSnapshot.objects.filter(client=client, day__gte=start, day__lte=today)
        .order_by("day")
        .values_list("day", "score")
    )
    coords = [(round((day - start).days * WIDTH / days, 1), _y(score)) for day, score in scores]
    points = " ".join(f"{x},{y}" for x, y in coords)
    values = [score for _day, score in scores]
    return TrendChart(
        points=points,
        first=values[0] if values else None,
        last=values[-1] if values else None,
        low=min(values, default=None),
        high=max(values, default=None),
        healthy_y=_y(settings.TRUST_BAND_HEALTHY),
        watch_y=_y(settings.TRUST_BAND_WATCH),
        end=coords[-1] if coords else None,
    )

"""A resident's activity by hour of day, for the alert detail chart: the last N days as a heatmap and
today against the usual band. Pure shaping of hourly counts; the query lives in routes/homes.py."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from models.stats import quantile

LOCAL_TZ = ZoneInfo("Europe/London")  # residents live their days in UK local time, clocks change and all
ACTIVITY_TYPES = ("motion", "door", "bed", "chair", "fridge", "toilet")


def shape_activity(hourly: list[tuple[datetime, int]], today: date, days: int) -> dict[str, Any]:
    """Hourly counts (UTC buckets) → local-day × hour grid, plus today's line and the usual band.

    The band is the 10th–90th percentile and median of the same hour over the previous `days` days,
    so an operator sees at a glance whether today is unusual, and when.
    """
    grid: dict[date, list[int]] = defaultdict(lambda: [0] * 24)
    for bucket, count in hourly:
        local = bucket.astimezone(LOCAL_TZ)
        grid[local.date()][local.hour] += int(count)
    day_list = [today - timedelta(days=offset) for offset in range(days, -1, -1)]
    history = [grid[d] for d in day_list[:-1]]
    by_hour = [[float(day[h]) for day in history] for h in range(24)]
    return {
        "timezone": str(LOCAL_TZ),
        "days": [{"date": d.isoformat(), "hours": grid[d]} for d in day_list],
        "today": {"date": today.isoformat(), "hours": grid[today]},
        "usual": {
            "median": [statistics.median(v) if v else 0.0 for v in by_hour],
            "low": [quantile(v, 0.1, 0.0) for v in by_hour],
            "high": [quantile(v, 0.9, 0.0) for v in by_hour],
        },
    }

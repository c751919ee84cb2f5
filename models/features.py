"""Per-home, per-care-day features from readings (the numbers derived from one day live in models.day).

The daily summaries come out of the same `Tracker` that live scoring uses (models.tracker), so what a
baseline learned and what a detector sees are measured the same way. A care day runs 04:00 to 04:00
local time; its fields are documented on `DayFeatures` (models.day).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from models.day import (
    BATHROOM,
    BEDROOM,
    HALLWAY,
    KITCHEN,
    LOUNGE,
    PRIVATE_ROOMS,
    DayFeatures,
    activity_of,
    awake_home_min,
    usable,
)
from models.readings import Reading
from models.tracker import Tracker, TrackerParams
from models.warmth import COLD_LIMIT_C

__all__ = [
    "BATHROOM", "BEDROOM", "COLD_LIMIT_C", "HALLWAY", "KITCHEN", "LOUNGE", "PRIVATE_ROOMS",
    "DayFeatures", "Tracker", "TrackerParams", "activity_of", "awake_home_min", "daily_features", "usable",
]


def daily_features(readings: Iterable[Reading], params: TrackerParams | None = None,
                   until: datetime | None = None) -> list[DayFeatures]:
    """The completed care days in time-ordered `readings`, oldest first; `until` closes the days before it."""
    tracker = Tracker(params, history_days=100_000)
    for reading in readings:
        if reading.type == "heartbeat":
            tracker.heartbeat(reading.device_id, reading.ts)
        else:
            tracker.observe(reading)
    if until is not None:
        tracker.advance(until)
    return list(tracker.days)

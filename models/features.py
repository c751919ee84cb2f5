"""Per-home, per-care-day features from readings, and the numbers derived from them.

The daily summaries come out of the same `Tracker` that live scoring uses (models.tracker), so what a
baseline learned and what a detector sees are measured the same way. A care day runs 04:00 to 04:00
local time; its fields are documented on `DayFeatures` (models.day).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from models.day import BATHROOM, BEDROOM, HALLWAY, KITCHEN, LOUNGE, PRIVATE_ROOMS, DayFeatures
from models.readings import Reading
from models.tracker import COLD_LIMIT_C, Tracker, TrackerParams

__all__ = [
    "BATHROOM", "BEDROOM", "COLD_LIMIT_C", "HALLWAY", "KITCHEN", "LOUNGE", "PRIVATE_ROOMS",
    "DayFeatures", "Tracker", "TrackerParams", "activity_of", "awake_home_min", "daily_features", "usable",
]

FULL_DAY_MIN = 20 * 60.0  # heard from for less of the day than this (unit offline, away): teaches little
LONG_OUT_MIN = 6 * 60.0
OUTAGE_OK_MIN = 45.0
MIN_AWAKE_MIN = 240.0
LONG_STILL_MIN = 60.0


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


def usable(day: DayFeatures, finished: bool = True) -> bool:
    """A day the resident spent mostly at home, heard from throughout, every sensor working. An unfinished
    day (today, once the resident has gone to bed) need not have been heard from until 04:00."""
    return ((not finished or day.observed_min >= FULL_DAY_MIN) and day.time_out_min < LONG_OUT_MIN
            and day.wake_min is not None and day.bedtime_min is not None and day.offline_min < OUTAGE_OK_MIN
            and day.sensor_gap_min < OUTAGE_OK_MIN)


def awake_home_min(day: DayFeatures) -> float:
    """Minutes between getting up and going to bed, less the time out and any hour-long still spell (a
    fall or a long doze is its own alert, not a sign of slowing down)."""
    if day.wake_min is None:
        return 0.0
    end = day.bedtime_min if day.bedtime_min is not None else (day.last_seen or day.wake_min)
    return max(end - day.wake_min - day.time_out_min - day.still_min, 0.0)


def activity_of(day: DayFeatures) -> float | None:
    """Minutes with movement per waking hour at home: the level the decline detector follows. None for a
    day that cannot say (under four waking hours at home, or one with a long still spell: a fall or a
    collapse is an acute alert, not a trend).

    Per hour awake and in, so an outing or an early night is not taken for slowing down."""
    awake = awake_home_min(day)
    if awake < MIN_AWAKE_MIN or day.still_min >= LONG_STILL_MIN:
        return None
    return day.active_minutes / (awake / 60.0)

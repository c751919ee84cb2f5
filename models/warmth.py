"""The home's temperature: how cold it got today and tonight, and since when it has been below the limit.

A mixin of models.tracker.Tracker, kept apart because it is one idea: cold_home reads `cold_since` and
`cold_evidence`, the baselines learn from the day's minimum temperatures.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from models.clock import local_hour
from models.presence import EVIDENCE_CAP
from models.readings import Reading

if TYPE_CHECKING:
    from models.tracker import Tracker

COLD_LIMIT_C = 16.0  # below this for an hour is a risk for an older person whatever their habits
# Declared as slots on models.tracker.Tracker: only one class in a multiple inheritance may hold any.
WARMTH_SLOTS = ("cold_evidence", "cold_since", "last_temp")


def is_night_clock(ts: datetime) -> bool:
    """22:00 to 07:00 on the wall clock."""
    hour = local_hour(ts)
    return hour >= 22 or hour < 7


class Warmth:
    __slots__ = ()

    def __init__(self) -> None:
        self.cold_since: datetime | None = None
        self.cold_evidence: list[tuple[str, datetime, float]] = []
        self.last_temp: tuple[datetime, float] | None = None

    def _temperature(self: Tracker, r: Reading) -> None:
        if r.value is None or self.today is None:
            return
        ts, value = r.ts, float(r.value)
        self.last_temp = (ts, value)
        day = self.today
        day.temp_min = value if day.temp_min is None else min(day.temp_min, value)
        if is_night_clock(ts):
            day.night_temp_min = value if day.night_temp_min is None else min(day.night_temp_min, value)
        if value < COLD_LIMIT_C:
            self.cold_since = self.cold_since or ts
            if len(self.cold_evidence) < EVIDENCE_CAP:
                self.cold_evidence.append((r.device_id, ts, value))
        else:
            self.cold_since = None
            self.cold_evidence = []

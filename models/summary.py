"""What the detectors read of a finished care day, and a compact rolling history of it.

Live scoring keeps five weeks of days for every home. A full DayFeatures (models.day) carries the lists
baselines learn from (kitchen stays, hourly gaps, bathroom visits) and weighs some 13 KiB; the detectors
only ever ask of a finished day whether it is usable, its pace, and its slowing measures (models.slowing).
Those are fixed once the day is closed, so the tracker summarises each day as it closes and keeps the
summaries packed eight doubles to a day: five weeks in about 2 KiB instead of about 450.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from models.day import DayFeatures, usable
from models.slowing import MEASURES, measures

_NAMES = tuple(m.name for m in MEASURES)
_WIDTH = 3 + len(_NAMES)  # ordinal, usable, pace, then each measure; NaN stands for "none"
_NONE = math.nan


@dataclass(frozen=True, slots=True)
class DaySummary:
    day: date
    usable: bool  # models.features.usable
    pace: float | None  # DayFeatures.pace
    measures: dict[str, float]  # models.slowing.measures, in its order


def summarise(day: DayFeatures, finished: bool = True) -> DaySummary:
    return DaySummary(day.day, usable(day, finished), day.pace, measures(day))


class DayHistory:
    """The latest `maxlen` day summaries, oldest first."""

    __slots__ = ("_values", "maxlen")

    def __init__(self, maxlen: int) -> None:
        self.maxlen = maxlen
        self._values = array("d")

    def append(self, summary: DaySummary) -> None:
        if self.maxlen <= 0:
            return
        pace = summary.pace
        self._values.extend((float(summary.day.toordinal()), float(summary.usable),
                             _NONE if pace is None else pace,
                             *(summary.measures.get(name, _NONE) for name in _NAMES)))
        if len(self._values) > self.maxlen * _WIDTH:
            del self._values[:_WIDTH]

    def __len__(self) -> int:
        return len(self._values) // _WIDTH

    def oldest_ordinal(self) -> float:
        """The oldest kept day's date ordinal (inf when none is kept)."""
        return self._values[0] if self._values else math.inf

    def newest_ordinal(self) -> float:
        """The newest kept day's date ordinal (-inf when none is kept)."""
        return self._values[-_WIDTH] if self._values else -math.inf

    def since(self, ordinal: float) -> list[DaySummary]:
        """The summaries of the days from this date ordinal on, oldest first."""
        first = len(self)
        while first > 0 and self._values[(first - 1) * _WIDTH] >= ordinal:
            first -= 1
        return [self._at(i) for i in range(first, len(self))]

    def last(self, count: int) -> list[DaySummary]:
        """The latest `count` summaries, oldest first."""
        return [self._at(i) for i in range(max(len(self) - count, 0), len(self))]

    def __iter__(self) -> Iterator[DaySummary]:
        return (self._at(i) for i in range(len(self)))

    def __reversed__(self) -> Iterator[DaySummary]:
        return (self._at(i) for i in range(len(self) - 1, -1, -1))

    def _at(self, index: int) -> DaySummary:
        row = self._values[index * _WIDTH:(index + 1) * _WIDTH]
        pace = row[2]
        found = {name: value for name, value in zip(_NAMES, row[3:], strict=True) if not math.isnan(value)}
        return DaySummary(date.fromordinal(int(row[0])), bool(row[1]), None if math.isnan(pace) else pace, found)

"""London wall-clock days as UTC epoch seconds, for the fast generators.

Residents live by the wall clock (up at 07:30 in summer and winter alike) while every event carries
UTC. The generators work in float epoch seconds because datetime arithmetic dominates their cost;
only finished events are turned into datetimes.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/London")
HOUR = 3600.0
MINUTE = 60.0


class LocalDay:
    """One local calendar day: `start`/`end` are local midnights in epoch seconds, 23, 24 or 25 hours apart."""

    __slots__ = ("_midnight", "day", "end", "start")

    def __init__(self, day: date) -> None:
        self.day = day
        self._midnight = datetime.combine(day, time(0), LOCAL_TZ)
        self.start = self._midnight.timestamp()
        self.end = datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ).timestamp()

    def at(self, hour: float) -> float:
        """Epoch seconds of wall-clock `hour` on this day (may exceed 24 for the small hours of the next).

        A wall time the spring clock change skips (01:30 on the last Sunday of March) is read as GMT,
        i.e. it lands at 02:30 BST: the resident's alarm simply goes off an hour 'late'.
        """
        return (self._midnight + timedelta(hours=hour)).timestamp()


def local_hour(t: float) -> float:
    """Local wall-clock hour (0–24) of epoch `t`."""
    local = datetime.fromtimestamp(t, LOCAL_TZ)
    return local.hour + local.minute / 60 + local.second / 3600

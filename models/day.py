"""One care day (04:00 to 04:00 local) of a home, in numbers: what the baselines learn from, and what the
detectors ask of a day (whether it is usable, how active the resident was)."""

from __future__ import annotations

from collections.abc import MutableSequence
from dataclasses import dataclass, field
from datetime import date

BEDROOM, BATHROOM, HALLWAY, KITCHEN, LOUNGE = "bedroom", "bathroom", "hallway", "kitchen", "lounge"
MIN_PACE_SAMPLES = 30
FULL_DAY_MIN = 20 * 60.0  # heard from for less of the day than this (unit offline, away): teaches little
LONG_OUT_MIN = 6 * 60.0
OUTAGE_OK_MIN = 45.0
MIN_AWAKE_MIN = 240.0
LONG_STILL_MIN = 60.0
PRIVATE_ROOMS = frozenset({BEDROOM, BATHROOM, "toilet"})  # where a night-time trip normally goes


@dataclass(slots=True)
class DayFeatures:
    """Minutes are care minutes (models.clock): 07:30 is 450, 00:30 after a late night is 1470."""

    day: date
    wake_min: float | None = None  # got up for the day (a lasting bed-out, or the living rooms)
    bedtime_min: float | None = None  # into bed for the night
    motion_total: int = 0
    active_minutes: int = 0  # distinct clock minutes with any motion
    motion_by_hour: list[int] = field(default_factory=lambda: [0] * 24)  # local hour
    motion_by_room: dict[str, int] = field(default_factory=dict)
    transitions: int = 0  # room changes
    pace_sum: float = 0.0  # seconds between consecutive movements in the same room, while up and about
    pace_n: int = 0
    seated_gaps: MutableSequence[float] = field(default_factory=list)  # those of pace_sum's gaps taken in the chair (s)
    sits: list[float] = field(default_factory=list)  # minutes per sit in the chair (pad pressed to released)
    bathroom_stays: list[float] = field(default_factory=list)  # minutes
    kitchen_stays: list[tuple[float, float]] = field(default_factory=list)  # (start, minutes)
    fridge_opens: list[float] = field(default_factory=list)  # care minutes
    night_events: int = 0  # wandering movements (up, out of bedroom and bathroom) in the night before
    night_door: int = 0  # front door opened in the night before while the resident was up and home
    others_in_bed: int = 0  # movements outside the bedroom while the resident was in bed: someone else
    night_temp_min: float | None = None
    temp_min: float | None = None
    still_min: float = 0.0  # minutes in spells of an hour or more with nothing moving, up and at home
    outings: list[tuple[float, float]] = field(default_factory=list)  # (left, minutes out)
    gaps: dict[str, list[float]] = field(default_factory=dict)  # room -> longest still spell (min) per hour
    offline_min: float = 0.0  # minutes nothing at all came through (home unit offline)
    sensor_gap_min: float = 0.0  # minutes a supervised sensor was silent (its events are missing)
    first_seen: float | None = None  # care minute of the day's first reading
    last_seen: float | None = None

    @property
    def pace(self) -> float | None:
        """Mean seconds between a PIR's re-triggers while someone stays in a room: slower as a person slows."""
        return self.pace_sum / self.pace_n if self.pace_n >= MIN_PACE_SAMPLES else None

    @property
    def time_out_min(self) -> float:
        return sum(minutes for _, minutes in self.outings)

    @property
    def observed_min(self) -> float:
        """Minutes of the day the home was heard from (first to last reading)."""
        if self.first_seen is None or self.last_seen is None:
            return 0.0
        return self.last_seen - self.first_seen

    def to_dict(self) -> dict[str, object]:
        body = {name: getattr(self, name) for name in self.__dataclass_fields__}
        body["day"] = self.day.isoformat()
        return body

    @classmethod
    def from_dict(cls, body: dict[str, object]) -> DayFeatures:
        values = dict(body)
        values["day"] = date.fromisoformat(str(values["day"]))
        values["kitchen_stays"] = [tuple(x) for x in values.get("kitchen_stays", [])]  # type: ignore[attr-defined]
        values["outings"] = [tuple(x) for x in values.get("outings", [])]  # type: ignore[attr-defined]
        return cls(**values)  # type: ignore[arg-type]


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

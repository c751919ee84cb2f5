"""What each labelled anomaly and trap must look like in the readings; shared by the history tests."""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Callable
from datetime import datetime, time, timedelta

from models.readings import Reading
from simulators.history import HomeHistory
from simulators.localtime import LOCAL_TZ

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

# Plausible duration of each kind: (shortest, longest).
DURATIONS: dict[str, tuple[timedelta, timedelta]] = {
    "no_activity_morning": (3 * HOUR, 12 * HOUR),
    "prolonged_inactivity": (2 * HOUR, 6.5 * HOUR),
    "night_wandering": (30 * MIN, 3.5 * HOUR),
    "door_open_night": (timedelta(seconds=5), 2.1 * HOUR),
    "prolonged_bathroom": (55 * MIN, 185 * MIN),
    "missed_meal": (90 * MIN, 4 * HOUR),
    "cold_home": (2 * HOUR, 7 * DAY),
    "activity_decline": (14 * DAY, 60 * DAY),
    "device_silent": (2 * HOUR, 12 * HOUR),
    "unit_offline": (1 * HOUR, 8 * HOUR),
    "away_weekend": (16 * HOUR, 4 * DAY),
    "hospital_stay": (2 * DAY, 11 * DAY),
    "visitors": (20 * MIN, 4 * HOUR),
    "late_night_out": (2 * HOUR, 9 * HOUR),
}


class Index:
    """Readings of one history with time-range lookups."""

    def __init__(self, history: HomeHistory) -> None:
        self.history = history
        self.readings = history.readings
        self.times = [r.ts for r in history.readings]

    def between(self, start: datetime, end: datetime, type_: str | None = None) -> list[Reading]:
        lo, hi = bisect.bisect_left(self.times, start), bisect.bisect_left(self.times, end)
        return [r for r in self.readings[lo:hi] if type_ is None or r.type == type_]

    def at(self, moment: datetime, type_: str, value: float | int | None = None) -> bool:
        return any(r.type == type_ and (value is None or r.value == value)
                   for r in self.between(moment, moment + timedelta(milliseconds=1)))


def local_hour(moment: datetime) -> float:
    local = moment.astimezone(LOCAL_TZ)
    return local.hour + local.minute / 60


def _no_activity_morning(ix: Index, start: datetime, end: datetime) -> None:
    rooms = {r.room for r in ix.between(start, end, "motion")}
    assert rooms <= {"bedroom"}, f"motion in {rooms} during the lie-in"
    assert not [r for r in ix.between(start, end, "bed") if r.value == 0], "out of bed during the lie-in"
    assert ix.at(end, "bed", 0), "the lie-in ends with getting out of bed"


def _prolonged_inactivity(ix: Index, start: datetime, end: datetime) -> None:
    last = [r for r in ix.between(start, start + timedelta(milliseconds=1), "motion")]
    assert last and last[0].room in {"lounge", "kitchen", "hallway"}, "starts at the last motion"
    during = [r for r in ix.between(start + timedelta(milliseconds=1), end)
              if r.type in {"motion", "door", "bed", "chair", "toilet"}]
    assert not during, f"activity while on the floor: {during[:3]}"


def _night_wandering(ix: Index, start: datetime, end: datetime) -> None:
    assert 0 <= local_hour(start) < 6
    rooms = {r.room for r in ix.between(start, end, "motion")}
    assert len(rooms & {"kitchen", "lounge", "hallway"}) >= 2, rooms
    assert ix.at(start, "bed", 0) and ix.at(end, "bed", 1)


def _door_open_night(ix: Index, start: datetime, end: datetime) -> None:
    assert 0 <= local_hour(start) < 5
    assert ix.at(start, "door", 1) and ix.at(end, "door", 0)


def _prolonged_bathroom(ix: Index, start: datetime, end: datetime) -> None:
    rooms = {r.room for r in ix.between(start, end, "motion")}
    assert rooms == {"bathroom"}, rooms


def _missed_meal(ix: Index, start: datetime, end: datetime) -> None:
    kitchen = [r for r in ix.between(start, end) if r.room == "kitchen" and (r.type != "power" or r.value)]
    assert not kitchen, f"kitchen activity in a missed meal window: {kitchen[:3]}"


def _cold_home(ix: Index, start: datetime, end: datetime) -> None:
    temperatures = ix.between(start, end, "temperature")
    assert temperatures[0].ts == start and temperatures[0].value < 16
    assert min(r.value for r in temperatures) < 15


def _device_silent(ix: Index, start: datetime, end: datetime, device_id: str) -> None:
    assert device_id
    assert not [r for r in ix.between(start, end) if r.device_id == device_id]
    assert (device_id, start, end) in ix.history.heartbeat_gaps


def _unit_offline(ix: Index, start: datetime, end: datetime) -> None:
    assert not ix.between(start, end)
    assert ("", start, end) in ix.history.heartbeat_gaps


def _activity_decline(ix: Index, start: datetime, end: datetime) -> None:
    history = ix.history
    assert end == history.end
    # Medians: a night of wandering or an afternoon of visitors in the last week is not the trend.
    baseline = statistics.median(len(ix.between(history.start + n * DAY, history.start + (n + 1) * DAY, "motion"))
                                 for n in range(21))
    tail = statistics.median(len(ix.between(history.end - (n + 1) * DAY, history.end - n * DAY, "motion"))
                             for n in range(7))
    assert tail <= 0.7 * baseline, f"{tail:.0f} motions a day at the end vs {baseline:.0f} before"


def _empty_home(ix: Index, start: datetime, end: datetime) -> None:
    assert ix.at(start, "door", 1) and ix.at(end, "door", 1), "door out and door back in"
    assert not ix.between(start + MIN, end, "motion"), "motion in an empty home"


def _hospital_stay(ix: Index, start: datetime, end: datetime) -> None:
    assert any(a.start == start and a.end == end and a.reason == "hospital" for a in ix.history.absences)
    resident = ix.history.resident
    if resident is not None and not resident.partner:
        _empty_home(ix, start, end)


def _late_night_out(ix: Index, start: datetime, end: datetime) -> None:
    assert local_hour(start) >= 17 and 0 <= local_hour(end) < 3
    _empty_home(ix, start, end)


def _visitors(ix: Index, start: datetime, end: datetime) -> None:
    assert ix.at(start, "door", 1) and ix.at(end, "door", 1)
    assert len(ix.between(start, end, "motion")) >= (end - start) / (10 * MIN)


CHECKS: dict[str, Callable[..., None]] = {
    "no_activity_morning": _no_activity_morning, "prolonged_inactivity": _prolonged_inactivity,
    "night_wandering": _night_wandering, "door_open_night": _door_open_night,
    "prolonged_bathroom": _prolonged_bathroom, "missed_meal": _missed_meal, "cold_home": _cold_home,
    "activity_decline": _activity_decline, "unit_offline": _unit_offline,
    "away_weekend": _empty_home, "hospital_stay": _hospital_stay, "late_night_out": _late_night_out,
    "visitors": _visitors,
}


def check_history(history: HomeHistory, warmup_days: int) -> None:
    """Every label of `history` has sane times and shows in the readings as its kind describes."""
    ix = Index(history)
    first_day = history.start.astimezone(LOCAL_TZ).date()
    clean_until = datetime.combine(first_day + timedelta(days=warmup_days), time(0), LOCAL_TZ)
    labels = [(a.kind, a.start, a.end, a.device_id) for a in history.anomalies]
    labels += [(t.kind, t.start, t.end, "") for t in history.traps]
    for kind, start, end, device_id in labels:
        where = f"{history.home.home_id} {kind} {start:%Y-%m-%d %H:%M}"
        shortest, longest = DURATIONS[kind]
        assert clean_until <= start < end <= history.end, where
        assert shortest <= end - start <= longest, f"{where}: lasts {end - start}"
        if kind == "device_silent":
            _device_silent(ix, start, end, device_id)
        else:
            assert not device_id, where
            try:
                CHECKS[kind](ix, start, end)
            except AssertionError as error:
                raise AssertionError(f"{where}: {error}") from error

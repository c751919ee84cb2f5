"""Hand-made resident days for the model tests: a small, readable routine with knobs for the scenarios.

Times are London wall-clock strings ("07:30", or "25:30" for 01:30 the next morning); every reading
carries the UTC instant, as the contract wants.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.readings import Reading

LONDON = ZoneInfo("Europe/London")
START = date(2026, 1, 5)  # a Monday, well clear of the clock changes
PIRS = {room: f"pir-{room}" for room in ("bedroom", "bathroom", "kitchen", "lounge", "hallway")}
DEVICES = (*PIRS.values(), "bed-1", "chair-lounge", "door-front", "fridge-1", "temp-lounge", "unit")


def at(day: date, clock: str) -> datetime:
    """UTC instant of a wall-clock time on `day` ('25:30' is 01:30 the next day)."""
    hours, minutes = (int(part) for part in clock.split(":"))
    local = datetime.combine(day + timedelta(days=hours // 24), time(hours % 24, minutes), LONDON)
    return local.astimezone(UTC)


@dataclass
class Day:
    day: date
    rng: random.Random
    pace: float = 1.0  # > 1: movements further apart (slowing down)
    chair: bool = False  # sits in the lounge chair, whose pad reports sitting down and standing up
    readings: list[Reading] = field(default_factory=list)

    def add(self, ts: datetime, device: str, type_: str, value: float | None, room: str | None) -> None:
        self.readings.append(Reading(ts, device, type_, value, room))

    def motion(self, ts: datetime, room: str) -> None:
        self.add(ts, PIRS[room], "motion", 1, room)

    def stay(self, room: str, start: datetime, minutes: float) -> datetime:
        """Occupy a room: its PIR fires on entry and every 1–5 minutes (scaled by `pace`)."""
        end = start + timedelta(minutes=minutes)
        t = start
        while t < end:
            self.motion(t, room)
            t += timedelta(seconds=self.rng.uniform(60, 300) * self.pace)
        return end

    def walk(self, start: datetime) -> datetime:
        self.motion(start, "hallway")
        return start + timedelta(seconds=30)

    def bed(self, ts: datetime, value: int) -> None:
        self.add(ts, "bed-1", "bed", value, "bedroom")

    def door(self, ts: datetime) -> datetime:
        self.add(ts, "door-front", "door", 1, "front_door")
        self.add(ts + timedelta(seconds=10), "door-front", "door", 0, "front_door")
        return ts + timedelta(seconds=10)

    def fridge(self, ts: datetime) -> None:
        self.add(ts, "fridge-1", "fridge", 1, "kitchen")
        self.add(ts + timedelta(seconds=30), "fridge-1", "fridge", 0, "kitchen")

    def meal(self, start: datetime, minutes: float) -> datetime:
        t = self.walk(start)
        self.fridge(t + timedelta(minutes=2))
        return self.walk(self.stay("kitchen", t, minutes))

    def bathroom(self, start: datetime, minutes: float) -> datetime:
        return self.walk(self.stay("bathroom", self.walk(start), minutes))

    def sit(self, start: datetime, minutes: float) -> datetime:
        """In the chair: the pad says so, the PIR sees them stir every 4–12 minutes (scaled by `pace`)."""
        end = start + timedelta(minutes=minutes)
        self.motion(start, "lounge")
        self.add(start + timedelta(seconds=15), "chair-lounge", "chair", 1, "lounge")
        t = start + timedelta(seconds=45)
        while t < end - timedelta(seconds=30):
            self.motion(t, "lounge")
            t += timedelta(seconds=self.rng.uniform(240, 720) * self.pace)
        self.add(end - timedelta(seconds=10), "chair-lounge", "chair", 0, "lounge")
        self.motion(end, "lounge")
        return end

    def lounge_until(self, start: datetime, until: datetime) -> datetime:
        """Sit in the lounge, with a trip to the bathroom every couple of hours (sitting longer as they slow)."""
        t = start
        while until - t > timedelta(minutes=20):
            if self.chair:
                t = self.sit(t, min(60 * self.pace, (until - t).total_seconds() / 60 - 12))
            else:
                t = self.stay("lounge", t, min(100, (until - t).total_seconds() / 60 - 12))
            if until - t > timedelta(minutes=15):
                t = self.bathroom(t, 5)
        return max(t, until)

    def temperatures(self, night_c: float = 18.0, day_c: float = 20.0) -> None:
        t = at(self.day, "00:00")
        end = at(self.day, "24:00")
        while t < end:
            hour = t.astimezone(LONDON).hour
            self.add(t, "temp-lounge", "temperature", night_c if hour < 7 or hour >= 23 else day_c, "lounge")
            t += timedelta(minutes=30)


def normal_day(day: date, *, wake: str = "07:30", bedtime: str = "22:30", lunch: str = "12:30",
               dinner: str = "18:00", skip: Iterable[str] = (), pace: float = 1.0, seed: int = 0,
               temperatures: bool = True, exact: bool = False, chair: bool = False) -> list[Reading]:
    """An ordinary day: up, breakfast, lounge, lunch, lounge, dinner, lounge, bed. Jitter of a few minutes
    comes from `seed` (none when `exact`); `skip` drops meals; `chair`: the lounge time is spent in the chair."""
    rng = random.Random(f"{day}:{seed}")
    d = Day(day, rng, pace, chair)

    def jitter(clock: str, spread: float = 12) -> datetime:
        return at(day, clock) + timedelta(minutes=0 if exact else rng.uniform(-spread, spread))

    up = jitter(wake)
    d.bed(up, 0)
    t = d.stay("bedroom", up + timedelta(seconds=30), 3)
    t = d.bathroom(t, 10)
    t = d.stay("bedroom", t, 5)
    t = d.meal(t, 20) if "breakfast" not in skip else d.stay("lounge", d.walk(t), 20)
    t = d.lounge_until(d.walk(t), jitter(lunch, 8))
    if "lunch" not in skip:
        t = d.meal(t, 25)
    t = d.lounge_until(d.walk(t), jitter(dinner, 8))
    if "dinner" not in skip:
        t = d.meal(t, 35)
    night = jitter(bedtime)
    t = d.lounge_until(d.walk(t), night - timedelta(minutes=20))
    t = d.bathroom(t, 6)
    t = d.stay("bedroom", t, 4)
    d.bed(t, 1)
    if temperatures:
        d.temperatures()
    return sorted(d.readings, key=lambda r: r.ts)


def history(days: int, start: date = START, **kwargs: object) -> list[Reading]:
    readings: list[Reading] = []
    for offset in range(days):
        readings += normal_day(start + timedelta(days=offset), seed=offset, **kwargs)  # type: ignore[arg-type]
    return readings


def until(readings: list[Reading], moment: datetime) -> list[Reading]:
    return [r for r in readings if r.ts <= moment]


def heartbeats(start: datetime, end: datetime, devices: Iterable[str] = DEVICES, every_min: int = 5,
               silent: dict[str, tuple[datetime, datetime]] | None = None) -> list[Reading]:
    """Heartbeat readings for `devices`, none from a device inside its `silent` window."""
    beats = []
    t = start
    while t <= end:
        for device in devices:
            window = (silent or {}).get(device)
            if window is None or not window[0] <= t < window[1]:
                beats.append(Reading(t, device, "heartbeat"))
        t += timedelta(minutes=every_min)
    return beats

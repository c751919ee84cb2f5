"""One resident's day as the sensor events it would produce. Pure: no clock, no I/O.

The day is lived in London local time (waking at 07:30 means 07:30 on the wall clock, in summer
and winter alike) and every event carries an aware UTC timestamp, as the contract wants.
The resident is in bed at local midnight at both ends of the day, so consecutive days join up.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from simulators.homes import HomeSpec

LOCAL_TZ = ZoneInfo("Europe/London")
TEMPERATURE_EVERY = timedelta(minutes=30)


@dataclass(frozen=True)
class SensorEvent:
    ts: datetime                  # aware, UTC
    device_id: str
    type: str
    value: float | int | None
    room: str | None


@dataclass(frozen=True)
class Persona:
    wake_h: float                 # mean local hour of getting up
    wake_sd_min: float
    bed_h: float                  # mean local hour of going to bed
    bed_sd_min: float
    night_toilet_visits: float    # mean visits per night
    outing_probability: float     # chance of leaving the home during the day
    lounge_stay_min: tuple[float, float]


PERSONAS: dict[str, Persona] = {
    "early_riser": Persona(6.25, 20, 21.5, 25, 0.6, 0.35, (40, 100)),
    "late_riser": Persona(8.75, 30, 23.25, 20, 0.4, 0.25, (50, 120)),
    "night_toilet": Persona(7.5, 25, 22.25, 25, 2.6, 0.25, (40, 100)),
    "goes_out": Persona(7.25, 20, 22.5, 25, 0.6, 0.8, (30, 80)),
    "homebody": Persona(7.75, 30, 22.75, 30, 0.8, 0.05, (60, 150)),
}
LATEST_BEDTIME_H = 23.7  # keeps bed-in before midnight, so the next day starts with the resident in bed


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means used here."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


class _DayBuilder:
    """Walks the resident from room to room, emitting what the sensors would see."""

    def __init__(self, home: HomeSpec, rng: random.Random) -> None:
        self.home = home
        self.rng = rng
        self.events: list[SensorEvent] = []
        self.bed = home.find("bed")
        self.fridge = home.find("fridge")
        self.front_door = home.find("door")

    def emit(self, ts: datetime, device_id: str, type_: str, value: float | int | None, room: str | None) -> None:
        self.events.append(SensorEvent(ts.astimezone(UTC), device_id, type_, value, room))

    def motion(self, ts: datetime, room: str) -> None:
        self.emit(ts, self.home.find("pir", room).device_id, "motion", 1, room)

    def stay(self, room: str, start: datetime, minutes: float) -> datetime:
        """Occupy `room`: a PIR fires on entry, then every few minutes while someone moves about."""
        end = start + timedelta(minutes=max(minutes, 0.3))
        t = start
        while t < end:
            self.motion(t, room)
            t += timedelta(seconds=self.rng.uniform(60, 360))
        return end

    def walk_through_hallway(self, start: datetime) -> datetime:
        return self.stay("hallway", start, self.rng.uniform(0.3, 1.2))

    def fridge_open(self, ts: datetime) -> None:
        self.emit(ts, self.fridge.device_id, "fridge", 1, self.fridge.room)
        self.emit(ts + timedelta(seconds=self.rng.uniform(8, 60)), self.fridge.device_id, "fridge", 0,
                  self.fridge.room)

    def meal(self, start: datetime, minutes: float, fridge_opens: int) -> datetime:
        start = self.walk_through_hallway(start)
        end = self.stay("kitchen", start, minutes)
        for _ in range(fridge_opens):
            self.fridge_open(start + timedelta(minutes=self.rng.uniform(0.5, max(minutes - 1.5, 0.6))))
        return self.walk_through_hallway(end)

    def bathroom_visit(self, start: datetime, minutes: float) -> datetime:
        start = self.walk_through_hallway(start)
        return self.walk_through_hallway(self.stay("bathroom", start, minutes))

    def night_toilet(self, start: datetime) -> datetime:
        self.emit(start, self.bed.device_id, "bed", 0, self.bed.room)
        t = self.stay("bedroom", start + timedelta(seconds=self.rng.uniform(5, 40)), self.rng.uniform(0.3, 1.0))
        t = self.bathroom_visit(t, self.rng.uniform(2, 7))
        t = self.stay("bedroom", t, self.rng.uniform(0.3, 1.0))
        self.emit(t, self.bed.device_id, "bed", 1, self.bed.room)
        return t

    def outing(self, start: datetime, minutes: float) -> datetime:
        t = self.walk_through_hallway(start)
        self.door_pass(t)
        back = t + timedelta(minutes=minutes)
        self.door_pass(back)
        return self.walk_through_hallway(back + timedelta(seconds=20))

    def door_pass(self, ts: datetime) -> None:
        self.emit(ts, self.front_door.device_id, "door", 1, self.front_door.room)
        self.emit(ts + timedelta(seconds=self.rng.uniform(4, 20)), self.front_door.device_id, "door", 0,
                  self.front_door.room)


def _local(day: date, hour: float) -> datetime:
    return datetime.combine(day, time(0), LOCAL_TZ) + timedelta(hours=hour)


def _daytime(builder: _DayBuilder, persona: Persona, start: datetime, until: datetime,
             outing: tuple[datetime, float] | None) -> tuple[datetime, tuple[datetime, float] | None]:
    """Lounge time broken up by bathroom visits, cups of tea and (once) an outing, up to `until`."""
    rng, t = builder.rng, start
    while until - t > timedelta(minutes=10):
        if outing and t >= outing[0] and until - t > timedelta(minutes=outing[1] + 15):
            t = builder.outing(t, outing[1])
            outing = None
            continue
        stay_min = min(rng.uniform(*persona.lounge_stay_min), (until - t).total_seconds() / 60)
        t = builder.stay("lounge", t, stay_min)
        if until - t < timedelta(minutes=15):
            break
        if rng.random() < 0.55:
            t = builder.bathroom_visit(t, rng.uniform(3, 10))
        else:
            t = builder.meal(t, rng.uniform(4, 10), fridge_opens=1 if rng.random() < 0.6 else 0)
    return max(t, until), outing


def _temperatures(home: HomeSpec, day: date, rng: random.Random) -> list[SensorEvent]:
    """A heated home: coolest before dawn, warm when the heating runs morning and evening."""
    sensor = home.find("temperature")
    home_rng = random.Random(f"thermal:{home.home_id}")  # each home keeps its own thermostat habits
    base = home_rng.uniform(18.0, 20.5)
    readings: list[SensorEvent] = []
    # Step in UTC: stepping local wall time would repeat or skip readings when the clocks change.
    t, end = _local(day, 0).astimezone(UTC), _local(day, 24).astimezone(UTC)
    drift = 0.0
    while t < end:
        local = t.astimezone(LOCAL_TZ)
        hour = local.hour + local.minute / 60
        heating = 1.6 * math.exp(-((hour - 8.0) ** 2) / 4.0) + 2.2 * math.exp(-((hour - 19.0) ** 2) / 8.0)
        night_chill = -1.5 * math.exp(-((hour - 4.5) ** 2) / 6.0)
        drift = 0.8 * drift + rng.gauss(0, 0.15)
        value = round(base + heating + night_chill + drift, 1)
        readings.append(SensorEvent(t, sensor.device_id, "temperature", value, sensor.room))
        t += TEMPERATURE_EVERY
    return readings


def daily_events(home: HomeSpec, day: date, rng: random.Random) -> list[SensorEvent]:
    """Everything the home's activity sensors report on local `day`, in time order."""
    persona = PERSONAS[home.persona]
    builder = _DayBuilder(home, rng)
    midnight, next_midnight = _local(day, 0), _local(day, 24)

    wake = _local(day, persona.wake_h + rng.gauss(0, persona.wake_sd_min) / 60)
    bed_h = min(persona.bed_h + rng.gauss(0, persona.bed_sd_min) / 60, LATEST_BEDTIME_H)
    bedtime = _local(day, max(bed_h, persona.wake_h + 12))

    # Night toilet visits after midnight and before waking; later ones across midnight belong to tomorrow.
    visits = sorted(midnight + (wake - midnight - timedelta(minutes=40)) * rng.uniform(0.1, 1.0)
                    for _ in range(_poisson(rng, persona.night_toilet_visits * 0.7)))
    t = midnight
    for visit in visits:
        if visit > t + timedelta(minutes=5):
            t = builder.night_toilet(visit)

    # Getting up: out of bed, bedroom, bathroom, dressed, breakfast.
    builder.emit(wake, builder.bed.device_id, "bed", 0, builder.bed.room)
    t = builder.stay("bedroom", wake + timedelta(seconds=rng.uniform(10, 60)), rng.uniform(2, 6))
    t = builder.bathroom_visit(t, rng.uniform(8, 20))
    t = builder.stay("bedroom", t, rng.uniform(4, 10))
    t = builder.meal(t, rng.uniform(15, 30), fridge_opens=rng.randint(1, 2))

    outing = None
    if rng.random() < persona.outing_probability:
        outing = (_local(day, rng.uniform(10.0, 15.0)), rng.uniform(45, 180))
    lunch = _local(day, 12.5 + rng.gauss(0, 0.4))
    dinner = _local(day, 18.0 + rng.gauss(0, 0.4))

    t, outing = _daytime(builder, persona, t, lunch, outing)
    t = builder.meal(t, rng.uniform(20, 40), fridge_opens=rng.randint(1, 2))
    t, outing = _daytime(builder, persona, t, dinner, outing)
    t = builder.meal(t, rng.uniform(30, 50), fridge_opens=rng.randint(1, 3))
    t, _ = _daytime(builder, persona, t, bedtime - timedelta(minutes=25), None)

    # Going to bed: bathroom, bedroom, into bed.
    t = builder.bathroom_visit(t, rng.uniform(5, 12))
    t = builder.stay("bedroom", t, rng.uniform(3, 8))
    builder.emit(t, builder.bed.device_id, "bed", 1, builder.bed.room)

    late_visits = _poisson(rng, persona.night_toilet_visits * 0.3)
    for _ in range(late_visits):
        visit = t + timedelta(minutes=rng.uniform(30, 90))
        if visit + timedelta(minutes=20) < next_midnight:
            t = builder.night_toilet(visit)

    events = [e for e in builder.events if e.ts < next_midnight] + _temperatures(home, day, rng)
    events.sort(key=lambda e: e.ts)  # stable: same-instant events keep the order they happened in
    return events

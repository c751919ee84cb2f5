"""What a home's sensors see as people move about: the building blocks of a simulated day.

Times are float epoch seconds (UTC) and events plain tuples, because a 200-home, 60-day history is
millions of events and datetime arithmetic would dominate the cost. `living` strings these blocks
into a resident's day.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass

from simulators.homes import ROOMS, HomeSpec
from simulators.localtime import MINUTE
from simulators.residents import Resident

# (epoch seconds, device_id, type, value, room)
Ev = tuple[float, str, str, float | int | None, str | None]

MOVING_EVERY_S = (60.0, 300.0)     # a PIR re-triggers this often while someone moves about a room
SEATED_EVERY_S = (240.0, 720.0)    # and this often while they sit in the chair
RESTLESS_EVERY_S = (30.0, 120.0)   # and this often when they pace about at night


@dataclass(frozen=True)
class Kit:
    """The devices a simulated day needs, looked up once per home. A missing device (an older layout)
    is None and its events are simply not produced."""

    pir: dict[str, str]
    bed: str | None
    chair: str | None
    fridge: str | None
    kettle: str | None
    toilet: str | None
    door: str | None
    room_of: dict[str, str | None]


def _first(home: HomeSpec, kind: str) -> str | None:
    return next((d.device_id for d in home.devices if d.kind == kind), None)


@functools.lru_cache(maxsize=8192)
def kit(home: HomeSpec) -> Kit:
    return Kit(
        pir={d.room: d.device_id for d in home.devices if d.kind == "pir" and d.room in ROOMS},
        bed=_first(home, "bed"), chair=_first(home, "chair"), fridge=_first(home, "fridge"),
        kettle=_first(home, "power"), toilet=_first(home, "toilet"), door=_first(home, "door"),
        room_of={d.device_id: d.room for d in home.devices},
    )


class Household:
    """Collects one day's sensor events. Events emitted while `protect` is set are the ones a scenario
    hinges on (the door opened at 3 am); they are kept apart so simulated radio losses spare them."""

    def __init__(self, home: HomeSpec, rng: random.Random, activity: float = 1.0) -> None:
        self.kit = kit(home)
        self.rng = rng
        self.activity = activity          # < 1 during a decline: fewer movements, longer sits
        self.events: list[Ev] = []
        self.kept: list[Ev] = []
        self.protect = False

    def emit(self, t: float, device: str | None, type_: str, value: float | int | None) -> None:
        if device is not None:
            (self.kept if self.protect else self.events).append((t, device, type_, value, self.kit.room_of[device]))

    def motion(self, t: float, room: str) -> None:
        self.emit(t, self.kit.pir.get(room), "motion", 1)

    def stay(self, room: str, t: float, minutes: float, every: tuple[float, float] = MOVING_EVERY_S) -> float:
        """Occupy `room`: its PIR fires on entry, then every so often while someone is there."""
        end = t + max(minutes, 0.3) * MINUTE
        device = self.kit.pir.get(room)
        if device is None:
            return end
        out = self.kept if self.protect else self.events
        low, span = every[0] / self.activity, (every[1] - every[0]) / self.activity
        rand = self.rng.random
        while t < end:
            out.append((t, device, "motion", 1, room))
            t += low + span * rand()
        return end

    def hallway(self, t: float) -> float:
        return self.stay("hallway", t, self.rng.uniform(0.3, 1.2))

    def sit(self, t: float, minutes: float) -> float:
        """In the lounge chair: the chair pad reports sitting and standing, the PIR sees little."""
        rng = self.rng
        end = t + max(minutes, 0.3) * MINUTE
        self.motion(t, "lounge")
        if end - t < 2 * MINUTE:
            return end
        self.emit(t + rng.uniform(5, 30), self.kit.chair, "chair", 1)
        self.stay("lounge", t + 45, (end - t - 60) / MINUTE, SEATED_EVERY_S)
        self.emit(end - rng.uniform(2, 10), self.kit.chair, "chair", 0)
        self.motion(end, "lounge")
        return end

    def fridge_open(self, t: float) -> None:
        self.emit(t, self.kit.fridge, "fridge", 1)
        self.emit(t + self.rng.uniform(8, 60), self.kit.fridge, "fridge", 0)

    def kettle_on(self, t: float) -> None:
        self.emit(t, self.kit.kettle, "power", round(self.rng.uniform(1800, 3000)))
        self.emit(t + self.rng.uniform(120, 240), self.kit.kettle, "power", 0)

    def flush(self, t: float) -> None:
        self.emit(t, self.kit.toilet, "toilet", 1)

    def meal(self, t: float, minutes: float, fridge_opens: int, kettle: bool = True) -> float:
        rng = self.rng
        t = self.hallway(t)
        end = self.stay("kitchen", t, minutes)
        span = max(minutes - 1.5, 0.6) * MINUTE
        for _ in range(fridge_opens):
            self.fridge_open(t + rng.uniform(30, span))
        if kettle:
            self.kettle_on(t + rng.uniform(20, span))
        return self.hallway(end)

    def tea(self, t: float) -> float:
        rng = self.rng
        return self.meal(t, rng.uniform(3, 8), fridge_opens=1 if rng.random() < 0.5 else 0,
                         kettle=rng.random() < 0.7)

    def bathroom_visit(self, t: float, minutes: float, flush: float = 0.8) -> float:
        t = self.hallway(t)
        end = self.stay("bathroom", t, minutes)
        if self.rng.random() < flush:
            self.flush(end - self.rng.uniform(10, 40))
        return self.hallway(end)

    def night_toilet(self, t: float) -> float:
        rng = self.rng
        self.emit(t, self.kit.bed, "bed", 0)
        t = self.stay("bedroom", t + rng.uniform(5, 40), rng.uniform(0.3, 1.0))
        t = self.bathroom_visit(t, rng.uniform(2, 7), flush=0.6)
        t = self.stay("bedroom", t, rng.uniform(0.3, 1.0))
        self.emit(t, self.kit.bed, "bed", 1)
        return t

    def door_pass(self, t: float) -> float:
        """Front door opened and closed behind someone."""
        closed = t + self.rng.uniform(4, 20)
        self.emit(t, self.kit.door, "door", 1)
        self.emit(closed, self.kit.door, "door", 0)
        return closed

    def leave(self, t: float) -> float:
        return self.door_pass(self.hallway(t))

    def come_in(self, t: float) -> float:
        return self.hallway(self.door_pass(t) + 2)

    def outing(self, t: float, minutes: float) -> float:
        t = self.leave(t)
        return self.come_in(t + minutes * MINUTE)

    def companion(self, t: float, end: float, weights: dict[str, float], stay_min: tuple[float, float],
                  errands: float = 0.3) -> float:
        """Another person (partner, carer, visitor) moving from room to room until `end`; they use the
        kitchen and bathroom too, so fridge, kettle and toilet don't tell who it was."""
        rng = self.rng
        # Their movements are their own: a resident's decline doesn't slow the carer down.
        activity, self.activity = self.activity, 1.0
        rooms, cumulative = list(weights), []
        total = 0.0
        for room in rooms:
            total += weights[room]
            cumulative.append(total)
        while end - t > MINUTE:
            room = rng.choices(rooms, cum_weights=cumulative)[0]
            minutes = min(rng.uniform(*stay_min), (end - t) / MINUTE)
            start = t
            t = self.stay(room, t, minutes)
            if room == "kitchen" and rng.random() < errands:
                if rng.random() < 0.6:
                    self.kettle_on(start + 20)
                else:
                    self.fridge_open(start + 20)
            elif room == "bathroom" and rng.random() < errands * 2:
                self.flush(t - 15)
            if end - t > 2 * MINUTE and room != "hallway":
                t = self.hallway(t)
        self.activity = activity
        return max(t, end)


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method, in chunks of at most 30 so that exp(-mean) never underflows on long histories."""
    count = 0
    while mean > 0:
        chunk = min(mean, 30.0)
        mean -= chunk
        limit, product = math.exp(-chunk), rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
    return count


def sensor_noise(home: HomeSpec, resident: Resident, start: float, end: float, rng: random.Random) -> list[Ev]:
    """Spurious PIR triggers at random moments in random rooms (sunlight, curtains, heating vents)."""
    pirs = sorted(kit(home).pir.items())
    if not pirs:
        return []
    count = poisson(rng, resident.noise_per_day * (end - start) / 86400)
    events: list[Ev] = []
    for _ in range(count):
        room, device = rng.choice(pirs)
        events.append((rng.uniform(start, end), device, "motion", 1, room))
    return events


def radio_losses(events: list[Ev], rate: float, rng: random.Random) -> list[Ev]:
    """Readings that never made it: each one lost with probability `rate`."""
    if rate <= 0:
        return events
    rand = rng.random
    return [e for e in events if rand() >= rate]

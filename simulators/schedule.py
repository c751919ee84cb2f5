"""What every simulated home sends, and when: routines, heartbeats, battery reports and the incidents
(the ground truth an operator should see as alerts). Pure and deterministic for a seed.

Each day's randomness comes from its own generator seeded by (seed, home, day), so a home's
Tuesday is the same whether the run started on Monday or on Tuesday afternoon.
"""

from __future__ import annotations

import functools
import heapq
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from simulators.homes import HomeSpec
from simulators.residents import resident_for
from simulators.routines import LOCAL_TZ, daily_events

INCIDENT_MIX: tuple[tuple[str, str, float], ...] = (
    # (event type, device kind, share of incidents)
    ("pendant_press", "pendant", 0.60),
    ("fall", "pendant", 0.25),       # pendants with fall detection raise `fall` themselves
    ("pull_cord", "pull_cord", 0.15),
)
INCIDENT_TYPES = frozenset(kind for kind, _, _ in INCIDENT_MIX)
MAINS_POWERED_KINDS = frozenset({"unit"})
BATTERY_EVERY_N_HEARTBEATS = 12
BATTERY_LOW_PER_DEVICE_DAY = 0.002
BATTERY_LOW_LEVEL = 15


@dataclass(frozen=True, slots=True)
class ScheduledEvent:
    sim_ts: datetime              # aware, UTC; becomes the event's `ts`
    home_id: str
    device_id: str
    type: str
    value: float | int | None = None
    room: str | None = None
    battery: int | None = None

    @property
    def is_incident(self) -> bool:
        return self.type in INCIDENT_TYPES


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight, in UTC (23 or 25 hours when the clocks change)."""
    start = datetime.combine(day, time(0), LOCAL_TZ)
    return start.astimezone(UTC), datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)


def _rng(seed: int, home_id: str, day: date, stream: str) -> random.Random:
    return random.Random(f"{seed}:{home_id}:{day.isoformat()}:{stream}")


def incidents_for_day(home: HomeSpec, day: date, seed: int, per_day: float) -> list[ScheduledEvent]:
    """A Poisson process in sim time with `per_day` expected incidents per home per day."""
    if per_day <= 0:
        return []
    rng = _rng(seed, home.home_id, day, "incidents")
    start, end = local_day_bounds(day)
    incidents: list[ScheduledEvent] = []
    t = start + timedelta(seconds=rng.expovariate(per_day / 86400))
    while t < end:
        type_, kind, _ = rng.choices(INCIDENT_MIX, weights=[share for _, _, share in INCIDENT_MIX])[0]
        device = home.find(kind)
        incidents.append(ScheduledEvent(t, home.home_id, device.device_id, type_, 1, device.room))
        t += timedelta(seconds=rng.expovariate(per_day / 86400))
    return incidents


def battery_level(seed: int, home_id: str, device_id: str, moment: datetime) -> int:
    """Drains slowly over the days, then jumps back to full when the battery is swapped."""
    rng = random.Random(f"{seed}:{home_id}:{device_id}:battery")
    phase, drain_per_day = rng.uniform(0, 80), rng.uniform(0.1, 0.5)
    days = moment.timestamp() / 86400
    return round(100 - (phase + days * drain_per_day) % 80)


def battery_low_for_day(home: HomeSpec, day: date, seed: int) -> list[ScheduledEvent]:
    rng = _rng(seed, home.home_id, day, "battery_low")
    start, end = local_day_bounds(day)
    events: list[ScheduledEvent] = []
    for device in home.devices:
        if device.kind in MAINS_POWERED_KINDS or rng.random() >= BATTERY_LOW_PER_DEVICE_DAY:
            continue
        moment = start + (end - start) * rng.random()
        level = rng.randint(5, BATTERY_LOW_LEVEL)
        events.append(ScheduledEvent(moment, home.home_id, device.device_id, "battery_low", level, device.room,
                                     level))
    return events


def day_schedule(home: HomeSpec, day: date, seed: int, alarms_per_home_per_day: float) -> list[ScheduledEvent]:
    """Everything except heartbeats (see `heartbeat_event`) for one home on one local day, in time order."""
    routine = [
        ScheduledEvent(e.ts, home.home_id, e.device_id, e.type, e.value, e.room)
        for e in daily_events(home, day, _rng(seed, home.home_id, day, "routine"), resident_for(home, seed))
    ]
    events = (routine + incidents_for_day(home, day, seed, alarms_per_home_per_day)
              + battery_low_for_day(home, day, seed))
    events.sort(key=lambda e: e.sim_ts)
    return events


@functools.lru_cache(maxsize=65536)
def heartbeat_phase(seed: int, home_id: str, device_id: str, interval_s: int) -> float:
    """Devices beat at their own offsets, so a thousand homes don't all report in the same second."""
    return random.Random(f"{seed}:{home_id}:{device_id}:heartbeat").uniform(0, interval_s)


def heartbeat_event(home: HomeSpec, device_id: str, seed: int, index: int) -> ScheduledEvent:
    """The `index`-th heartbeat since the Unix epoch: beats sit on a fixed grid, whatever the run's start."""
    device = home.device(device_id)
    interval = device.heartbeat_interval_s
    moment = datetime.fromtimestamp(heartbeat_phase(seed, home.home_id, device_id, interval)
                                    + index * interval, UTC)
    battery = None
    if device.kind not in MAINS_POWERED_KINDS and index % BATTERY_EVERY_N_HEARTBEATS == 0:
        battery = battery_level(seed, home.home_id, device_id, moment)
    return ScheduledEvent(moment, home.home_id, device_id, "heartbeat", None, device.room, battery)


def first_heartbeat_index(home: HomeSpec, device_id: str, seed: int, not_before: datetime) -> int:
    interval = home.device(device_id).heartbeat_interval_s
    phase = heartbeat_phase(seed, home.home_id, device_id, interval)
    return max(0, math.ceil((not_before.timestamp() - phase) / interval))


class SimulationSchedule:
    """All homes' events merged in time order from `start`, generated a day at a time.

    Heartbeats are produced one beat ahead per device, which keeps memory to a day of routine
    events however many homes there are.
    """

    def __init__(self, homes: list[HomeSpec], seed: int, start: datetime, alarms_per_home_per_day: float) -> None:
        self.homes = homes
        self.seed = seed
        self.start = start
        self.alarms_per_home_per_day = alarms_per_home_per_day
        self._order = 0  # tie-breaker: equal timestamps pop in the (deterministic) order they were pushed
        self._heap: list[tuple[datetime, int, ScheduledEvent, tuple[int, int] | None]] = []
        self._next_day = start.astimezone(LOCAL_TZ).date()
        self._generated_until = start
        for home_index, home in enumerate(homes):
            for device in home.devices:
                index = first_heartbeat_index(home, device.device_id, seed, start)
                self._push(heartbeat_event(home, device.device_id, seed, index), (home_index, index))

    def _push(self, event: ScheduledEvent, heartbeat: tuple[int, int] | None = None) -> None:
        heapq.heappush(self._heap, (event.sim_ts, self._order, event, heartbeat))
        self._order += 1

    def _generate_next_day(self) -> None:
        day = self._next_day
        for home in self.homes:
            for event in day_schedule(home, day, self.seed, self.alarms_per_home_per_day):
                if event.sim_ts >= self.start:
                    self._push(event)
        self._generated_until = local_day_bounds(day)[1]
        self._next_day = day + timedelta(days=1)

    def pop_due(self, until: datetime, limit: int | None = None) -> list[ScheduledEvent]:
        """Events with `sim_ts <= until`, oldest first (at most `limit` of them)."""
        while self._generated_until <= until:
            self._generate_next_day()
        due: list[ScheduledEvent] = []
        while self._heap and self._heap[0][0] <= until and (limit is None or len(due) < limit):
            _, _, event, heartbeat = heapq.heappop(self._heap)
            due.append(event)
            if heartbeat is not None:
                home_index, index = heartbeat
                self._push(heartbeat_event(self.homes[home_index], event.device_id, self.seed, index + 1),
                           (home_index, index + 1))
        return due

    def next_time(self) -> datetime | None:
        """When the next event is due; None only for a schedule without homes."""
        while self._heap and self._generated_until <= self._heap[0][0]:
            self._generate_next_day()
        return self._heap[0][0] if self._heap else None

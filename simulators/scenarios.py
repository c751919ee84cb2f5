"""Ground truth for the behavioural models: anomalies injected into a home's history, with labels, and
traps (unusual but harmless days) that must NOT raise behavioural alerts.

Each home gets its own seeded plan: a Poisson number of anomalies and traps placed after the clean
warm-up weeks, never on the same or adjacent days (so one label explains each odd stretch), and one
gradual decline in some homes, which may overlap the others. Kinds that only make sense for someone
living alone (a fall nobody sees, a lie-in, a missed meal) are not injected where a partner lives,
since the partner's own movements would hide them and the partner would call for help.

An episode can carry the signs of another kind as a consequence (a resident in bed until noon also
misses breakfast); evaluation should match an alert to any labelled episode it overlaps.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from simulators.climate import outdoor_mean_c
from simulators.homes import HomeSpec
from simulators.household import poisson
from simulators.living import DayPlan
from simulators.localtime import HOUR, MINUTE, LocalDay
from simulators.residents import MEALS, Resident

ANOMALY_KINDS: tuple[str, ...] = (
    "no_activity_morning", "prolonged_inactivity", "night_wandering", "door_open_night", "prolonged_bathroom",
    "missed_meal", "cold_home", "activity_decline", "device_silent", "unit_offline",
)
TRAP_KINDS: tuple[str, ...] = ("away_weekend", "hospital_stay", "visitors", "late_night_out")
ANOMALIES_PER_WEEK = 0.8        # ~4.5 over the 39 labelled days of a 60-day history
TRAPS_PER_WEEK = 0.35
DECLINE_SHARE = 0.15            # of homes, at anomaly_rate 1
ANOMALY_WEIGHTS: dict[str, float] = {
    "no_activity_morning": 1.0, "prolonged_inactivity": 1.0, "night_wandering": 1.0, "door_open_night": 1.0,
    "prolonged_bathroom": 1.0, "missed_meal": 1.2, "cold_home": 0.7, "device_silent": 1.0, "unit_offline": 0.7,
}
TRAP_WEIGHTS: dict[str, float] = {"away_weekend": 1.0, "hospital_stay": 0.6, "visitors": 1.2, "late_night_out": 1.0}
ALONE_ONLY = frozenset({"no_activity_morning", "prolonged_inactivity", "prolonged_bathroom", "missed_meal",
                        "activity_decline"})
COLD_ENOUGH_C = 10.0            # a heating failure only makes a home cold when days average below this
COLD_BELOW_C = 16.0
PLACEMENT_TRIES = 25
SILENT_DEVICE_KINDS = frozenset({"pir", "door", "bed", "fridge", "chair", "toilet", "power", "temperature",
                                 "pendant", "pull_cord", "smoke"})


@dataclass(frozen=True)
class LabelledAnomaly:
    """An anomaly the models should raise as an alert of `kind` (design.md §3) between start and end."""

    home_id: str
    kind: str
    start: datetime
    end: datetime
    device_id: str = ""            # the silent device, for device_silent


@dataclass(frozen=True)
class Trap:
    """Something unusual but harmless that must not raise a behavioural alert."""

    home_id: str
    kind: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Episode:
    """One planned anomaly or trap; `start`/`end` (epoch) are settled once the day has been lived."""

    key: int
    kind: str
    trap: bool
    start: float | None = None
    end: float | None = None
    device_id: str = ""


@dataclass
class ScenarioPlan:
    day_plans: dict[date, DayPlan] = field(default_factory=dict)
    episodes: list[Episode] = field(default_factory=list)
    decline: tuple[date, int, float] | None = None        # (onset, days to reach the floor, floor)
    heating_failures: list[tuple[float, float]] = field(default_factory=list)
    silences: list[tuple[str, float, float]] = field(default_factory=list)  # (device_id or "" = unit, start, end)

    def activity(self, day: date) -> float:
        """How active the resident is on `day` relative to normal (1.0 outside a decline)."""
        if self.decline is None or day < self.decline[0]:
            return 1.0
        onset, ramp, floor = self.decline
        progress = min((day - onset).days / ramp, 1.0)
        return 1.0 - (1.0 - floor) * progress

    def plan_for(self, day: date) -> DayPlan:
        return replace(self.day_plans.get(day) or DayPlan(), activity=self.activity(day))


class _Planner:
    def __init__(self, home: HomeSpec, res: Resident, first_day: date, days: int, warmup_days: int,
                 rng: random.Random) -> None:
        self.home, self.res, self.first_day, self.days, self.rng = home, res, first_day, days, rng
        self.warmup = warmup_days
        self.plan = ScenarioPlan()
        self.busy: set[int] = set()
        self._key = 0

    def day(self, index: int) -> date:
        return self.first_day + timedelta(days=index)

    def local(self, index: int) -> LocalDay:
        return LocalDay(self.day(index))

    def free(self, index: int, length: int = 1) -> bool:
        """Room for an episode on days index..index+length-1, with a clear day either side."""
        if index < self.warmup or index + length > self.days:
            return False
        return not any(i in self.busy for i in range(index - 1, index + length + 1))

    def add(self, kind: str, trap: bool, first: int, length: int = 1, start: float | None = None,
            end: float | None = None, device_id: str = "") -> int:
        self._key += 1
        self.busy.update(range(first, first + length))
        self.plan.episodes.append(Episode(self._key, kind, trap, start, end, device_id))
        return self._key

    def day_plan(self, index: int, **changes: object) -> None:
        plan = self.plan.day_plans.setdefault(self.day(index), DayPlan())
        for name, value in changes.items():
            setattr(plan, name, value)

    def place(self, placer: Callable[[int], bool]) -> None:
        for _ in range(PLACEMENT_TRIES):
            if placer(self.rng.randrange(self.warmup, self.days)):
                return

    # -- anomalies -------------------------------------------------------------------------

    def no_activity_morning(self, i: int) -> bool:
        if not self.free(i):
            return False
        local, day = self.local(i), self.day(i)
        usual = self.res.usual_wake_h(day)
        up_h = min(max(12.0, usual + 3.5) + self.rng.uniform(0, 4.0), self.res.usual_bed_h(day) - 3)
        key = self.add("no_activity_morning", False, i)
        self.day_plan(i, lie_in=(key, local.at(usual), local.at(up_h)), carer=False, outing=False)
        return True

    def prolonged_inactivity(self, i: int) -> bool:
        if not self.free(i):
            return False
        local, day, rng = self.local(i), self.day(i), self.rng
        earliest, latest = self.res.usual_wake_h(day) + 3.0, self.res.usual_meal_h("dinner", day) - 1.5
        if latest <= earliest:
            return False
        at_h = rng.uniform(earliest, latest)
        hours = min(rng.uniform(2.5, 6.0), self.res.usual_bed_h(day) - 1.0 - at_h)
        key = self.add("prolonged_inactivity", False, i)
        self.day_plan(i, fall=(key, local.at(at_h), hours * HOUR, rng.choice(("lounge", "kitchen", "hallway"))),
                      outing=False)
        return True

    def night_wandering(self, i: int) -> bool:
        if not self.free(i):
            return False
        local, rng = self.local(i), self.rng
        latest_end = self.res.usual_wake_h(self.day(i)) - 1.25
        start_h = min(rng.uniform(1.5, 3.5), latest_end - 1.0)
        hours = min(rng.uniform(1.0, 3.0), latest_end - start_h)
        key = self.add("night_wandering", False, i)
        self.day_plan(i, wander=(key, local.at(start_h), hours * HOUR))
        return True

    def door_open_night(self, i: int) -> bool:
        if not self.free(i):
            return False
        local, rng = self.local(i), self.rng
        latest = min(4.5, self.res.usual_wake_h(self.day(i)) - 1.5)
        at_h = rng.uniform(0.5, latest)
        open_s = rng.uniform(10, 90) if rng.random() < 0.5 else rng.uniform(20, 120) * MINUTE
        open_s = min(open_s, (latest + 0.75 - at_h) * HOUR)
        key = self.add("door_open_night", False, i)
        self.day_plan(i, door_night=(key, local.at(at_h), open_s))
        return True

    def prolonged_bathroom(self, i: int) -> bool:
        if not self.free(i):
            return False
        local, day, rng, res = self.local(i), self.day(i), self.rng, self.res
        hours = rng.uniform(1.0, 3.0)
        lunch, dinner, bed = (res.usual_meal_h("lunch", day), res.usual_meal_h("dinner", day),
                              res.usual_bed_h(day))
        slots = [(s, e - hours) for s, e in ((lunch + 1.25, dinner - 1.25), (dinner + 1.75, bed - 0.75))
                 if e - hours > s]
        if not slots:
            return False
        start, end = rng.choice(slots)
        key = self.add("prolonged_bathroom", False, i)
        self.day_plan(i, bathroom=(key, local.at(rng.uniform(start, end)), hours * HOUR), outing=False)
        return True

    def missed_meal(self, i: int) -> bool:
        if not self.free(i):
            return False
        local, day = self.local(i), self.day(i)
        # A carer makes breakfast, so only lunch or dinner can be missed where one calls.
        meal = self.rng.choice(MEALS if self.res.carer_h is None else MEALS[1:])
        start_h, end_h = self.res.meal_window_h(meal, day)
        window = (local.at(start_h), local.at(end_h))
        self.add("missed_meal", False, i, start=window[0], end=window[1])
        self.day_plan(i, skip_meals=(meal,), kitchen_blocked=(window,), outing=False)
        return True

    def cold_home(self, i: int) -> bool:
        nights = self.rng.randint(2, 5)
        if not self.free(i, nights + 1):
            return False
        if any(outdoor_mean_c(self.day(i + n), self.res.seed) >= COLD_ENOUGH_C for n in range(nights + 1)):
            return False
        failed = self.local(i).at(self.rng.uniform(15.0, 21.0))
        repaired = self.local(i + nights).at(self.rng.uniform(9.0, 15.0))
        self.add("cold_home", False, i, nights + 1, start=failed, end=repaired)
        self.plan.heating_failures.append((failed, repaired))
        return True

    def silence(self, i: int, kind: str, device_id: str, hours: float) -> bool:
        local = self.local(i)
        start = local.at(self.rng.uniform(0.0, 24.0))
        end = start + hours * HOUR
        length = 2 if end > local.end else 1
        if not self.free(i, length):
            return False
        self.add(kind, False, i, length, start=start, end=end, device_id=device_id)
        self.plan.silences.append((device_id, start, end))
        return True

    def device_silent(self, i: int) -> bool:
        devices = sorted(d.device_id for d in self.home.devices if d.kind in SILENT_DEVICE_KINDS)
        return self.silence(i, "device_silent", self.rng.choice(devices), self.rng.uniform(2.0, 12.0))

    def unit_offline(self, i: int) -> bool:
        return self.silence(i, "unit_offline", "", self.rng.uniform(1.0, 8.0))

    def activity_decline(self) -> None:
        ramp = self.rng.randint(14, 28)
        latest = self.days - ramp - 7  # reach the floor a week before the end, so the tail shows it
        if latest < self.warmup:
            ramp, latest = 14, self.days - 21
        if latest < self.warmup:
            return
        onset = self.rng.randint(self.warmup, latest)
        self.plan.decline = (self.day(onset), ramp, self.rng.uniform(0.5, 0.6))
        self._key += 1
        self.plan.episodes.append(Episode(self._key, "activity_decline", False, self.local(onset).start,
                                          LocalDay(self.day(self.days)).start))

    # -- traps -----------------------------------------------------------------------------

    def away(self, kind: str, first: int, nights: int, leave_h: float, back_h: float, household: bool) -> bool:
        if not self.free(first, nights + 1):
            return False
        key = self.add(kind, True, first, nights + 1)
        self.day_plan(first, leave=(key, self.local(first).at(leave_h)), household_away=household)
        for n in range(1, nights):
            self.day_plan(first + n, away_all_day=True, household_away=household)
        self.day_plan(first + nights, arrive=(key, self.local(first + nights).at(back_h)), household_away=household)
        return True

    def away_weekend(self, i: int) -> bool:
        rng, day = self.rng, self.day(i)
        if day.weekday() == 4:      # Friday evening to Sunday
            return self.away("away_weekend", i, 2, rng.uniform(16.5, 19.5), rng.uniform(13.0, 19.0), True)
        if day.weekday() == 5:      # Saturday morning to Sunday
            leave = max(rng.uniform(9.5, 11.5), self.res.usual_wake_h(day) + 2.0)
            return self.away("away_weekend", i, 1, leave, rng.uniform(13.0, 19.0), True)
        return False

    def hospital_stay(self, i: int) -> bool:
        rng = self.rng
        leave = rng.uniform(self.res.usual_wake_h(self.day(i)) + 2.0, 18.0)
        return self.away("hospital_stay", i, rng.randint(3, 10), leave, rng.uniform(11.0, 17.0), False)

    def late_night_out(self, i: int) -> bool:
        rng = self.rng
        dinner_over = self.res.meal_window_h("dinner", self.day(i))[1]
        back_latest = min(2.25, self.res.usual_wake_h(self.day(i + 1)) - 2.0)
        return self.away("late_night_out", i, 1, rng.uniform(dinner_over + 0.1, dinner_over + 1.5),
                         rng.uniform(0.75, back_latest), True)

    def visitors(self, i: int) -> bool:
        if not self.free(i):
            return False
        rng, local, bed = self.rng, self.local(i), self.res.usual_bed_h(self.day(i))
        earliest = max(10.5, self.res.usual_wake_h(self.day(i)) + 2.0)  # not before the resident is up
        start_h = rng.uniform(earliest, max(earliest, bed - 4.5))
        hours = min(rng.uniform(1.0, 4.0), bed - 0.75 - start_h)
        key = self.add("visitors", True, i)
        self.day_plan(i, visitors=(key, local.at(start_h), hours * HOUR, rng.randint(1, 3)), outing=False)
        return True


FOOTPRINT = {"hospital_stay": 0, "cold_home": 1, "away_weekend": 2, "late_night_out": 3}  # biggest placed first


def plan_scenarios(home: HomeSpec, resident: Resident, first_day: date, days: int, *, warmup_days: int = 21,
                   anomaly_rate: float = 1.0, trap_rate: float | None = None) -> ScenarioPlan:
    """The anomalies and traps of one home's history, from its own random stream."""
    rng = random.Random(f"scenarios:{resident.seed}:{home.home_id}")
    planner = _Planner(home, resident, first_day, days, warmup_days, rng)
    labelled_days = days - warmup_days
    if labelled_days < 3:
        return planner.plan
    weeks = labelled_days / 7
    trap_rate = anomaly_rate if trap_rate is None else trap_rate
    alone = not resident.partner
    if alone and rng.random() < min(anomaly_rate, 1.0) * DECLINE_SHARE:
        planner.activity_decline()
    anomaly_kinds = [k for k in ANOMALY_WEIGHTS if alone or k not in ALONE_ONLY]
    wanted = rng.choices(anomaly_kinds, [ANOMALY_WEIGHTS[k] for k in anomaly_kinds],
                         k=poisson(rng, anomaly_rate * ANOMALIES_PER_WEEK * weeks))
    wanted += rng.choices(list(TRAP_WEIGHTS), list(TRAP_WEIGHTS.values()),
                          k=poisson(rng, trap_rate * TRAPS_PER_WEEK * weeks))
    for kind in sorted(wanted, key=lambda k: FOOTPRINT.get(k, len(FOOTPRINT))):
        planner.place(getattr(planner, kind))
    return planner.plan

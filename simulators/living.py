"""One household's local day as sensor events: the resident's routine, their partner and morning carer,
and whatever the day's `DayPlan` makes unusual (a fall, a night of wandering, a weekend away).

Times are epoch seconds. The resident is in bed at both local midnights unless the plan has them away,
so consecutive days join up. Each scenario records when it actually began and ended in `DayLog.marks`
(keyed by the plan's episode key), because routines push planned times about by a few minutes.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial

from simulators.homes import HomeSpec
from simulators.household import RESTLESS_EVERY_S, Ev, Household, poisson
from simulators.localtime import HOUR, MINUTE, LocalDay
from simulators.residents import LATEST_BEDTIME_H, WAKE_CLAMP_SD, Resident

PARTNER_ROOMS = {"lounge": 0.45, "kitchen": 0.2, "bathroom": 0.1, "bedroom": 0.15, "hallway": 0.1}
CARER_ROOMS = {"bedroom": 0.3, "bathroom": 0.25, "kitchen": 0.3, "lounge": 0.15}
VISITOR_ROOMS = {"lounge": 0.6, "kitchen": 0.25, "bathroom": 0.1, "hallway": 0.05}
WANDER_ROOMS = ("kitchen", "lounge", "hallway", "bathroom")
WANDER_WEIGHTS = (0.35, 0.3, 0.25, 0.1)
Appointment = tuple[float, Callable[[float], float]]


@dataclass
class DayPlan:
    """What is unusual about a day; the default is an ordinary one. Tuples start with the episode key."""

    activity: float = 1.0                               # < 1: activity_decline
    carer: bool = True                                  # False: the carer's visit doesn't happen
    outing: bool = True
    skip_meals: tuple[str, ...] = ()                    # missed_meal
    kitchen_blocked: tuple[tuple[float, float], ...] = ()
    lie_in: tuple[int, float, float] | None = None      # (key, usual wake, get-up): no_activity_morning
    fall: tuple[int, float, float, str] | None = None   # (key, at, seconds on the floor, room)
    bathroom: tuple[int, float, float] | None = None    # (key, at, seconds): prolonged_bathroom
    wander: tuple[int, float, float] | None = None      # (key, at, seconds): night_wandering
    door_night: tuple[int, float, float] | None = None  # (key, at, seconds open): door_open_night
    visitors: tuple[int, float, float, int] | None = None  # (key, at, seconds, people)
    arrive: tuple[int, float] | None = None             # (key, at): back home
    leave: tuple[int, float] | None = None              # (key, at): out for the rest of the day
    away_all_day: bool = False
    household_away: bool = True                         # the partner goes too (not on a hospital stay)


@dataclass
class DayLog:
    events: list[Ev]                                    # routine events: radio losses may take some
    kept: list[Ev]                                      # events a scenario hinges on
    marks: dict[tuple[int, str], float] = field(default_factory=dict)  # (key, "start"|"end") -> epoch


class _Day:
    def __init__(self, home: HomeSpec, res: Resident, day: date, plan: DayPlan, rng: random.Random) -> None:
        self.res, self.plan, self.rng = res, plan, rng
        self.local = LocalDay(day)
        self.hh = Household(home, rng, plan.activity)
        self.marks: dict[tuple[int, str], float] = {}
        self.kitchen_blocked = plan.kitchen_blocked

    def mark(self, key: int, which: str, t: float) -> None:
        self.marks[(key, which)] = t

    # -- night -----------------------------------------------------------------------------

    def wander(self, spec: tuple[int, float, float], t: float) -> float:
        key, _, seconds = spec
        hh, rng = self.hh, self.rng
        hh.protect = True
        hh.emit(t, hh.kit.bed, "bed", 0)
        self.mark(key, "start", t)
        hh.protect = False
        end = t + seconds
        t = hh.stay("bedroom", t + rng.uniform(5, 30), rng.uniform(0.5, 2))
        while t < end:
            t = hh.hallway(t)
            room = rng.choices(WANDER_ROOMS, WANDER_WEIGHTS)[0]
            start = t
            t = hh.stay(room, t, rng.uniform(2, 12), RESTLESS_EVERY_S)
            if room == "kitchen" and rng.random() < 0.4:
                hh.fridge_open(start + 30)
        t = hh.stay("bedroom", hh.hallway(t), rng.uniform(1, 3))
        hh.protect = True
        hh.emit(t, hh.kit.bed, "bed", 1)
        hh.protect = False
        self.mark(key, "end", t)
        return t

    def door_night(self, spec: tuple[int, float, float], t: float) -> float:
        key, _, open_s = spec
        hh, rng = self.hh, self.rng
        hh.emit(t, hh.kit.bed, "bed", 0)
        t = hh.stay("bedroom", t + rng.uniform(5, 30), rng.uniform(0.5, 1.0))
        t = hh.stay("hallway", t, rng.uniform(0.5, 1.5))
        hh.protect = True
        hh.emit(t, hh.kit.door, "door", 1)
        self.mark(key, "start", t)
        # A short opening is a look outside; a long one, a walk out into the night with the door ajar.
        closed = t + open_s
        hh.emit(closed, hh.kit.door, "door", 0)
        hh.protect = False
        self.mark(key, "end", closed)
        t = hh.stay("hallway", closed + 2, rng.uniform(0.5, 2))
        t = hh.stay("bedroom", t, rng.uniform(0.5, 2))
        hh.emit(t, hh.kit.bed, "bed", 1)
        return t

    def night_arrival(self, key: int, t: float) -> float:
        hh, rng = self.hh, self.rng
        hh.protect = True
        self.mark(key, "end", t)
        t = hh.come_in(t)
        hh.protect = False
        t = hh.bathroom_visit(t, rng.uniform(3, 8))
        t = hh.stay("bedroom", t, rng.uniform(3, 8))
        hh.emit(t, hh.kit.bed, "bed", 1)
        return t

    def night(self, t: float, wake: float) -> float:
        """Night toilet visits and the night's scenario, in time order, until getting up at `wake`."""
        plan, rng = self.plan, self.rng
        specials: list[tuple[float, float, Callable[[float], float]]] = []
        if plan.wander:
            specials.append((plan.wander[1], plan.wander[1] + plan.wander[2], partial(self.wander, plan.wander)))
        if plan.door_night:
            _, at, seconds = plan.door_night
            specials.append((at, at + seconds, partial(self.door_night, plan.door_night)))
        visits = [t + (wake - t - 40 * MINUTE) * rng.uniform(0.1, 1.0)
                  for _ in range(poisson(rng, self.res.night_toilet_visits * 0.7))]
        items = [(v, False, self.hh.night_toilet) for v in visits
                 if not any(start - 30 * MINUTE < v < end + 30 * MINUTE for start, end, _ in specials)]
        items += [(start, True, run) for start, _, run in specials]
        for at, special, run in sorted(items, key=lambda item: item[0]):
            if special or at > t + 5 * MINUTE:
                t = run(max(at, t + MINUTE))
        return t

    # -- day -------------------------------------------------------------------------------

    def lie_in(self, spec: tuple[int, float, float], t: float) -> float:
        """In bed long past the usual time: the bedroom PIR may see them turn over, nothing else."""
        key, usual, up = spec
        self.mark(key, "start", usual)
        t = max(t, usual) + self.rng.uniform(10, 60) * MINUTE
        while t < up - 5 * MINUTE:
            if self.rng.random() < 0.5:
                self.hh.motion(t, "bedroom")
            t += self.rng.uniform(20, 70) * MINUTE
        return up

    def get_up(self, wake: float) -> float:
        hh, rng = self.hh, self.rng
        if self.plan.lie_in:
            self.mark(self.plan.lie_in[0], "end", wake)
        hh.protect = self.plan.lie_in is not None  # the moment the lie-in ends must not be lost
        hh.emit(wake, hh.kit.bed, "bed", 0)
        hh.protect = False
        t = hh.stay("bedroom", wake + rng.uniform(10, 60), rng.uniform(2, 6))
        t = hh.bathroom_visit(t, rng.uniform(8, 20))
        t = hh.stay("bedroom", t, rng.uniform(4, 10))
        if "breakfast" in self.plan.skip_meals:
            return hh.sit(t, rng.uniform(20, 40))
        return hh.meal(t, rng.uniform(15, 30), fridge_opens=rng.randint(1, 2), kettle=rng.random() < 0.8)

    def fall(self, spec: tuple[int, float, float, str], t: float) -> float:
        """Down on the floor without the pendant: last movement in one room, then nothing for hours."""
        key, _, seconds, room = spec
        hh, rng = self.hh, self.rng
        if room != "hallway":
            t = hh.hallway(t)
        hh.protect = True
        hh.motion(t, room)
        last = t + rng.uniform(60, 240)
        hh.motion(last, room)
        self.mark(key, "start", last)
        found = last + seconds
        self.mark(key, "end", found)
        if rng.random() < 0.5:   # a neighbour or family member lets themselves in and finds them
            t = hh.come_in(found)
        else:                     # or they manage to get up by themselves
            hh.motion(found, room)
            t = found + 30
        hh.protect = False
        return hh.stay(room, t, rng.uniform(5, 15))

    def long_bathroom(self, spec: tuple[int, float, float], t: float) -> float:
        key, _, seconds = spec
        hh, rng = self.hh, self.rng
        t = hh.hallway(t)
        hh.protect = True
        hh.motion(t, "bathroom")
        self.mark(key, "start", t)
        leave = t + seconds
        hh.protect = False
        hh.stay("bathroom", t + rng.uniform(120, 600), (leave - t) / MINUTE - 12, (300.0, 1200.0))
        hh.protect = True
        hh.motion(leave, "hallway")
        self.mark(key, "end", leave)
        hh.protect = False
        return hh.hallway(leave + 20)

    def nap(self, t: float) -> float:
        hh, rng = self.hh, self.rng
        t = hh.stay("bedroom", hh.hallway(t), rng.uniform(1, 3))
        hh.emit(t, hh.kit.bed, "bed", 1)
        t += rng.uniform(30, 90) * MINUTE
        hh.emit(t, hh.kit.bed, "bed", 0)
        return hh.hallway(hh.stay("bedroom", t + 20, rng.uniform(1, 3)))

    def in_blocked_kitchen(self, t: float) -> bool:
        return any(start - 20 * MINUTE <= t <= end for start, end in self.kitchen_blocked)

    def fill(self, t: float, until: float, appointments: list[Appointment]) -> float:
        """Chair time broken up by bathroom trips, cups of tea and the day's appointments, up to `until`."""
        hh, rng, res = self.hh, self.rng, self.res
        todo = sorted((a for a in appointments if a[0] < until), key=lambda a: a[0])
        i = 0
        while True:
            while i < len(todo) and todo[i][0] <= t + MINUTE:
                t = todo[i][1](t)
                i += 1
            limit = min(todo[i][0], until) if i < len(todo) else until
            if i >= len(todo) and until - t < 10 * MINUTE:
                return max(t, until)
            gap = limit - t
            if gap < 15 * MINUTE:
                t = hh.sit(t, gap / MINUTE) if gap > 0 else t + MINUTE
                continue
            t = hh.sit(t, min(rng.uniform(*res.lounge_stay_min) / hh.activity, gap / MINUTE))
            if limit - t < 15 * MINUTE:
                continue
            roll = rng.random()
            if roll < 0.45 * hh.activity + 0.1:
                t = hh.bathroom_visit(t, rng.uniform(3, 10))
            elif roll < 0.8 * hh.activity + 0.1 and not self.in_blocked_kitchen(t):
                t = hh.tea(t)
            elif roll < 0.85 * hh.activity + 0.1:
                t = hh.stay("bedroom", hh.hallway(t), rng.uniform(2, 8))
                t = hh.hallway(t)

    def outing_slot(self, t: float, lunch: float, dinner: float) -> Appointment | None:
        rng = self.rng
        slots = [(s, e) for s, e in ((t + 10 * MINUTE, lunch - 30 * MINUTE), (lunch + HOUR, dinner - 30 * MINUTE))
                 if e - s >= 75 * MINUTE]
        if not slots:
            return None
        start, end = rng.choice(slots)
        at = rng.uniform(start, end - 45 * MINUTE)
        minutes = min(rng.uniform(45, 180) * self.hh.activity, (end - at) / MINUTE)
        return at, lambda now: self.hh.outing(now, minutes)

    def meal_at(self, meal: str, spread_h: float) -> float:
        usual = self.res.usual_meal_h(meal, self.local.day)
        return self.local.at(usual + max(-0.6, min(0.75, self.rng.gauss(0, spread_h))))

    def live(self) -> DayLog:
        plan, res, rng, hh, local = self.plan, self.res, self.rng, self.hh, self.local
        day, activity = local.day, plan.activity
        usual_wake_h = res.usual_wake_h(day)
        clamp = min(WAKE_CLAMP_SD * res.wake_sd_min, 60) / 60
        wake_h = usual_wake_h + max(-clamp, min(clamp, rng.gauss(0, res.wake_sd_min) / 60))
        bed_h = res.usual_bed_h(day) + rng.gauss(0, res.bed_sd_min) / 60 - (1 - activity) * 2.0
        bed_h = max(min(bed_h, LATEST_BEDTIME_H), usual_wake_h + 12)
        wake, bedtime = local.at(wake_h), local.at(bed_h)
        lunch, dinner = self.meal_at("lunch", 0.35), self.meal_at("dinner", 0.35)
        if plan.away_all_day:
            self.others(None, None, wake, bedtime)
            return DayLog(hh.events, hh.kept, self.marks)

        arrive = plan.arrive[1] if plan.arrive else None
        t = local.start
        if plan.arrive and plan.arrive[1] >= wake - HOUR:  # home in the daytime: no night, no getting up
            hh.protect = True
            self.mark(plan.arrive[0], "end", plan.arrive[1])
            t = hh.come_in(plan.arrive[1])
            hh.protect = False
            t = hh.tea(t)
        else:
            if plan.arrive:
                t = self.night_arrival(*plan.arrive)
            # A lie-in starts at the usual time: the night's toilet trips end before it, not before a later draw.
            t = self.night(t, min(wake, plan.lie_in[1]) if plan.lie_in else wake)
            if plan.lie_in:
                wake = self.lie_in(plan.lie_in, t)
            wake = max(wake, t + 20 * MINUTE)
            t = self.get_up(wake)

        appointments: list[Appointment] = []
        for meal, at, minutes, opens in (("lunch", lunch, (20, 40), (1, 2)), ("dinner", dinner, (30, 50), (1, 3))):
            if meal not in plan.skip_meals and at > t + 10 * MINUTE:
                appointments.append((at, lambda now, m=minutes, o=opens: hh.meal(now, rng.uniform(*m),
                                                                                  rng.randint(*o))))
        if plan.outing and not plan.visitors and rng.random() < res.outing_probability * activity**2:
            slot = self.outing_slot(t, lunch, dinner)
            if slot:
                appointments.append(slot)
        if plan.fall:
            appointments.append((plan.fall[1], partial(self.fall, plan.fall)))
        if plan.bathroom:
            appointments.append((plan.bathroom[1], partial(self.long_bathroom, plan.bathroom)))
        if activity < 0.9 and rng.random() < (1 - activity) * 1.6:
            nap = lunch + rng.uniform(1.0, 1.5) * HOUR
            if nap + 2 * HOUR < dinner - HOUR:
                appointments.append((nap, self.nap))
        leave = plan.leave[1] if plan.leave else None
        t = self.fill(t, leave if leave is not None else bedtime - 25 * MINUTE, appointments)

        if plan.leave:
            t = hh.hallway(t)
            hh.protect = True
            self.mark(plan.leave[0], "start", t)
            hh.door_pass(t)
            hh.protect = False
        else:
            t = hh.bathroom_visit(t, rng.uniform(5, 12))
            t = hh.stay("bedroom", t, rng.uniform(3, 8))
            hh.emit(t, hh.kit.bed, "bed", 1)
            for _ in range(poisson(rng, res.night_toilet_visits * 0.3)):
                visit = t + rng.uniform(30, 90) * MINUTE
                if visit + 20 * MINUTE < local.end:
                    t = hh.night_toilet(visit)
        self.others(arrive, leave, wake, bedtime)
        return DayLog(hh.events, hh.kept, self.marks)

    # -- the other people in the home ------------------------------------------------------

    def others(self, arrive: float | None, leave: float | None, wake: float, bedtime: float) -> None:
        plan, res, rng, hh, local = self.plan, self.res, self.rng, self.hh, self.local
        home_from = local.start if arrive is None else arrive
        home_until = local.end if leave is None else leave
        if res.carer_h is not None and plan.carer and not plan.away_all_day:
            # Care calls are booked: within ±20 minutes of the usual time, after the resident is up.
            at = max(local.at(res.carer_h + max(-0.33, min(0.33, rng.gauss(0, 0.2)))), wake + 10 * MINUTE)
            end = at + rng.uniform(25, 50) * MINUTE
            if home_from + 30 * MINUTE < at and end + 30 * MINUTE < home_until:
                t = hh.come_in(at)
                hh.leave(hh.companion(t, end, CARER_ROOMS, (3, 10), errands=0.6))
        if plan.visitors:
            key, at, seconds, people = plan.visitors
            hh.protect = True
            self.mark(key, "start", at)
            t = hh.come_in(at)
            hh.protect = False
            for _ in range(people):
                hh.companion(t + rng.uniform(0, 120), at + seconds - 2 * MINUTE, VISITOR_ROOMS, (10, 40))
            hh.protect = True
            self.mark(key, "end", at + seconds)
            hh.door_pass(at + seconds)
            hh.protect = False
        if res.partner:
            if plan.household_away:
                start, end = (home_from, home_until) if not plan.away_all_day else (0.0, 0.0)
            else:
                start, end = local.start, local.end
            if end > start:
                self.partner(start, end)

    def partner(self, start: float, end: float) -> None:
        """The partner's own day within [start, end): they come and go with the resident when the
        household is away, through the hallway rather than appearing in a room."""
        res, rng, hh, local = self.res, self.rng, self.hh, self.local
        day = local.day
        up = local.at(res.usual_wake_h(day) + res.partner_offset_h + rng.gauss(0, 0.4))
        down = local.at(min(res.usual_bed_h(day) + res.partner_offset_h + rng.gauss(0, 0.4), 23.8))
        arriving, leaving = start > local.start, end < local.end
        t = start
        if arriving:
            t = hh.hallway(start + rng.uniform(5, 40))
            if t < up - HOUR:  # home in the small hours: straight to bed
                t = hh.stay("bedroom", hh.bathroom_visit(t, rng.uniform(2, 6), flush=0.5), 0.5)
        night_from = t + 30 * MINUTE
        for _ in range(poisson(rng, 0.7)):  # their own night-time trips to the toilet
            at = rng.uniform(night_from, end - 20 * MINUTE)
            if at < up - 30 * MINUTE or at > down + 30 * MINUTE:
                hh.stay("bedroom", hh.bathroom_visit(hh.stay("bedroom", at, 0.5), rng.uniform(2, 6), flush=0.5), 0.5)
        until = end - 2 * MINUTE if leaving else down
        if until - max(up, t) < HOUR:
            return
        t = hh.stay("bedroom", up, rng.uniform(3, 10)) if up > t else t
        if rng.random() < 0.4:  # out for a while on their own
            out = rng.uniform(t + HOUR, max(until - 4 * HOUR, t + HOUR + 1))
            back = out + rng.uniform(60, 180) * MINUTE
            if back < until - HOUR:
                hh.leave(hh.companion(t, out, PARTNER_ROOMS, (5, 60)))
                t = hh.come_in(back)
        t = hh.companion(t, until, PARTNER_ROOMS, (5, 60))
        if leaving:
            hh.hallway(t)
        else:
            hh.stay("bedroom", t, rng.uniform(2, 5))


def live_day(home: HomeSpec, resident: Resident, day: date, plan: DayPlan | None, rng: random.Random) -> DayLog:
    """The household's activity events on local `day` (no temperatures), unsorted."""
    return _Day(home, resident, day, plan or DayPlan(), rng).live()

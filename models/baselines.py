"""A resident's usual routine, learned from their own days, or population priors until there are enough.

Everything a detector compares against lives here, as plain numbers, so a baseline round-trips through
JSON (`to_dict` / `from_dict`, with a format `version`) and the hub can store it next to the resident.
Times of day are care minutes (models.clock): 07:30 is 450, 00:30 after a late night is 1470.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime

from models.features import BATHROOM, DayFeatures, TrackerParams, activity_of, usable
from models.slowing import Level, learn_levels
from models.stats import kde_quantile, quantile, robust_sd

FORMAT_VERSION = 2  # 2: usual levels for the decline detector (levels, levels_until) replace day_vectors
MIN_DAYS = 14  # fewer of the resident's own days than this and the population priors decide
MEAL_STAY_MIN = 12.0  # a kitchen stay this long is a meal being made; a cup of tea is shorter
MEAL_RELIABLE = 0.8  # only a meal eaten on most days is missed when it is absent
OTHERS_MOVING = 4  # movements outside the bedroom while the resident is in bed that mean another person
MIN_SPREAD = 0.03  # of the median: a steadier routine than this is luck of the draw, not steadiness
WEEKEND_SHIFT_MIN = 20.0  # minutes later on weekend mornings before they get their own wake times

# (name, earliest start, latest start) in care minutes; breakfast is also tied to the wake time.
MEAL_SLOTS: tuple[tuple[str, float, float], ...] = (
    ("breakfast", 300.0, 660.0),
    ("lunch", 660.0, 930.0),
    ("dinner", 960.0, 1290.0),
)


@dataclass(slots=True)
class TimeOfDay:
    """When something usually happens: median and spread, and the plausible earliest and latest."""

    median: float
    spread: float
    early: float
    late: float
    n: int = 0


@dataclass(slots=True)
class MealWindow:
    name: str
    typical: float  # median start (care minute)
    late: float  # latest plausible start
    reliability: float  # share of days the meal was seen
    min_stay: float  # kitchen minutes that count as this meal
    after_wake: float | None = None  # breakfast: latest plausible start, as minutes after getting up
    weekend_typical: float | None = None  # when weekend meals run later (a lie-in moves lunch too)
    weekend_late: float | None = None

    def times(self, weekend: bool) -> tuple[float, float]:
        """(typical, latest plausible) start for a weekday or a weekend day."""
        if weekend and self.weekend_typical is not None and self.weekend_late is not None:
            return self.weekend_typical, self.weekend_late
        return self.typical, self.late


@dataclass(slots=True)
class Baseline:
    home_id: str
    trained_until: datetime | None
    days_used: int
    cold_start: bool
    wake: TimeOfDay
    bedtime: TimeOfDay
    meals: list[MealWindow]
    bathroom_p95: float  # minutes
    bathroom_p99: float
    inactivity: dict[str, Sequence[float]]  # room -> usual longest still spell (min) per local hour
    inactivity_default: float
    night_events_p95: float
    night_events_max: float
    night_door_rate: float  # share of nights with the front door opened while home
    activity_median: float  # active minutes per waking hour at home
    activity_spread: float
    pace_median: float  # seconds between a PIR's re-triggers while the resident stays in a room
    pace_spread: float
    outing_rate: float  # outings per day
    outing_p95_min: float
    night_temp_p05: float | None
    levels: dict[str, Level] = field(default_factory=dict)  # usual pace and movement (models.slowing)
    levels_until: datetime | None = None  # the levels were learned from days before this
    wake_weekend: TimeOfDay | None = None  # when Saturdays and Sundays start differently
    solo: bool = True  # nobody else moves about while the resident is in bed
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        # 24 doubles a room in one array, not 24 float objects: the live service holds a baseline per home.
        self.inactivity = {room: array("d", slots) for room, slots in self.inactivity.items()}

    def wake_for(self, weekend: bool) -> TimeOfDay:
        return self.wake_weekend if weekend and self.wake_weekend is not None else self.wake

    def meal(self, name: str) -> MealWindow | None:
        return next((m for m in self.meals if m.name == name), None)

    def tracker_params(self) -> TrackerParams:
        return TrackerParams(
            wake_earliest_min=max(240.0, self.wake.early - 90.0),
            evening_min=min(1140.0, self.bedtime.early - 60.0),
            night_end_min=max(300.0, self.wake.early),
            solo=self.solo,
        )

    def inactivity_usual(self, room: str, hour: int) -> float:
        slots = self.inactivity.get(room)
        value = slots[hour % 24] if slots else 0.0
        return value if value > 0 else self.inactivity_default

    def to_dict(self) -> dict[str, object]:
        body = asdict(self)
        body["inactivity"] = {room: list(slots) for room, slots in self.inactivity.items()}
        body["trained_until"] = self.trained_until.isoformat() if self.trained_until else None
        body["levels_until"] = self.levels_until.isoformat() if self.levels_until else None
        return body

    @classmethod
    def from_dict(cls, body: dict[str, object]) -> Baseline:
        if body.get("version") != FORMAT_VERSION:
            raise ValueError(f"baseline format {body.get('version')!r} is not {FORMAT_VERSION}")
        values = dict(body)
        until = values.get("trained_until")
        values["trained_until"] = datetime.fromisoformat(str(until)) if until else None
        levels_until = values.get("levels_until")
        values["levels_until"] = datetime.fromisoformat(str(levels_until)) if levels_until else None
        levels: dict[str, dict[str, float]] = values.get("levels") or {}  # type: ignore[assignment]
        values["levels"] = {name: Level(**level) for name, level in levels.items()}  # type: ignore[arg-type]
        values["wake"] = TimeOfDay(**values["wake"])  # type: ignore[arg-type]
        values["bedtime"] = TimeOfDay(**values["bedtime"])  # type: ignore[arg-type]
        if values.get("wake_weekend"):
            values["wake_weekend"] = TimeOfDay(**values["wake_weekend"])  # type: ignore[arg-type]
        values["meals"] = [MealWindow(**m) for m in values["meals"]]  # type: ignore[union-attr]
        return cls(**values)  # type: ignore[arg-type]


def priors(home_id: str, days: Sequence[DayFeatures] = (), until: datetime | None = None) -> Baseline:
    """Population priors: wide margins that suit most older people living alone.

    With a few days of the resident's own mornings, the wake and meal times are centred on theirs
    but keep the population's width: better a late alert than one that cries wolf in week one.
    """
    wakes = [d.wake_min for d in days if d.wake_min is not None]
    beds = [d.bedtime_min for d in days if d.bedtime_min is not None]
    wake_mid = quantile(wakes, 0.5, 450.0) if len(wakes) >= 3 else 450.0
    bed_mid = quantile(beds, 0.5, 1350.0) if len(beds) >= 3 else 1350.0
    return Baseline(
        home_id=home_id, trained_until=until, days_used=len(days), cold_start=True,
        wake=TimeOfDay(wake_mid, 60.0, wake_mid - 150.0, max(wake_mid + 120.0, 570.0), len(wakes)),
        bedtime=TimeOfDay(bed_mid, 60.0, min(bed_mid - 150.0, 1200.0), bed_mid + 150.0, len(beds)),
        meals=[MealWindow("lunch", 750.0, 870.0, 0.9, MEAL_STAY_MIN),
               MealWindow("dinner", 1080.0, 1200.0, 0.9, MEAL_STAY_MIN)],
        bathroom_p95=25.0, bathroom_p99=35.0, inactivity={}, inactivity_default=30.0,
        night_events_p95=4.0, night_events_max=6.0, night_door_rate=0.0,
        activity_median=0.0, activity_spread=0.0, pace_median=0.0, pace_spread=0.0,
        outing_rate=0.5, outing_p95_min=240.0, night_temp_p05=None,
    )


def learn(home_id: str, days: Sequence[DayFeatures], until: datetime | None,
          reference: tuple[Sequence[DayFeatures], datetime] | None = None) -> Baseline:
    """The resident's own baseline from their recent care days (priors below MIN_DAYS usable days).

    `reference`: older days, and when they end, to learn the decline detector's usual levels from instead
    (models.train keeps the latest weeks out of them so a slowing under way is not learned as usual)."""
    good = [d for d in days if usable(d)]
    if len(good) < MIN_DAYS:
        return priors(home_id, good, until)
    wakes = [d.wake_min for d in good if d.wake_min is not None]
    beds = [d.bedtime_min for d in good if d.bedtime_min is not None]
    baths = [m for d in good for m in d.bathroom_stays]
    nights = [float(d.night_events) for d in good]
    activity = [a for d in good if (a := activity_of(d)) is not None]
    paces = [p for d in good if activity_of(d) is not None and (p := d.pace) is not None]
    outings = [m for d in good for _, m in d.outings]
    night_temps = [d.night_temp_min for d in good if d.night_temp_min is not None]
    return Baseline(
        home_id=home_id, trained_until=until, days_used=len(good), cold_start=False,
        wake=_time_of_day(wakes, 450.0), bedtime=_time_of_day(beds, 1350.0), wake_weekend=_weekend_wake(good),
        meals=_meal_windows(good),
        bathroom_p95=quantile(baths, 0.95, 25.0), bathroom_p99=quantile(baths, 0.99, 35.0),
        inactivity=_inactivity(good), inactivity_default=max(quantile(_all_gaps(good), 0.99, 30.0), 10.0),
        night_events_p95=quantile(nights, 0.95, 0.0), night_events_max=max(nights, default=0.0),
        night_door_rate=sum(1 for d in good if d.night_door) / len(good),
        activity_median=quantile(activity, 0.5, 0.0),
        activity_spread=robust_sd(activity, floor=MIN_SPREAD * quantile(activity, 0.5, 0.0)),
        pace_median=quantile(paces, 0.5, 0.0),
        pace_spread=robust_sd(paces, floor=MIN_SPREAD * quantile(paces, 0.5, 0.0)),
        outing_rate=len(outings) / len(good), outing_p95_min=quantile(outings, 0.95, 240.0),
        night_temp_p05=quantile(night_temps, 0.05, 0.0) if night_temps else None,
        solo=_lives_alone(good),
        levels=learn_levels([d for d in reference[0] if usable(d)] if reference else good),
        levels_until=reference[1] if reference else until,
    )


def _time_of_day(values: list[float], default: float) -> TimeOfDay:
    spread = robust_sd(values, floor=10.0)
    return TimeOfDay(
        median=quantile(values, 0.5, default), spread=spread,
        early=kde_quantile(values, 0.01, default - 120.0), late=kde_quantile(values, 0.99, default + 120.0),
        n=len(values),
    )


def _lives_alone(days: Sequence[DayFeatures]) -> bool:
    """Someone else moving about the home while the resident is in bed on a good share of nights: a partner
    (a stray trigger or two a night is not a person)."""
    busy = sum(1 for d in days if d.others_in_bed >= OTHERS_MOVING)
    return busy < 0.25 * len(days)


def _weekend_wake(days: Sequence[DayFeatures]) -> TimeOfDay | None:
    """Saturdays and Sundays get their own wake times when the resident lies in on them; with few weekend
    mornings the spread is borrowed from the weekdays."""
    weekend = [d.wake_min for d in days if d.wake_min is not None and d.day.weekday() >= 5]
    weekday = [d.wake_min for d in days if d.wake_min is not None and d.day.weekday() < 5]
    if len(weekend) < 4 or len(weekday) < 4:
        return None
    shift = quantile(weekend, 0.5, 0.0) - quantile(weekday, 0.5, 0.0)
    if shift < WEEKEND_SHIFT_MIN:
        return None
    usual = _time_of_day(weekday, 450.0)
    own = _time_of_day(weekend, 450.0 + shift)
    spread = max(own.spread, usual.spread)
    return TimeOfDay(own.median, spread, min(own.early, usual.early + shift), max(own.late, usual.late + shift),
                     own.n)


def _meal_windows(days: Sequence[DayFeatures]) -> list[MealWindow]:
    """The meals eaten on most days: a kitchen stay long enough to make one, in the usual slot."""
    windows: list[MealWindow] = []
    for name, lo, hi in MEAL_SLOTS:
        starts: list[tuple[float, bool]] = []
        stays: list[float] = []
        offsets: list[float] = []
        for day in days:
            meal = next(((s, m) for s, m in day.kitchen_stays if lo <= s < hi and m >= MEAL_STAY_MIN), None)
            if meal is not None:
                starts.append((meal[0], day.day.weekday() >= 5))
                stays.append(meal[1])
                if day.wake_min is not None:
                    offsets.append(meal[0] - day.wake_min)
        reliability = len(starts) / len(days)
        if reliability < MEAL_RELIABLE:
            continue
        weekday = [t for t, weekend in starts if not weekend]
        weekend = [t for t, weekend in starts if weekend]
        every = [t for t, _ in starts]
        typical = quantile(weekday or every, 0.5, lo)
        late = kde_quantile(weekday or every, 0.99, hi)
        weekend_typical = weekend_late = None
        if len(weekend) >= 3 and quantile(weekend, 0.5, lo) - typical >= WEEKEND_SHIFT_MIN:
            weekend_typical = quantile(weekend, 0.5, lo)
            weekend_late = max(late + weekend_typical - typical, kde_quantile(weekend, 0.99, hi))
        min_stay = min(MEAL_STAY_MIN, 0.6 * quantile(stays, 0.05, MEAL_STAY_MIN))
        after_wake = kde_quantile(offsets, 0.99, 120.0) if name == "breakfast" else None
        windows.append(MealWindow(name, round(typical, 1), round(late, 1), round(reliability, 3), round(min_stay, 2),
                                  after_wake, weekend_typical, weekend_late))
    return windows


def _all_gaps(days: Sequence[DayFeatures]) -> list[float]:
    return [g for d in days for slots in d.gaps.values() for g in slots if g > 0]


def _inactivity(days: Sequence[DayFeatures]) -> dict[str, list[float]]:
    """Per room and hour, the 95th percentile of each day's longest still spell there, pooled over the
    neighbouring hours so one hour with few samples does not decide."""
    rooms = {room for d in days for room in d.gaps if room != BATHROOM}
    learned: dict[str, list[float]] = {}
    for room in sorted(rooms):
        hourly = []
        for hour in range(24):
            samples = [slots[(hour + k) % 24] for d in days if (slots := d.gaps.get(room)) for k in (-1, 0, 1)]
            samples = [s for s in samples if s > 0]
            hourly.append(round(quantile(samples, 0.95, 0.0), 2) if len(samples) >= 5 else 0.0)
        learned[room] = hourly
    return learned

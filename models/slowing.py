"""How slowly the resident moved about on one day, against their usual: the daily evidence for activity_decline.

Five measures of a day at home, each compared with the resident's usual level as a log ratio signed so that
slower is positive (0.10 is about 10 % slower):

- seated_pauses: the long pauses while sitting in the chair, the 90th percentile of the PIR's re-trigger
  gaps (9 in 10 are shorter): the stretches they sit without stirring;
- seated_pace: the mean of those gaps;
- moving_pace: the mean gap between movements everywhere else, up and about;
- sit_length: minutes per sit in the chair;
- movement: minutes with movement per waking hour at home (fewer is slower).

A slowing of a few percent moves each of them by about as much, so the day's slowdown is their mean weighted
by how steady each is for this resident (inverse variance: a measure that wanders from day to day counts
for little), and its evidence is that slowdown in units of its own day-to-day spread. A home without a chair
pad has no seated measures; moving_pace then covers every gap.

Each spread is the resident's own (scaled MAD over the baseline's days) tempered with a population prior
worth PRIOR_DAYS days: three weeks of days are too few to trust a spread on its own, and a spread that
came out narrow by luck would turn ordinary days into evidence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from models.day import DayFeatures, activity_of
from models.stats import linear_quantile, quantile, robust_sd

MIN_GAPS = 15  # re-trigger gaps in a day before their mean or 90th percentile says anything
MIN_SITS = 3
MIN_LEVEL_DAYS = 7  # days with a measure before the resident's usual level of it is known
PRIOR_DAYS = 40.0
CLIP_SD = 3.0  # one measure far off on one day (a long soak in the bath, visitors) counts as 3 sd, no more
# Day-to-day spread of the weighted slowdown on ordinary days, in units of what independent measures would
# give: the measures share the day (a restless day shows in every one), so it is wider (simulated residents).
SCORE_SPREAD = 1.6


@dataclass(frozen=True)
class Measure:
    name: str
    prior_spread: float  # population day-to-day spread of the measure's log
    slower_is_higher: bool = True


# The priors are the median spread among the simulated residents' ordinary days; real homes should replace them.
MEASURES: tuple[Measure, ...] = (
    Measure("seated_pauses", 0.028),
    Measure("seated_pace", 0.037),
    Measure("moving_pace", 0.086),
    Measure("sit_length", 0.092),
    Measure("movement", 0.042, slower_is_higher=False),
)
BY_NAME = {m.name: m for m in MEASURES}


def measures(day: DayFeatures) -> dict[str, float]:
    """The measures `day` has enough of: seconds for the gaps, minutes for sits, minutes per hour for movement."""
    found: dict[str, float] = {}
    seated = day.seated_gaps
    if len(seated) >= MIN_GAPS:
        found["seated_pauses"] = linear_quantile(seated, 0.9)
        found["seated_pace"] = sum(seated) / len(seated)
    moving_n = day.pace_n - len(seated)
    if moving_n >= MIN_GAPS:
        found["moving_pace"] = (day.pace_sum - sum(seated)) / moving_n
    if len(day.sits) >= MIN_SITS:
        found["sit_length"] = sum(day.sits) / len(day.sits)
    movement = activity_of(day)
    if movement is not None:
        found["movement"] = movement
    return {name: value for name, value in found.items() if value > 0}


@dataclass(slots=True)
class Level:
    """The resident's usual value of one measure and how much it wanders from day to day."""

    median: float  # in the measure's own unit
    spread: float  # of its log, tempered with the population prior
    days: int


def learn_levels(days: Iterable[DayFeatures]) -> dict[str, Level]:
    """Usual levels from the baseline's days."""
    logs: dict[str, list[float]] = {}
    for day in days:
        for name, value in measures(day).items():
            logs.setdefault(name, []).append(math.log(value))
    levels: dict[str, Level] = {}
    for measure in MEASURES:
        values = logs.get(measure.name, [])
        if len(values) < MIN_LEVEL_DAYS:
            continue
        own = robust_sd(values)
        n = len(values)
        spread = math.sqrt((n * own**2 + PRIOR_DAYS * measure.prior_spread**2) / (n + PRIOR_DAYS))
        levels[measure.name] = Level(round(math.exp(quantile(values, 0.5, 0.0)), 3), round(spread, 5), n)
    return levels


@dataclass(frozen=True)
class DayEvidence:
    day: date
    slowdown: float  # weighted mean log ratio to usual, slower positive (0.1: about 10 % slower)
    spread: float  # how far the slowdown of an ordinary day strays from 0 (one spread)
    values: Mapping[str, float]  # measure -> the day's value

    @property
    def z(self) -> float:
        """The slowdown in spreads of an ordinary day."""
        return self.slowdown / self.spread


def evidence(levels: Mapping[str, Level], day: DayFeatures) -> DayEvidence | None:
    """How much slower than usual the resident was on `day`, from the measures it has and the baseline knows."""
    return evidence_of(levels, day.day, measures(day))


def evidence_of(levels: Mapping[str, Level], day: date, values: Mapping[str, float]) -> DayEvidence | None:
    """`evidence` from a day's measures (models.slowing.measures), e.g. as a day summary keeps them."""
    total = weights = 0.0
    used: dict[str, float] = {}
    for name, value in values.items():
        level = levels.get(name)
        if level is None or level.median <= 0 or level.spread <= 0:
            continue
        ratio = math.log(value / level.median)
        if not BY_NAME[name].slower_is_higher:
            ratio = -ratio
        weight = 1 / level.spread**2
        total += weight * min(max(ratio, -CLIP_SD * level.spread), CLIP_SD * level.spread)
        weights += weight
        used[name] = value
    if not weights:
        return None
    return DayEvidence(day, total / weights, SCORE_SPREAD / math.sqrt(weights), used)

"""Learning a resident's baseline from their own readings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from models.baselines import MIN_DAYS, Baseline, learn
from models.clock import DAY_START_MIN, MINUTES_PER_DAY, at_care_minute, care_day
from models.features import DayFeatures, TrackerParams, daily_features, usable
from models.readings import Absence, Reading

TRAIN_DAYS = 28
# The decline detector judges the last two weeks against usual levels learned before them: retrained every
# night on the latest weeks, the levels would otherwise learn a slowing under way as the resident's usual.
DECLINE_HOLDBACK_DAYS = 14


def train(home_id: str, readings: Iterable[Reading], until: datetime, *, days: int = TRAIN_DAYS,
          absences: Sequence[Absence] = (), holdback_days: int = DECLINE_HOLDBACK_DAYS) -> Baseline:
    """A baseline from the last `days` care days of time-ordered `readings` before `until` (event time).

    Days touched by a registered absence are left out; with fewer than 14 usable days the baseline is
    population priors (cold_start=True). A first pass finds the resident's wake and bed times and whether
    they live alone, a second re-reads the days with those edges, so a very early riser's mornings are not
    taken for night trips.

    The decline detector's usual levels come from the `days` care days before the last `holdback_days` when
    the readings reach that far back with enough usable days in them (`levels_until` says where they end);
    otherwise from the same days as the rest of the baseline.
    """
    since = until - timedelta(days=days + holdback_days + 1)
    window = [r for r in readings if since <= r.ts < until]
    recent, _ = _split(_days(window, until, absences, None), until, days, holdback_days)
    first = learn(home_id, recent, until)
    if first.cold_start:
        return first
    recent, reference = _split(_days(window, until, absences, first), until, days, holdback_days)
    return learn(home_id, recent, until, reference)


def _split(found: list[DayFeatures], until: datetime, days: int,
           holdback_days: int) -> tuple[list[DayFeatures], tuple[list[DayFeatures], datetime] | None]:
    """(the last `days` care days, the decline reference: the `days` before the holdback, if enough)."""
    last = care_day(until)
    recent = [d for d in found if d.day >= last - timedelta(days=days)]
    cut = last - timedelta(days=holdback_days)
    older = [d for d in found if cut - timedelta(days=days) <= d.day < cut]
    if holdback_days <= 0 or sum(1 for d in older if usable(d)) < MIN_DAYS:
        return recent, None
    return recent, (older, at_care_minute(cut, DAY_START_MIN))


def _days(readings: list[Reading], until: datetime, absences: Sequence[Absence],
          first: Baseline | None) -> list[DayFeatures]:
    # The first pass does not assume the resident lives alone: taking a partner's early start for the
    # resident's lost bed-out would hide the very movements that show someone else lives there.
    params = first.tracker_params() if first is not None else TrackerParams(solo=False)
    found = daily_features(readings, params, until=until)
    last = care_day(until)
    # The window's first care day starts part-way through; a day not finished by `until` is partial too.
    found = [d for d in found[1:] if d.day < last]
    return [d for d in found if not any(_overlaps(a, d.day) for a in absences)]


def _overlaps(absence: Absence, day: date) -> bool:
    start = at_care_minute(day, DAY_START_MIN)
    end = at_care_minute(day, DAY_START_MIN + MINUTES_PER_DAY)
    return absence.start < end and (absence.end is None or absence.end > start)

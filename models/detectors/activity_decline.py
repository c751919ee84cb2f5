"""activity_decline: a slow slide in how much the resident moves about, over days to weeks.

The daily signal is the resident's pace: the mean time between a motion sensor's re-triggers while
they stay in a room. As a person slows down they move less often where they are and sit longer, so the
gaps lengthen, whatever the day's timetable (an outing or an early night does not change it). A
one-sided CUSUM over the days since the baseline was learned accumulates the slowdown against the
resident's own usual pace, in units of their own day-to-day spread: a decline of one or two percent a
day adds up within the week while one slow day does not. The day is counted as soon as the resident
goes to bed, not at 04:00. Minutes with movement per waking hour, a robust trend (Theil-Sen) and an
IsolationForest trained on the baseline's days are supporting evidence for the confidence and the
explanation, not the decision.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import TheilSenRegressor

from models import explain
from models.baselines import Baseline
from models.clock import LOCAL_TZ, care_day
from models.detectors.common import finding
from models.features import DayFeatures, Tracker, activity_of, day_vector, usable
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding

KIND = "activity_decline"
PRIORITY = 3
ALLOWANCE = 0.5  # sd per day of slowdown that is just day-to-day variation
DECISION = 2.5  # accumulated slowdown (sd × days) that is a decline
Z_CLIP = 3.0  # one very slow day (a hospital appointment, a cold) counts as a slow day, no more
RECENT_DAYS = 3
RECENT_SLOW_SD = 1.0  # and the last few days are still slow: not an old dip
MIN_SLOWDOWN = 0.07  # at least this much slower than usual, whatever the spread
WINDOW_DAYS = 28
MIN_SPREAD = 0.03  # of the usual pace

# The series only changes when a day is counted; scoring runs every few minutes.
_memo: weakref.WeakKeyDictionary[Tracker, tuple[tuple[object, ...], list[Finding]]] = weakref.WeakKeyDictionary()


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    if not baseline.solo:
        return []  # someone else lives here: their movements hide the resident's
    if baseline.cold_start or baseline.pace_median <= 0:
        return []
    today = state.today
    counted_today = today is not None and state.night_active and today.bedtime_min is not None
    key = (state.days_closed, counted_today, id(baseline), tuple(absences), factor(adjustments, KIND))
    cached = _memo.get(state)
    if cached is not None and cached[0] == key:
        return [replace(f, detected_at=now) for f in cached[1]]
    found = _detect(baseline, _series(baseline, state, absences, counted_today), now, adjustments)
    _memo[state] = (key, found)
    return found


def _detect(baseline: Baseline, days: list[DayFeatures], now: datetime,
            adjustments: Adjustments | None) -> list[Finding]:
    if len(days) < RECENT_DAYS:
        return []
    usual, spread = baseline.pace_median, max(baseline.pace_spread, MIN_SPREAD * baseline.pace_median)
    paces = tuple(round(d.pace or 0.0, 2) for d in days)
    verdict = _judge(paces, usual, spread, factor(adjustments, KIND))
    if verdict is None:
        return []
    start, total = verdict
    recent = days[-RECENT_DAYS:]
    activity = [a for d in recent if (a := activity_of(d)) is not None]
    slope = _weekly_slope(tuple(d.day.toordinal() for d in days[-10:]), paces[-10:])
    unusual = _unusual_days(tuple(tuple(v) for v in baseline.day_vectors),
                            tuple(tuple(day_vector(d)) for d in days[-7:]))
    onset_day = days[start].day
    text = explain.activity_decline(
        float(np.mean(paces[-RECENT_DAYS:])) / 60, usual / 60, spread / 60,
        float(np.mean(activity)) if activity else None, baseline.activity_median, len(days) - start,
        slope / 60, unusual, min(len(days), 7), baseline)
    strength = min(total / (DECISION * factor(adjustments, KIND)) - 1, 1.0)
    confidence = 0.55 + 0.2 * strength + 0.15 * (unusual / 7) + (0.05 if slope > 0 else 0.0)
    evidence = [("activity", datetime.combine(d.day, time(12), LOCAL_TZ)) for d in days[start:]]
    return [finding(baseline, KIND, datetime.combine(onset_day, time(0), LOCAL_TZ), now, confidence, text,
                    onset_day.isoformat(), evidence)]


def _series(baseline: Baseline, state: Tracker, absences: Sequence[Absence], counted_today: bool) -> list[DayFeatures]:
    """Usable days since the baseline was learned, none touched by a registered absence or a long still
    spell (a fall is its own alert), plus today once the resident has gone to bed."""
    learned_until = care_day(baseline.trained_until) if baseline.trained_until else date.min
    candidates = list(state.days)
    if counted_today and state.today is not None:
        candidates.append(state.today)
    chosen = []
    for day in candidates:
        finished = day is not state.today
        if (day.day < learned_until or not usable(day, finished) or activity_of(day) is None or day.pace is None
                or _absent(day.day, absences)):
            continue
        chosen.append(day)
    return chosen[-WINDOW_DAYS:]


def _absent(day: date, absences: Sequence[Absence]) -> bool:
    """Any registered absence overlapping the care day."""
    start = datetime.combine(day, time(4), LOCAL_TZ)
    end = start + timedelta(days=1)
    return any(a.start < end and (a.end is None or a.end > start) for a in absences)


@functools.lru_cache(maxsize=4096)
def _judge(paces: tuple[float, ...], usual: float, spread: float, strictness: float) -> tuple[int, float] | None:
    """(index of the day the current slowdown began, accumulated slowdown) when it amounts to a decline
    that is still going on, else None."""
    total, start = 0.0, 0
    for index, pace in enumerate(paces):
        z = min(max((pace - usual) / spread, -Z_CLIP), Z_CLIP)
        total = max(0.0, total + z - ALLOWANCE)
        if total == 0.0:
            start = index + 1
    recent = sum(paces[-RECENT_DAYS:]) / RECENT_DAYS
    if (total >= DECISION * strictness and (recent - usual) / spread >= RECENT_SLOW_SD
            and recent / usual - 1 >= MIN_SLOWDOWN * strictness):
        return min(start, len(paces) - 1), total
    return None


@functools.lru_cache(maxsize=1024)
def _weekly_slope(days: tuple[int, ...], values: tuple[float, ...]) -> float:
    if len(days) < 4:
        return 0.0
    x = np.asarray(days, dtype=float).reshape(-1, 1) - days[0]
    model = TheilSenRegressor(random_state=0).fit(x, np.asarray(values))
    return float(model.coef_[0]) * 7


@functools.lru_cache(maxsize=256)
def _forest(vectors: tuple[tuple[float, ...], ...]) -> IsolationForest | None:
    if len(vectors) < 10:
        return None
    return IsolationForest(n_estimators=100, random_state=0).fit(np.asarray(vectors))


@functools.lru_cache(maxsize=4096)
def _unusual_days(vectors: tuple[tuple[float, ...], ...], recent: tuple[tuple[float, ...], ...]) -> int:
    """How many of the recent days the forest trained on the baseline's days calls outliers."""
    forest = _forest(vectors)
    if forest is None or not recent or len(recent[0]) != len(vectors[0]):
        return 0
    return int(np.sum(forest.predict(np.asarray(recent)) == -1))

"""missed_meal: a meal this resident eats on most days has not been made by well past its usual time.

A meal is a kitchen stay long enough to make one (a cup of tea is shorter). Breakfast is timed from
getting up; lunch and dinner from the clock (later on weekends for someone who lies in then). Not
expected while the resident is not up yet, got up too late for it, was out for part of the window
(eating out), or lay still for an hour or more in it (that is prolonged_inactivity's alert)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from models import explain
from models.baselines import Baseline, MealWindow
from models.clock import at_care_minute, care_day, care_minute
from models.detectors.common import confidence_past, finding, resident_elsewhere
from models.features import KITCHEN, Tracker
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding

KIND = "missed_meal"
PRIORITY = 2
MARGIN_MIN = 30.0
OPENS_BEFORE_MIN = 90.0  # kitchen time this long before the usual start still counts as the meal
RAISED_FOR_MIN = 180.0  # after this the question is stale: the next meal will tell
OUT_FOR = timedelta(minutes=30)
LATE_UP_MIN = 60.0


def due(meal: MealWindow, weekend: bool, woke_min: float, adjustments: Adjustments | None) -> tuple[float, float]:
    """(window opens, alert after) in care minutes."""
    margin = MARGIN_MIN * factor(adjustments, KIND)
    if meal.after_wake is not None:
        return woke_min - 5.0, woke_min + meal.after_wake + margin
    typical, late = meal.times(weekend)
    return typical - OPENS_BEFORE_MIN, late + margin


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    if not baseline.solo:
        return []  # someone else lives here: their movements hide the resident's, and they are there to help
    woke = state.woke_at
    if not baseline.meals or woke is None or not state.woke_today(now):
        return []
    minute, day = care_minute(now), care_day(now)
    weekend = day.weekday() >= 5
    woke_min = care_minute(woke)
    for meal in baseline.meals:
        opens, alert_after = due(meal, weekend, woke_min, adjustments)
        if not alert_after <= minute < alert_after + RAISED_FOR_MIN:
            continue
        if meal.after_wake is None and woke_min > meal.times(weekend)[0] - 60:
            continue  # up too late for this meal to be expected; the first meal after waking stands in
        if meal.after_wake is not None and woke_min > baseline.wake_for(weekend).late + LATE_UP_MIN:
            continue  # up (or home) long after the usual time: the day has not started as usual
        start = at_care_minute(day, opens)
        kitchen = _kitchen_minutes(state, start, now)
        if kitchen >= meal.min_stay or _excused(state, start, now, absences):
            continue
        if state.was_blind(state.devices_in(KITCHEN), start, now):
            continue  # the kitchen sensors (or the whole unit) were not heard from for part of the window
        opens_fridge = sum(1 for _, ts in state.fridge_today if ts >= start)
        text = explain.missed_meal(meal, alert_after, now, kitchen, opens_fridge, baseline)
        evidence = [(device, ts) for device, ts in state.fridge_today if ts >= start]
        confidence = confidence_past(minute - alert_after, 60.0) * (0.7 + 0.3 * meal.reliability)
        return [finding(baseline, KIND, at_care_minute(day, alert_after - MARGIN_MIN), now, confidence, text,
                        f"{day.isoformat()}:{meal.name}", evidence)]
    return []


def _kitchen_minutes(state: Tracker, start: datetime, now: datetime) -> float:
    ongoing = state.stay_start if state.stay_room == KITCHEN else None
    return state.kitchen_today.minutes_within(start, now, ongoing)


def _excused(state: Tracker, start: datetime, now: datetime, absences: Sequence[Absence]) -> bool:
    if resident_elsewhere(state, absences, now):
        return True
    today = state.today
    if today is not None:
        for left_min, minutes in today.outings:
            left = at_care_minute(today.day, left_min)
            back = left + timedelta(minutes=minutes)
            if min(back, now) - max(left, start) >= OUT_FOR:
                return True
    for a, b in state.still_today:
        if b > start and a < now:
            return True
    since = state.last_confirmed
    return since is not None and not state.in_bed and now - since >= timedelta(minutes=60)

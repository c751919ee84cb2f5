"""no_activity_morning: not up by well past this resident's latest usual time of getting up.

"Up" is a bed-out that lasts (or is followed by the living rooms), so a trip to the toilet does not
count and neither does a carer moving about while the bed says the resident is still in it. A resident
who went out and has not come back is away, not asleep. A morning the hub did not watch from before the
resident's earliest usual time up (a unit installed, or first heard, later that day) is not judged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models import explain
from models.baselines import Baseline
from models.clock import at_care_minute, care_day, care_minute
from models.detectors.common import blind, confidence_past, finding, resident_elsewhere
from models.features import Tracker
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding

KIND = "no_activity_morning"
PRIORITY = 2
MIN_MARGIN_MIN = 30.0
GIVE_UP_MIN = 17 * 60.0  # by late afternoon "not up yet" is prolonged inactivity's question


def deadline(baseline: Baseline, day_is_weekend: bool, adjustments: Adjustments | None) -> float:
    """Care minute after which not being up is unusual for this resident."""
    usual = baseline.wake_for(day_is_weekend)
    return min(usual.late + max(MIN_MARGIN_MIN, usual.spread) * factor(adjustments, KIND), GIVE_UP_MIN - 1)


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    if state.woke_today(now) or state.wake_candidate is not None:
        return []
    minute = care_minute(now)
    day = care_day(now)
    weekend = day.weekday() >= 5
    due = deadline(baseline, weekend, adjustments)
    if not due <= minute < GIVE_UP_MIN:
        return []
    usual = baseline.wake_for(weekend)
    if state.watching_since is None or state.watching_since > at_care_minute(day, usual.early):
        return []  # the home was first heard after the resident usually gets up: this morning is unknown
    if resident_elsewhere(state, absences, now) or blind(state, now, [state.bed_device]):
        return []
    if not baseline.solo and _someone_up(state, at_care_minute(day, usual.early)):
        return []  # another household member is up and about: they are there to notice
    evidence = []
    if state.bed_since is not None and state.bed_device:
        evidence.append((state.bed_device, state.bed_since))
    if state.last_motion is not None:
        evidence.append((state.last_motion_device, state.last_motion))
    text = explain.no_activity_morning(now, usual, due, state.in_bed, state.last_motion, baseline)
    confidence = confidence_past(minute - due, 60.0, floor=0.55 if baseline.cold_start else 0.65)
    return [finding(baseline, KIND, at_care_minute(day, usual.late), now, confidence, text, day.isoformat(),
                    sorted(evidence, key=lambda e: e[1]))]


def _someone_up(state: Tracker, since: datetime) -> bool:
    """Movement outside the bedroom since the resident's earliest usual time up."""
    return state.last_elsewhere is not None and state.last_elsewhere >= since

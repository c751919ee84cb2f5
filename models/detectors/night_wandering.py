"""night_wandering: up in the night and moving about the kitchen, lounge or hallway far more than this
resident ever does (a trip to the toilet is bedroom, hallway, bathroom and back, and does not count).

Movements while the bed says the resident is in it are someone else's (a partner, a guest staying
late), so they do not count either."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from models import explain
from models.baselines import Baseline
from models.detectors.common import blind, confidence_past, finding, in_absence
from models.features import Tracker
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding

KIND = "night_wandering"
PRIORITY = 2
MIN_EVENTS = 6
MIN_SPAN = timedelta(minutes=5)  # a burst of triggers in one minute is one walk across a room


def threshold(baseline: Baseline, adjustments: Adjustments | None) -> float:
    usual = max(baseline.night_events_p95 * 2 + 2, baseline.night_events_max + 1)
    return max(MIN_EVENTS, usual) * factor(adjustments, KIND)


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    events = state.night_wander
    night = state.night_start
    if night is None or not state.night_active or len(events) < MIN_EVENTS:
        return []
    limit = threshold(baseline, adjustments)
    if len(events) < limit or events[-1][1] - events[0][1] < MIN_SPAN:
        return []
    if in_absence(absences, now) or blind(state, now):
        return []
    rooms = sorted({state.device_room.get(device) or device for device, _ in events})
    text = explain.night_wandering(night, events, rooms, limit, baseline)
    return [finding(baseline, KIND, events[0][1], now, confidence_past(len(events) - limit, limit), text,
                    night.isoformat(), events)]

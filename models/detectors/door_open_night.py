"""door_open_night: the front door opened in the night by the resident: they had gone to bed, got up
and opened it from inside (not coming home from a late night out, not a guest leaving while the bed says
the resident is in it). A confused resident walking out at 3 am is the risk; minutes count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from models import explain
from models.baselines import Baseline
from models.detectors.common import blind, finding, in_absence
from models.features import Tracker
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding

KIND = "door_open_night"
PRIORITY = 2
HABIT_RATE = 0.2  # opened on this share of usual nights: a habit (a smoker, a cat), not a risk
PATIENCE_MIN = 30.0  # per unit of margin factor above 1


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    doors = state.night_doors
    if not doors or not state.night_active:
        return []
    if baseline.night_door_rate >= HABIT_RATE:
        return []
    device, opened = doors[0]
    if in_absence(absences, opened) or blind(state, now, [device]):
        return []
    away = state.away_since(now) is not None
    still_open = state.door_open_since is not None
    # After false alarms: a quick look outside no longer alerts, a door left open or a walk out does.
    hold = timedelta(minutes=PATIENCE_MIN * (factor(adjustments, KIND) - 1.0))
    if hold and not ((away or still_open) and now - opened >= hold):
        return []
    text = explain.door_open_night(opened, now, away, still_open, state.night_start, baseline)
    confidence = 0.9 if away or still_open else 0.75
    return [finding(baseline, KIND, opened, now, confidence, text, opened.isoformat(), doors)]

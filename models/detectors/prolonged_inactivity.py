"""prolonged_inactivity: nothing has moved for far longer than this resident is ever still in that room
at that time of day (a fall without the pendant, a collapse). Not while in bed, away or on a registered
absence, and not in the bathroom (prolonged_bathroom's question)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models import explain
from models.baselines import Baseline
from models.clock import wall
from models.detectors.common import (
    confidence_past,
    finding,
    likely_asleep,
    pace_factor,
    resident_elsewhere,
)
from models.features import BATHROOM, Tracker
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding

KIND = "prolonged_inactivity"
PRIORITY = 2
TIMES_USUAL = 3.0
FLOOR_MIN = 45.0
CEILING_MIN = 180.0


def threshold(baseline: Baseline, room: str, hour: int, adjustments: Adjustments | None,
              pace: float = 1.0) -> tuple[float, float]:
    """(alert threshold, usual longest still spell) in minutes; `pace` > 1 when the resident has been moving
    more slowly than usual lately (models.detectors.common.pace_factor)."""
    usual = baseline.inactivity_usual(room, hour) * pace
    limit = min(max(TIMES_USUAL * usual, FLOOR_MIN * pace), CEILING_MIN)
    return limit * factor(adjustments, KIND), usual


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    if not baseline.solo:
        return []  # someone else lives here: their movements hide the resident's, and they are there to help
    since, room = state.last_confirmed, state.confirmed_room
    if since is None or room is None or state.in_bed or room == BATHROOM:
        return []
    still = (now - since).total_seconds() / 60
    if still < FLOOR_MIN:
        return []
    if likely_asleep(baseline, state, now):
        return []
    pace = pace_factor(baseline, state)
    limit, usual = threshold(baseline, room, wall(since).hour, adjustments, pace)
    if still < limit:
        return []
    if resident_elsewhere(state, absences, now) or state.was_blind(state.motion_sensors(), since, now):
        return []  # a motion sensor down during the spell: stillness proves nothing (its own alert says so)
    text = explain.prolonged_inactivity(room, since, now, limit, usual, pace, baseline)
    evidence = [(state.confirmed_device, since)]
    return [finding(baseline, KIND, since, now, confidence_past(still - limit, limit), text, since.isoformat(),
                    evidence)]

"""prolonged_inactivity: nothing has moved for far longer than this resident is ever still in that room
at that time of day (a fall without the pendant, a collapse). Not while in bed, away or on a registered
absence, and not in the bathroom (prolonged_bathroom's question)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models import explain
from models.baselines import Baseline
from models.clock import wall
from models.detectors.common import blind, confidence_past, finding, likely_asleep, resident_elsewhere
from models.features import BATHROOM, Tracker
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding

KIND = "prolonged_inactivity"
PRIORITY = 2
TIMES_USUAL = 3.0
FLOOR_MIN = 45.0
CEILING_MIN = 180.0


def threshold(baseline: Baseline, room: str, hour: int, adjustments: Adjustments | None) -> tuple[float, float]:
    """(alert threshold, usual longest still spell) in minutes."""
    usual = baseline.inactivity_usual(room, hour)
    limit = min(max(TIMES_USUAL * usual, FLOOR_MIN), CEILING_MIN)
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
    limit, usual = threshold(baseline, room, wall(since).hour, adjustments)
    if still < limit:
        return []
    if resident_elsewhere(state, absences, now) or blind(state, now, [state.confirmed_device]):
        return []
    text = explain.prolonged_inactivity(room, since, now, limit, usual, baseline)
    evidence = [(state.confirmed_device, since)]
    return [finding(baseline, KIND, since, now, confidence_past(still - limit, limit), text, since.isoformat(),
                    evidence)]

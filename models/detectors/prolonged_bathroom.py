"""prolonged_bathroom: in the bathroom far longer than this resident's longest usual visit (a fall
there is common and the pull cord is often out of reach)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models import explain
from models.baselines import Baseline
from models.detectors.common import blind, confidence_past, finding, resident_elsewhere
from models.features import BATHROOM, Tracker
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding

KIND = "prolonged_bathroom"
PRIORITY = 2
FLOOR_MIN = 25.0
EXTRA_MIN = 15.0
CEILING_MIN = 60.0


def threshold(baseline: Baseline, adjustments: Adjustments | None) -> float:
    """Half as long again as the longest usual visit, and at least a quarter of an hour longer; never
    beyond an hour, however long the visits the baseline happened to see."""
    longest = min(baseline.bathroom_p99, 2.5 * baseline.bathroom_p95)
    limit = min(max(1.5 * longest, longest + EXTRA_MIN, FLOOR_MIN), CEILING_MIN)
    return limit * factor(adjustments, KIND)


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    if not baseline.solo:
        return []  # someone else lives here: their movements hide the resident's, and they are there to help
    since = state.stay_start
    if (state.stay_room != BATHROOM or state.confirmed_room != BATHROOM or since is None or state.in_bed
            or not state.stay_walked_in):
        return []
    stay = (now - since).total_seconds() / 60
    limit = threshold(baseline, adjustments)
    if stay < limit or resident_elsewhere(state, absences, now) or blind(state, now, [state.stay_device]):
        return []
    text = explain.prolonged_bathroom(since, now, limit, baseline)
    evidence = [(state.stay_device, since)]
    if state.last_motion and state.last_motion != since:
        evidence.append((state.last_motion_device, state.last_motion))
    return [finding(baseline, KIND, since, now, confidence_past(stay - limit, limit), text, since.isoformat(),
                    evidence)]

"""unit_offline: nothing at all from the home unit (its own heartbeat, or any reading it relays) for
three heartbeat intervals of event time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from models import explain
from models.baselines import Baseline
from models.detectors.common import finding
from models.feedback import Adjustments
from models.readings import Absence, Finding
from models.supervision import MISSED_HEARTBEATS
from models.tracker import Tracker

KIND = "unit_offline"
PRIORITY = 4


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    unit = state.unit_device
    if not state.is_silent(unit, now):
        return []
    last = state.last_seen[unit]
    interval = state.silence_limit(unit) / MISSED_HEARTBEATS
    text = explain.silent(unit, last, now, interval, baseline, whole_unit=True)
    # No device id: the hub's own unit_offline alerts (from the unit's last will) use the same empty key.
    return [finding(baseline, KIND, last + interval, now, 0.95, text, last.isoformat(), [(unit, last)])]

"""device_silent: a supervised sensor has missed three heartbeats in a row (event time).

When the whole home unit is silent every sensor behind it is too; that is one fault, reported once
as unit_offline, not once per sensor."""

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

KIND = "device_silent"
PRIORITY = 4


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    oldest = state.oldest_supervised()
    if oldest is None or now - oldest <= state.shortest_limit():
        return []  # everything heard within the shortest silence limit
    unit = state.unit_device
    if state.is_silent(unit, now):
        return []
    found = []
    for device in sorted(state.supervised):
        if not state.sensor_silent(device, now):
            continue
        last = state.last_seen[device]
        interval = state.silence_limit(device) / MISSED_HEARTBEATS
        onset = last + interval  # the first heartbeat that did not come
        text = explain.silent(device, last, now, interval, baseline)
        found.append(finding(baseline, KIND, onset, now, 0.95, text, f"{device}:{last.isoformat()}",
                             [(device, last)], device_id=device))
    return found

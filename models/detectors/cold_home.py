"""cold_home: a hard safety rule, not a learned one. Below 16 °C for an hour is a risk of hypothermia
and heart strain for an older person whatever the home is usually like, so history cannot excuse it
and feedback cannot widen it. A home left cold while the resident is away or in hospital is not a
risk to them, so that stays quiet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from models import explain
from models.baselines import Baseline
from models.detectors.common import blind, confidence_past, finding, resident_elsewhere
from models.features import COLD_LIMIT_C, Tracker
from models.feedback import Adjustments
from models.readings import Absence, Finding

KIND = "cold_home"
PRIORITY = 2
COLD_FOR = timedelta(hours=1)
STALE_AFTER = timedelta(minutes=90)  # no reading for this long: the sensor, not the home, is the question


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    since = state.cold_since
    if since is None or state.last_temp is None or now - since < COLD_FOR:
        return []
    last_ts, last_value = state.last_temp
    if now - last_ts > STALE_AFTER or resident_elsewhere(state, absences, now) or blind(state, now):
        return []
    coldest = min(value for _, _, value in state.cold_evidence) if state.cold_evidence else last_value
    text = explain.cold_home(since, now, last_value, coldest, COLD_LIMIT_C, baseline)
    evidence = [(device, ts) for device, ts, _ in state.cold_evidence]
    confidence = confidence_past(COLD_LIMIT_C - coldest, 1.5, floor=0.8)
    return [finding(baseline, KIND, since, now, confidence, text, since.isoformat(), evidence)]

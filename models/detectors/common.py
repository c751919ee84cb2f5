"""What every detector shares: the suppressions a carer would apply, and how a finding is built."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice

from models.baselines import Baseline
from models.clock import care_minute
from models.features import BEDROOM, Tracker
from models.readings import Absence, Finding


def in_absence(absences: Sequence[Absence], t: datetime) -> Absence | None:
    """The registered absence covering `t`, if any."""
    for absence in absences:
        if absence.start <= t and (absence.end is None or t < absence.end):
            return absence
    return None


def resident_elsewhere(state: Tracker, absences: Sequence[Absence], now: datetime) -> bool:
    """Away (went out and nothing has moved since) or on a registered absence: silence at home is expected."""
    return state.away_since(now) is not None or in_absence(absences, now) is not None


def blind(state: Tracker, now: datetime, devices: Iterable[str] = ()) -> bool:
    """The home unit is offline, or one of `devices` is silent: an absence of events proves nothing
    (the technical alert already says so)."""
    if state.is_silent(state.unit_device, now):
        return True
    return any(state.sensor_silent(device, now) for device in devices if device)


def finding(baseline: Baseline, kind: str, onset: datetime, now: datetime, confidence: float,
            explanation: str, episode_anchor: str,
            evidence: Iterable[tuple[str, datetime]] = (), device_id: str | None = None) -> Finding:
    return Finding(
        home_id=baseline.home_id, kind=kind, onset=onset, detected_at=now,
        confidence=round(min(max(confidence, 0.05), 0.99), 2), explanation=explanation,
        episode=f"{baseline.home_id}:{kind}:{episode_anchor}",
        evidence=tuple(evidence)[-20:], cold_start=baseline.cold_start, device_id=device_id,
    )


def confidence_past(excess: float, scale: float, floor: float = 0.6) -> float:
    """Confidence from how far past its threshold the evidence is: `floor` at the threshold, towards
    0.98 well beyond it."""
    if scale <= 0:
        return 0.9
    ratio = max(excess, 0.0) / scale
    return floor + (0.98 - floor) * ratio / (1 + ratio)


def likely_asleep(baseline: Baseline, state: Tracker, now: datetime) -> bool:
    """Last seen in the bedroom in the resident's usual night: asleep, even when the bed sensor's 'in' was
    lost on the radio link (a fall by the bed at night looks the same; the bed sensor tells them apart)."""
    since = state.last_confirmed
    if state.confirmed_room != BEDROOM or since is None:
        return False
    minute = care_minute(since)
    return minute >= baseline.bedtime.early - 30 or minute <= baseline.wake.late


PACE_DAYS = 3
MAX_PACE_FACTOR = 2.5
_pace_memo: weakref.WeakKeyDictionary[Tracker, tuple[tuple[int, float], float]] = weakref.WeakKeyDictionary()


def pace_factor(baseline: Baseline, state: Tracker) -> float:
    """How much more slowly the resident has been moving over the last few days than when the baseline was
    learned (1.0 = as usual, never below). A slowing resident sits still for longer between movements, so
    stillness is judged against today's pace, not last month's, while the decline alert says why."""
    if baseline.pace_median <= 0:
        return 1.0
    key = (state.days_closed, baseline.pace_median)
    cached = _pace_memo.get(state)
    if cached is not None and cached[0] == key:
        return cached[1]
    recent = list(islice((d.pace for d in reversed(state.history) if d.usable and d.pace is not None), PACE_DAYS))
    value = 1.0
    if len(recent) == PACE_DAYS:
        value = min(max(sum(recent) / PACE_DAYS / baseline.pace_median, 1.0), MAX_PACE_FACTOR)
    _pace_memo[state] = (key, value)
    return value

"""activity_decline: a slow slide in how much the resident moves about, over days to weeks.

Each day at home gets a slowdown against the resident's usual levels (models.slowing): the pauses they
take sitting in the chair, how often they move when up and about, how long they sit at a time and the
minutes with movement per waking hour, each counted by how steady it is for them. A one-sided CUSUM adds
up the days' evidence: each day contributes how many ordinary-day spreads it was slower than usual, less an
allowance of one, so ordinary ups and downs are absorbed and a slowing of one or two percent a day passes
DECISION within the week. A far-off day counts as three spreads at most: alone, only a day far outside
anything usual for the resident reaches the decision. The day is counted as soon as the resident goes to
bed, not at 04:00.

Only days the resident spent at home, heard from throughout, count: a registered absence (a hospital stay)
or a day out is left out, not taken for slowing down. A day with an hour-long still spell (a fall is its own
alert) has no movement measure, and its paces leave the spell out: only the gaps between movements count.
The series starts where the usual levels end (Baseline.levels_until), so the days judged are never the
days the levels were learned from.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from models import explain
from models.baselines import Baseline
from models.clock import LOCAL_TZ, care_day
from models.detectors.common import confidence_past, finding
from models.features import Tracker, usable
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding
from models.slowing import DayEvidence, evidence

KIND = "activity_decline"
PRIORITY = 3
ALLOWANCE = 1.0  # ordinary-day spreads of slowing per day that are just day-to-day variation
DECISION = 2.0  # accumulated slowing beyond the allowance (spreads × days) that is a decline
Z_CLIP = 3.0  # one very slow day (a cold, a hospital appointment) counts as three spreads, no more
WINDOW_DAYS = 28
RECENT_DAYS = 3  # the explanation's averages: the latest days of the slowing

# The series only changes when a day is counted; scoring runs every few minutes.
_memo: weakref.WeakKeyDictionary[Tracker, tuple[tuple[object, ...], list[Finding]]] = weakref.WeakKeyDictionary()


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    if not baseline.solo:
        return []  # someone else lives here: their movements hide the resident's
    if baseline.cold_start or not baseline.levels:
        return []
    today = state.today
    counted_today = today is not None and state.night_active and today.bedtime_min is not None
    key = (state.days_closed, counted_today, id(baseline), tuple(absences), factor(adjustments, KIND))
    cached = _memo.get(state)
    if cached is not None and cached[0] == key:
        return [replace(f, detected_at=now) for f in cached[1]]
    found = _detect(baseline, _series(baseline, state, absences, counted_today), now, adjustments)
    _memo[state] = (key, found)
    return found


def _detect(baseline: Baseline, days: list[DayEvidence], now: datetime,
            adjustments: Adjustments | None) -> list[Finding]:
    if not days:
        return []
    decision = DECISION * factor(adjustments, KIND)
    verdict = _judge(tuple(round(d.z, 3) for d in days), decision)
    if verdict is None:
        return []
    start, total = verdict
    run = days[start:]
    onset_day = run[0].day
    text = explain.activity_decline(run, run[-RECENT_DAYS:], baseline)
    evidence_days = [("activity", datetime.combine(d.day, time(12), LOCAL_TZ)) for d in run]
    return [finding(baseline, KIND, datetime.combine(onset_day, time(0), LOCAL_TZ), now,
                    confidence_past(total - decision, decision), text, onset_day.isoformat(), evidence_days)]


def _series(baseline: Baseline, state: Tracker, absences: Sequence[Absence],
            counted_today: bool) -> list[DayEvidence]:
    """The evidence of each usable day since the usual levels were learned, none touched by a registered
    absence, plus today once the resident has gone to bed."""
    until = baseline.levels_until or baseline.trained_until
    first = care_day(until) if until else date.min
    candidates = list(state.days)
    if counted_today and state.today is not None:
        candidates.append(state.today)
    chosen = []
    for day in candidates:
        finished = day is not state.today
        if day.day < first or not usable(day, finished) or _absent(day.day, absences):
            continue
        found = evidence(baseline.levels, day)
        if found is not None:
            chosen.append(found)
    return chosen[-WINDOW_DAYS:]


def _absent(day: date, absences: Sequence[Absence]) -> bool:
    """Any registered absence overlapping the care day."""
    start = datetime.combine(day, time(4), LOCAL_TZ)
    end = start + timedelta(days=1)
    return any(a.start < end and (a.end is None or a.end > start) for a in absences)


@functools.lru_cache(maxsize=4096)
def _judge(zs: tuple[float, ...], decision: float) -> tuple[int, float] | None:
    """(index of the day the current slowing began, accumulated slowing) when it has reached `decision`
    on the latest day, else None."""
    total, start = 0.0, 0
    for index, z in enumerate(zs):
        total = max(0.0, total + min(max(z, -Z_CLIP), Z_CLIP) - ALLOWANCE)
        if total == 0.0:
            start = index + 1
    if total >= decision:
        return min(start, len(zs) - 1), total
    return None

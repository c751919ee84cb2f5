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
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from models import explain
from models.baselines import Baseline
from models.clock import LOCAL_TZ, care_day
from models.detectors.common import confidence_past, finding
from models.features import Tracker
from models.feedback import Adjustments, factor
from models.readings import Absence, Finding
from models.slowing import DayEvidence, evidence_of
from models.summary import DaySummary, summarise

KIND = "activity_decline"
PRIORITY = 3
ALLOWANCE = 1.0  # ordinary-day spreads of slowing per day that are just day-to-day variation
DECISION = 2.0  # accumulated slowing beyond the allowance (spreads × days) that is a decline
Z_CLIP = 3.0  # one very slow day (a cold, a hospital appointment) counts as three spreads, no more
WINDOW_DAYS = 28
RECENT_DAYS = 3  # the explanation's averages: the latest days of the slowing


@dataclass(slots=True)
class _Finished:
    """The z of each finished day in the series, kept while the baseline and the absences stay the same:
    at 04:00 every home closes a day at once, and that day is then the only one to judge."""

    baseline: Baseline
    absences: tuple[Absence, ...]
    days_closed: int
    zs: array[float]  # (ordinal, z) pairs, oldest first, at most WINDOW_DAYS of them


# The series only changes when a day is counted; scoring runs every few minutes.
_memo: weakref.WeakKeyDictionary[Tracker, tuple[tuple[object, ...], list[Finding], _Finished]] = (
    weakref.WeakKeyDictionary())


def detect(baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
           adjustments: Adjustments | None) -> list[Finding]:
    if not baseline.solo:
        return []  # someone else lives here: their movements hide the resident's
    if baseline.cold_start or not baseline.levels:
        return []
    today = state.today
    counted_today = today is not None and state.night_active and today.bedtime_min is not None
    absences = tuple(absences)
    key = (state.days_closed, counted_today, id(baseline), absences, factor(adjustments, KIND))
    cached = _memo.get(state)
    if cached is not None and cached[0] == key:
        return [replace(f, detected_at=now) for f in cached[1]]
    finished = _finished(baseline, state, absences, cached[2] if cached is not None else None)
    ordinals, zs = list(finished.zs[0::2]), list(finished.zs[1::2])
    found_today = None
    if counted_today and today is not None:
        found_today = _evidence(baseline, summarise(today, finished=False), absences, _first_day(baseline))
        if found_today is not None:
            ordinals.append(found_today.day.toordinal())
            zs.append(found_today.z)
    decision = DECISION * factor(adjustments, KIND)
    verdict = _judge(tuple(round(z, 3) for z in zs[-WINDOW_DAYS:]), decision) if zs else None
    found: list[Finding] = []
    if verdict is not None:
        # Only a decline needs the days themselves, for its explanation: those of its run are worked out again.
        start, total = verdict
        first, first_of_run = _first_day(baseline), ordinals[-WINDOW_DAYS:][start]
        run = [found for day in state.history.since(first_of_run)
               if (found := _evidence(baseline, day, absences, first)) is not None]
        if found_today is not None:
            run.append(found_today)
        found = [_decline(baseline, run, total, decision, now)]
    _memo[state] = (key, found, finished)
    return found


def _finished(baseline: Baseline, state: Tracker, absences: tuple[Absence, ...],
              known: _Finished | None) -> _Finished:
    """The finished days' part of the series, from `known` and the days closed since when it still applies."""
    history = state.history
    added = state.days_closed - known.days_closed if known is not None else -1
    if known is None or known.baseline is not baseline or known.absences != absences or not 0 <= added <= len(history):
        zs: array[float] = array("d")
        days = list(history)
    elif added == 0:
        return known
    else:
        oldest = history.oldest_ordinal()
        zs = array("d", (v for i in range(0, len(known.zs), 2) if known.zs[i] >= oldest
                         for v in known.zs[i:i + 2]))
        days = history.last(added)
    first = _first_day(baseline)
    for day in days:
        found = _evidence(baseline, day, absences, first)
        if found is not None:
            zs.extend((day.day.toordinal(), found.z))
    del zs[:max(len(zs) - 2 * WINDOW_DAYS, 0)]
    return _Finished(baseline, absences, state.days_closed, zs)


def _evidence(baseline: Baseline, day: DaySummary, absences: Sequence[Absence], first: date) -> DayEvidence | None:
    """The day's evidence if it belongs in the series: a usable day since the usual levels (`first`), not absent."""
    if day.day < first or not day.usable or _absent(day.day, absences):
        return None
    return evidence_of(baseline.levels, day.day, day.measures)


def _first_day(baseline: Baseline) -> date:
    until = baseline.levels_until or baseline.trained_until
    return care_day(until) if until else date.min


def _decline(baseline: Baseline, run: list[DayEvidence], total: float, decision: float, now: datetime) -> Finding:
    """The finding for a decline whose current slowing is `run` (its days, oldest first)."""
    onset_day = run[0].day
    text = explain.activity_decline(run, run[-RECENT_DAYS:], baseline)
    evidence_days = [("activity", datetime.combine(d.day, time(12), LOCAL_TZ)) for d in run]
    return finding(baseline, KIND, datetime.combine(onset_day, time(0), LOCAL_TZ), now,
                   confidence_past(total - decision, decision), text, onset_day.isoformat(), evidence_days)


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

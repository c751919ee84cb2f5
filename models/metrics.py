"""Matching findings to labelled anomalies, and the per-kind numbers the benchmark reports.

A finding of kind K is a hit for a labelled anomaly of kind K (for device_silent, the same device) when
it was first raised within [start, end + GRACE]. A finding that hits nothing of its own kind but was
raised inside another labelled anomaly (a missed lunch during a fall) is "other kind": neither a hit
nor a false alert, as the scenario generator intends; `strict_precision` counts it against the
detector anyway. Everything else is a false alert, traps included.

The inactivity timer's alerts are matched to labels of every kind: its recall for K is the share of
K anomalies one of its alerts fell inside, its precision for K sets those hits against all of its
alerts that matched nothing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from models.detectors import BEHAVIOURAL_KINDS, DETECTORS, PRIORITY

GRACE = timedelta(hours=1)
ACUTE_KINDS = ("no_activity_morning", "prolonged_inactivity", "night_wandering", "door_open_night",
               "prolonged_bathroom", "missed_meal", "cold_home", "device_silent", "unit_offline")
RECALL_TARGET = 0.95
DECLINE_WITHIN = timedelta(days=7)
FALSE_PER_30D_TARGET = 1.0

Label = tuple[str, datetime, datetime, str]  # (kind, start, end, device_id)
TrapLabel = tuple[str, datetime, datetime]


@dataclass
class Raised:
    """The first time an episode was found."""

    kind: str
    episode: str
    detected_at: datetime
    onset: datetime
    device_id: str | None
    confidence: float
    explanation: str
    cold_start: bool


@dataclass
class HomeResult:
    home_id: str
    labelled_days: float
    anomalies: list[Label]
    traps: list[TrapLabel]
    raised: list[Raised]
    timer: list[datetime]
    seconds: float = 0.0
    steps: int = 0
    feedback: dict[str, float] = field(default_factory=dict)
    raised_after_feedback: list[Raised] | None = None  # None: no false alerts, nothing to learn from
    absences: list[tuple[datetime, datetime | None]] = field(default_factory=list)  # registered (hospital stays)

    @property
    def after_feedback(self) -> list[Raised]:
        return self.raised if self.raised_after_feedback is None else self.raised_after_feedback


def matches(r: Raised, label: Label) -> bool:
    kind, start, end, device = label
    return (kind == r.kind and start <= r.detected_at <= end + GRACE
            and (kind != "device_silent" or device == r.device_id))


def verdict(r: Raised, anomalies: Sequence[Label]) -> str:
    """'hit' (its own kind), 'other' (inside another labelled anomaly) or 'false'."""
    if any(matches(r, label) for label in anomalies):
        return "hit"
    if any(start <= r.detected_at <= end + GRACE for _, start, end, _ in anomalies):
        return "other"
    return "false"


def quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def away_between(absences: Sequence[tuple[datetime, datetime | None]], start: datetime, end: datetime) -> timedelta:
    """Time in [start, end] the resident spent on a registered absence."""
    away = timedelta(0)
    for a, b in absences:
        overlap = min(end, b or end) - max(start, a)
        away += max(overlap, timedelta(0))
    return away


def at_home_deadline(absences: Sequence[tuple[datetime, datetime | None]], start: datetime,
                     within: timedelta = DECLINE_WITHIN) -> datetime:
    """When `within` of time at home has passed since `start`: registered absences stop the clock, as
    nothing at home can show a decline while the resident is in hospital."""
    deadline = start + within
    for _ in range(len(absences) + 1):
        later = start + within + away_between(absences, start, deadline)
        if later == deadline:
            break
        deadline = later
    return deadline


def prf(hits: int, false: int, found: int, total: int) -> tuple[float | None, float | None, float | None]:
    precision = hits / (hits + false) if hits + false else None
    recall = found / total if total else None
    if precision is None or recall is None:
        return precision, recall, None
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _timer_counts(results: Sequence[HomeResult]) -> tuple[int, dict[str, int], dict[str, int]]:
    false, hits, found = 0, defaultdict(int), defaultdict(int)
    for r in results:
        for at in r.timer:
            inside = {kind for kind, start, end, _ in r.anomalies if start <= at <= end + GRACE}
            false += not inside
            for kind in inside:
                hits[kind] += 1
        for kind, start, end, _ in r.anomalies:
            found[kind] += any(start <= at <= end + GRACE for at in r.timer)
    return false, hits, found


def _kind_summary(kind: str, results: Sequence[HomeResult], per_30: float) -> dict[str, object]:
    hits = false = other = found = total = found_after = false_after = 0
    other_with: dict[str, int] = defaultdict(int)
    ttd: list[float] = []
    late: list[dict[str, object]] = []
    clear_weeks = clear_in_time = 0  # declines whose first week held no trap (the resident was at home)
    at_home_in_time = 0  # declines found within 7 days of the resident at home (registered absences excluded)
    ttd_at_home: list[float] = []
    for r in results:
        mine = [x for x in r.raised if x.kind == kind]
        for x in mine:
            result = verdict(x, r.anomalies)
            hits += result == "hit"
            false += result == "false"
            if result == "other":
                other += 1
                for akind, start, end, _ in r.anomalies:
                    if start <= x.detected_at <= end + GRACE:
                        other_with[akind] += 1
        after = [x for x in r.after_feedback if x.kind == kind]
        false_after += sum(1 for x in after if verdict(x, r.anomalies) == "false")
        for label in r.anomalies:
            if label[0] != kind:
                continue
            total += 1
            first = min((x.detected_at for x in mine if matches(x, label)), default=None)
            found_after += any(matches(x, label) for x in after)
            week_traps = sorted({t for t, a, b in r.traps if a < label[1] + DECLINE_WITHIN and b > label[1]})
            in_time = first is not None and first - label[1] <= DECLINE_WITHIN
            if kind == "activity_decline" and not week_traps:
                clear_weeks += 1
                clear_in_time += in_time
            if first is None:
                continue
            found += 1
            ttd.append((first - label[1]).total_seconds() / 60)
            if kind == "activity_decline":
                at_home_in_time += first <= at_home_deadline(r.absences, label[1])
                home_time = first - label[1] - away_between(r.absences, label[1], first)
                ttd_at_home.append(home_time.total_seconds() / 60)
            if kind == "activity_decline" and not in_time:
                late.append({"home": r.home_id, "days": round((first - label[1]).total_seconds() / 86400, 1),
                             "traps_in_first_week": week_traps})
    precision, recall, f1 = prf(hits, false, found, total)
    summary: dict[str, object] = {
        "priority": PRIORITY[kind], "anomalies": total, "found": found, "raised": hits + false + other,
        "hits": hits, "false": false, "other_kind": other, "other_kind_with": dict(other_with),
        "precision": precision, "strict_precision": hits / (hits + false + other) if hits + false + other else None,
        "recall": recall, "f1": f1, "ttd_min": ttd, "ttd_median_min": quantile(ttd, 0.5),
        "ttd_p95_min": quantile(ttd, 0.95), "false_per_home_30d": false * per_30,
        "recall_after_feedback": found_after / total if total else None, "false_after_feedback": false_after,
    }
    if kind == "activity_decline":
        summary["within_7_days"] = sum(1 for minutes in ttd if minutes <= DECLINE_WITHIN.total_seconds() / 60)
        summary["within_7d"] = summary["within_7_days"] / total if total else None  # type: ignore[operator]
        summary["within_7_days_at_home"] = at_home_in_time
        summary["within_7d_at_home"] = at_home_in_time / total if total else None
        summary["ttd_at_home_median_min"] = quantile(ttd_at_home, 0.5)
        summary["ttd_at_home_p95_min"] = quantile(ttd_at_home, 0.95)
        summary["late"] = late
        summary["clear_first_week"] = clear_weeks
        summary["clear_first_week_within_7_days"] = clear_in_time
    return summary


def _passes(kind: str, summary: dict[str, object]) -> bool:
    better = (summary["f1"] or 0.0) > (summary["baseline"]["f1"] or 0.0)  # type: ignore[index]
    if kind == "activity_decline":
        # The week is counted at home: while a registered absence (a hospital stay) lasts nothing at home can
        # show the slowing, and the ward, not the response centre, is watching the resident.
        return better and (summary["within_7d_at_home"] or 0.0) >= RECALL_TARGET  # type: ignore[operator]
    return better and (summary["recall"] or 0.0) >= RECALL_TARGET  # type: ignore[operator]


def summarise(results: Sequence[HomeResult], *, homes: int, days: int, seed: int, warmup_days: int,
              step_min: int, seconds: float, processes: int) -> dict[str, object]:
    home_days = sum(r.labelled_days for r in results)
    per_30 = 30.0 / home_days if home_days else 0.0
    timer_false, timer_hits, timer_found = _timer_counts(results)
    kinds: dict[str, dict[str, object]] = {}
    for kind in DETECTORS:
        summary = _kind_summary(kind, results, per_30)
        total = int(summary["anomalies"])  # type: ignore[call-overload]
        b_precision, b_recall, b_f1 = prf(timer_hits[kind], timer_false, timer_found[kind], total)
        summary["baseline"] = {"precision": b_precision, "recall": b_recall, "f1": b_f1,
                               "hits": timer_hits[kind], "found": timer_found[kind]}
        summary["pass"] = _passes(kind, summary)
        kinds[kind] = summary
    false_total = sum(int(kinds[k]["false"]) for k in BEHAVIOURAL_KINDS)  # type: ignore[call-overload]
    false_after = sum(int(kinds[k]["false_after_feedback"]) for k in BEHAVIOURAL_KINDS)  # type: ignore[call-overload]
    trap_false: dict[str, int] = defaultdict(int)
    examples: list[dict[str, str]] = []
    for r in results:
        for x in r.raised:
            if x.kind in BEHAVIOURAL_KINDS and verdict(x, r.anomalies) == "false":
                examples.append({"home": r.home_id, "kind": x.kind, "at": x.detected_at.isoformat(),
                                 "explanation": x.explanation})
                for trap, start, end in r.traps:
                    if start - GRACE <= x.detected_at <= end + GRACE:
                        trap_false[trap] += 1
    return {
        "homes": homes, "days": days, "seed": seed, "warmup_days": warmup_days, "step_min": step_min,
        "grace_min": GRACE.total_seconds() / 60, "labelled_home_days": round(home_days, 1),
        "anomalies": sum(len(r.anomalies) for r in results), "traps": sum(len(r.traps) for r in results),
        "trap_kinds": dict(_count(t[0] for r in results for t in r.traps)),
        "kinds": kinds,
        "false_behavioural": false_total, "false_behavioural_per_home_30d": false_total * per_30,
        "false_behavioural_after_feedback": false_after,
        "false_behavioural_per_home_30d_after_feedback": false_after * per_30,
        "false_target_per_home_30d": FALSE_PER_30D_TARGET,
        "homes_with_feedback": sum(1 for r in results if r.feedback),
        "timer": {"false": timer_false, "false_per_home_30d": timer_false * per_30,
                  "alerts": sum(len(r.timer) for r in results)},
        "false_during_traps": dict(trap_false), "false_examples": examples,
        "seconds": round(seconds, 1), "processes": processes,
        "seconds_per_home": round(sum(r.seconds for r in results) / max(len(results), 1), 2),
        "steps": sum(r.steps for r in results),
    }


def _count(items: object) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for item in items:  # type: ignore[attr-defined]
        counts[item] += 1
    return counts

"""Benchmark the detectors on simulated homes with known ground truth.

For each home: generate its history (simulators.history), learn the baseline on the warm-up weeks,
then stream the rest through a HomeScorer, asking for findings every `step_min` minutes of event time
and feeding each device's heartbeats (outside the labelled heartbeat gaps) as a real hub would.

Matching: a finding of kind K matches a labelled anomaly of kind K (and, for device_silent, the same
device) when it is first raised within [start, end + grace]; time to detect is first raised − start.
A finding that matches no anomaly of its own kind but falls inside another labelled anomaly (missed
breakfast during a lie-in) is counted as "other kind": not a hit for K and not a false alarm, as the
scenario generator intends. Everything else is a false alert, traps included.

The comparison is a traditional inactivity timer: an alert when no motion at all has been seen for
TIMER_HOURS (4 h) between 07:00 and 23:00 local, the clock starting no earlier than 07:00; it is paused
for registered absences, as an operator would pause it, but knows nothing else. Its alerts are matched
to labels of every kind; per kind its recall counts that kind's anomalies it fell inside, and its
precision sets those hits against all of its unmatched alerts.

Feedback: a second pass replays each home whose first pass had false alerts, with every one of them
resolved as `false_alarm` (models.feedback), and reports the false-alert rate and recall after it.
"""

from __future__ import annotations

import functools
import math
import os
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from multiprocessing import Pool

from models.detectors import BEHAVIOURAL_KINDS, DETECTORS, PRIORITY
from models.feedback import replay
from models.score import HomeScorer
from models.train import train

STEP_MIN = 5
GRACE = timedelta(hours=1)
TIMER_HOURS = 4.0
TIMER_DAY = (7, 23)  # local hours the timer watches
ACUTE_KINDS = ("no_activity_morning", "prolonged_inactivity", "night_wandering", "door_open_night",
               "prolonged_bathroom", "missed_meal", "cold_home", "device_silent", "unit_offline")
RECALL_TARGET = 0.95
DECLINE_TTD_TARGET_DAYS = 7.0
FALSE_PER_30D_TARGET = 1.0


@dataclass
class Raised:
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
    anomalies: list[tuple[str, datetime, datetime, str]]
    traps: list[tuple[str, datetime, datetime]]
    raised: list[Raised]
    timer: list[datetime]
    seconds: float
    steps: int
    feedback: dict[str, float] = field(default_factory=dict)
    raised_after_feedback: list[Raised] | None = None


@functools.lru_cache(maxsize=4)
def _specs(homes: int, seed: int) -> tuple:
    from simulators.homes import home_specs
    return tuple(home_specs(homes, seed))


def score_home(job: tuple[int, int, int, int, int, int]) -> HomeResult:
    """Generate, train and stream one home (run in a worker process)."""
    from simulators.history import DEFAULT_START, home_history
    from simulators.localtime import LocalDay

    index, homes, days, seed, warmup_days, step_min = job
    started = time.perf_counter()
    spec = _specs(homes, seed)[index]
    history = home_history(spec, DEFAULT_START, days, seed, warmup_days=warmup_days)
    split = datetime.fromtimestamp(LocalDay(DEFAULT_START + timedelta(days=warmup_days)).start,
                                   history.start.tzinfo)
    baseline = train(spec.home_id, history.readings, split, absences=history.absences)
    raised, timer, steps = _stream(history, baseline, split, step_min, {})
    result = HomeResult(
        home_id=spec.home_id, labelled_days=(history.end - split).total_seconds() / 86400,
        anomalies=[(a.kind, a.start, a.end, a.device_id) for a in history.anomalies],
        traps=[(t.kind, t.start, t.end) for t in history.traps],
        raised=raised, timer=timer, seconds=0.0, steps=steps,
    )
    false = [r for r in raised if r.kind in BEHAVIOURAL_KINDS and _verdict(r, result.anomalies) == "false"]
    if false:
        result.feedback = replay((r.kind, "false_alarm") for r in sorted(false, key=lambda r: r.detected_at))
        result.raised_after_feedback, _, _ = _stream(history, baseline, split, step_min, result.feedback)
    result.seconds = time.perf_counter() - started
    return result


def _stream(history, baseline, split: datetime, step_min: int,  # type: ignore[no-untyped-def]
            adjustments: dict[str, float]) -> tuple[list[Raised], list[datetime], int]:
    from simulators.schedule import heartbeat_phase

    readings = history.readings
    scorer = HomeScorer(history.home.home_id, baseline, absences=history.absences, adjustments=adjustments)
    first = bisect_right([r.ts for r in readings], split)
    scorer.observe(readings[:first])
    beats = []
    for device in history.home.devices:
        interval = float(device.heartbeat_interval_s)
        phase = heartbeat_phase(history.seed, history.home.home_id, device.device_id, device.heartbeat_interval_s)
        gaps = sorted((a.timestamp(), b.timestamp()) for d, a, b in history.heartbeat_gaps
                      if d in ("", device.device_id))
        beats.append((device.device_id, interval, phase, gaps))
    unit_gaps = sorted((a.timestamp(), b.timestamp()) for d, a, b in history.heartbeat_gaps if d == "")
    tz = split.tzinfo
    seen: dict[str, Raised] = {}
    timer: list[datetime] = []
    timer_keys: set[datetime] = set()
    last_motion = max((r.ts for r in readings[:first] if r.type == "motion"), default=split)
    position, now, steps = first, split, 0
    step = timedelta(minutes=step_min)
    end = history.end
    observe, heartbeat, findings = scorer.observe, scorer.observe_heartbeat, scorer.findings
    while now < end:
        now += step
        steps += 1
        upto = position
        while upto < len(readings) and readings[upto].ts <= now:
            if readings[upto].type == "motion":
                last_motion = readings[upto].ts
            upto += 1
        if upto > position:
            observe(readings[position:upto])
            position = upto
        t = now.timestamp()
        for device_id, interval, phase, gaps in beats:
            last = phase + math.floor((t - phase) / interval) * interval
            for a, b in gaps:
                if a <= last < b:
                    last = phase + math.floor((a - phase) / interval) * interval
                    break
            heartbeat(device_id, datetime.fromtimestamp(last, tz))
        for found in findings(now):
            if found.episode not in seen:
                seen[found.episode] = Raised(found.kind, found.episode, now, found.onset, found.device_id,
                                             found.confidence, found.explanation, found.cold_start)
        alert = _timer(now, last_motion, history.absences, unit_gaps)
        if alert is not None and alert not in timer_keys:
            timer_keys.add(alert)
            timer.append(now)
    return list(seen.values()), timer, steps


def _timer(now: datetime, last_motion: datetime, absences: Iterable, unit_gaps: list) -> datetime | None:  # type: ignore[type-arg]
    """The traditional timer: returns the still spell's key when it alerts at `now`."""
    from models.clock import wall

    local = wall(now)
    if not TIMER_DAY[0] <= local.hour < TIMER_DAY[1]:
        return None
    day_start = now - timedelta(hours=local.hour - TIMER_DAY[0], minutes=local.minute, seconds=local.second)
    since = max(last_motion, day_start)
    if now - since < timedelta(hours=TIMER_HOURS):
        return None
    if any(a.start <= now and (a.end is None or now < a.end) for a in absences):
        return None
    return since


def _verdict(r: Raised, anomalies: list[tuple[str, datetime, datetime, str]]) -> str:
    """'hit' (own kind), 'other' (inside another labelled anomaly) or 'false'."""
    other = False
    for kind, start, end, device in anomalies:
        if start <= r.detected_at <= end + GRACE:
            if kind == r.kind and (kind != "device_silent" or device == r.device_id):
                return "hit"
            other = True
    return "other" if other else "false"


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _prf(tp: int, fp: int, found: int, total: int) -> tuple[float | None, float | None, float | None]:
    precision = tp / (tp + fp) if tp + fp else None
    recall = found / total if total else None
    if precision is None or recall is None or precision + recall == 0:
        return precision, recall, 0.0 if precision is not None and recall is not None else None
    return precision, recall, 2 * precision * recall / (precision + recall)


def summarise(results: list[HomeResult], homes: int, days: int, seed: int, warmup_days: int,
              seconds: float, processes: int) -> dict[str, object]:
    home_days = sum(r.labelled_days for r in results)
    per_30 = 30.0 / home_days if home_days else 0.0
    kinds: dict[str, dict[str, object]] = {}
    timer_false = 0
    timer_hits: dict[str, int] = defaultdict(int)
    timer_found: dict[str, int] = defaultdict(int)
    for r in results:
        for at in r.timer:
            matched = {kind for kind, start, end, _ in r.anomalies if start <= at <= end + GRACE}
            if not matched:
                timer_false += 1
            for kind in matched:
                timer_hits[kind] += 1
        for kind, start, end, _ in r.anomalies:
            if any(start <= at <= end + GRACE for at in r.timer):
                timer_found[kind] += 1
    false_total = false_after = 0
    trap_false: dict[str, int] = defaultdict(int)
    examples: list[dict[str, str]] = []
    for kind in DETECTORS:
        tp = fp = other = found = total = 0
        ttd: list[float] = []
        recall_after_found = 0
        for r in results:
            mine = [x for x in r.raised if x.kind == kind]
            for x in mine:
                verdict = _verdict(x, r.anomalies)
                tp += verdict == "hit"
                other += verdict == "other"
                if verdict == "false":
                    fp += 1
                    for trap, start, end in r.traps:
                        if start - GRACE <= x.detected_at <= end + GRACE:
                            trap_false[trap] += 1
                    if len(examples) < 60:
                        examples.append({"home": r.home_id, "kind": kind, "at": x.detected_at.isoformat(),
                                         "explanation": x.explanation})
            after = r.raised_after_feedback if r.raised_after_feedback is not None else r.raised
            if kind in BEHAVIOURAL_KINDS:
                false_after += sum(1 for x in after if x.kind == kind and _verdict(x, r.anomalies) == "false")
            for akind, start, end, device in r.anomalies:
                if akind != kind:
                    continue
                total += 1
                hits = [x.detected_at for x in mine if start <= x.detected_at <= end + GRACE
                        and (kind != "device_silent" or x.device_id == device)]
                if hits:
                    found += 1
                    ttd.append((min(hits) - start).total_seconds() / 60)
                if any(x.kind == kind and start <= x.detected_at <= end + GRACE
                       and (kind != "device_silent" or x.device_id == device) for x in after):
                    recall_after_found += 1
        if kind in BEHAVIOURAL_KINDS:
            false_total += fp
        precision, recall, f1 = _prf(tp, fp, found, total)
        b_precision, b_recall, b_f1 = _prf(timer_hits[kind], timer_false, timer_found[kind], total)
        kinds[kind] = {
            "priority": PRIORITY[kind], "anomalies": total, "found": found, "raised": tp + fp + other, "hits": tp,
            "false": fp, "other_kind": other, "precision": precision, "recall": recall, "f1": f1,
            "ttd_median_min": _quantile(ttd, 0.5), "ttd_p95_min": _quantile(ttd, 0.95), "ttd_min": ttd,
            "false_per_home_30d": fp * per_30,
            "recall_after_feedback": recall_after_found / total if total else None,
            "baseline": {"precision": b_precision, "recall": b_recall, "f1": b_f1, "hits": timer_hits[kind],
                         "found": timer_found[kind]},
        }
    return {
        "homes": homes, "days": days, "seed": seed, "warmup_days": warmup_days, "step_min": STEP_MIN,
        "grace_min": GRACE.total_seconds() / 60, "labelled_home_days": round(home_days, 1),
        "anomalies": sum(len(r.anomalies) for r in results), "traps": sum(len(r.traps) for r in results),
        "kinds": kinds,
        "false_behavioural_per_home_30d": false_total * per_30,
        "false_behavioural_per_home_30d_after_feedback": false_after * per_30,
        "homes_with_feedback": sum(1 for r in results if r.feedback),
        "timer": {"hours": TIMER_HOURS, "alerts": sum(len(r.timer) for r in results), "false": timer_false,
                  "false_per_home_30d": timer_false * per_30},
        "false_during_traps": dict(trap_false),
        "false_examples": examples,
        "seconds": round(seconds, 1), "processes": processes,
        "seconds_per_home": round(sum(r.seconds for r in results) / max(len(results), 1), 2),
        "steps": sum(r.steps for r in results),
    }


def evaluate(homes: int, days: int, seed: int, *, warmup_days: int = 21, step_min: int = STEP_MIN,
             processes: int | None = None) -> dict[str, object]:
    """Generate `homes` homes × `days` days (the first `warmup_days` for training), score them and
    report detection quality per kind against the inactivity-timer baseline. Reproducible by seed."""
    started = time.perf_counter()
    processes = processes or min(os.cpu_count() or 1, homes)
    jobs = [(i, homes, days, seed, warmup_days, step_min) for i in range(homes)]
    if processes > 1:
        with Pool(processes) as pool:
            results = list(pool.imap_unordered(score_home, jobs, chunksize=1))
    else:
        results = [score_home(job) for job in jobs]
    results.sort(key=lambda r: r.home_id)
    return summarise(results, homes, days, seed, warmup_days, time.perf_counter() - started, processes)

"""Benchmark the detectors on simulated homes with known ground truth (simulators.history).

For each home: generate its history, learn the baseline on the warm-up weeks, then stream the rest
through a HomeScorer, asking for findings every `step_min` minutes of event time and feeding every
device's heartbeat (outside the labelled heartbeat gaps) as a hub would. Homes run in parallel, one
process per core; the same arguments give the same numbers. Matching and metrics: models.metrics.

The comparison is a traditional inactivity timer (TIMER_HOURS = 4 h): an alert when no motion at all
has been seen for four hours between 07:00 and 23:00 local, the clock starting no earlier than 07:00.
It is paused for registered absences, as an operator would pause it, and knows nothing else.

Feedback: a second pass replays each home whose first pass raised false behavioural alerts, with each
of them resolved as `false_alarm` beforehand (models.feedback), and reports false alerts and recall
after it.
"""

from __future__ import annotations

import functools
import math
import os
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from multiprocessing import Pool
from typing import TYPE_CHECKING

from models.baselines import Baseline
from models.clock import wall
from models.detectors import BEHAVIOURAL_KINDS
from models.feedback import replay
from models.metrics import HomeResult, Raised, summarise, verdict
from models.readings import Absence
from models.score import HomeScorer
from models.train import train

if TYPE_CHECKING:
    from simulators.history import HomeHistory
    from simulators.homes import HomeSpec

STEP_MIN = 5
TIMER_HOURS = 4.0
TIMER_DAY = (7, 23)  # local hours the timer watches


@functools.lru_cache(maxsize=4)
def _specs(homes: int, seed: int) -> tuple[HomeSpec, ...]:
    from simulators.homes import home_specs

    return tuple(home_specs(homes, seed))


def score_home(job: tuple[int, int, int, int, int, int]) -> HomeResult:
    """Generate, train and stream one home: (index, homes, days, seed, warmup_days, step_min)."""
    from simulators.history import DEFAULT_START, home_history
    from simulators.localtime import LocalDay

    index, homes, days, seed, warmup_days, step_min = job
    started = time.perf_counter()
    spec = _specs(homes, seed)[index]
    history = home_history(spec, DEFAULT_START, days, seed, warmup_days=warmup_days)
    split = datetime.fromtimestamp(LocalDay(DEFAULT_START + timedelta(days=warmup_days)).start, history.start.tzinfo)
    baseline = train(spec.home_id, history.readings, split, absences=history.absences)
    raised, timer, steps = _stream(history, baseline, split, step_min, {})
    result = HomeResult(
        home_id=spec.home_id, labelled_days=(history.end - split).total_seconds() / 86400,
        anomalies=[(a.kind, a.start, a.end, a.device_id) for a in history.anomalies],
        traps=[(t.kind, t.start, t.end) for t in history.traps], raised=raised, timer=timer, steps=steps,
        absences=[(a.start, a.end) for a in history.absences],
    )
    false = sorted((r for r in raised if r.kind in BEHAVIOURAL_KINDS and verdict(r, result.anomalies) == "false"),
                   key=lambda r: r.detected_at)
    if false:
        result.feedback = replay((r.kind, "false_alarm") for r in false)
        result.raised_after_feedback, _, _ = _stream(history, baseline, split, step_min, result.feedback)
    result.seconds = time.perf_counter() - started
    return result


def _heartbeat_plan(history: HomeHistory) -> list[tuple[str, float, float, list[tuple[float, float]]]]:
    """(device, interval, phase, gaps) per device: beats sit on a fixed grid, none inside a gap."""
    from simulators.schedule import heartbeat_phase

    plan = []
    for device in history.home.devices:
        phase = heartbeat_phase(history.seed, history.home.home_id, device.device_id, device.heartbeat_interval_s)
        gaps = sorted((a.timestamp(), b.timestamp()) for d, a, b in history.heartbeat_gaps
                      if d in ("", device.device_id))
        plan.append((device.device_id, float(device.heartbeat_interval_s), phase, gaps))
    return plan


def _stream(history: HomeHistory, baseline: Baseline, split: datetime, step_min: int,
            adjustments: dict[str, float]) -> tuple[list[Raised], list[datetime], int]:
    readings = history.readings
    scorer = HomeScorer(history.home.home_id, baseline, absences=history.absences, adjustments=adjustments,
                        keep_days=False)
    position = bisect_right([r.ts for r in readings], split)
    scorer.observe(readings[:position])
    beats = _heartbeat_plan(history)
    tz = split.tzinfo
    seen: dict[str, Raised] = {}
    timer: list[datetime] = []
    timer_spells: set[datetime] = set()
    last_motion = max((r.ts for r in readings[:position] if r.type == "motion"), default=split)
    now, steps, step = split, 0, timedelta(minutes=step_min)
    observe, heartbeat, findings = scorer.observe, scorer.observe_heartbeat, scorer.findings
    while now < history.end:
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
        spell = timer_alert(now, last_motion, history.absences)
        if spell is not None and spell not in timer_spells:
            timer_spells.add(spell)
            timer.append(now)
    return list(seen.values()), timer, steps


def timer_alert(now: datetime, last_motion: datetime, absences: Sequence[Absence]) -> datetime | None:
    """The traditional timer: the start of the still spell it alerts on at `now`, if it does."""
    local = wall(now)
    if not TIMER_DAY[0] <= local.hour < TIMER_DAY[1]:
        return None
    watching_since = now - timedelta(hours=local.hour - TIMER_DAY[0], minutes=local.minute, seconds=local.second)
    since = max(last_motion, watching_since)
    if now - since < timedelta(hours=TIMER_HOURS):
        return None
    if any(a.start <= now and (a.end is None or now < a.end) for a in absences):
        return None
    return since


def evaluate(homes: int, days: int, seed: int, *, warmup_days: int = 21, step_min: int = STEP_MIN,
             processes: int | None = None, progress: Callable[[str], None] | None = None) -> dict[str, object]:
    """Generate `homes` homes × `days` days (the first `warmup_days` train the baselines), score them and
    report detection quality per kind against the inactivity-timer baseline. Reproducible by seed."""
    started = time.perf_counter()
    processes = processes or min(os.cpu_count() or 1, homes)
    jobs = [(i, homes, days, seed, warmup_days, step_min) for i in range(homes)]
    results: list[HomeResult] = []

    def done(result: HomeResult) -> None:
        results.append(result)
        if progress and (len(results) % 10 == 0 or len(results) == homes):
            elapsed = time.perf_counter() - started
            left = elapsed / len(results) * (homes - len(results))
            progress(f"  {len(results)}/{homes} homes scored, {elapsed:.0f} s so far, about {left:.0f} s to go")

    if processes > 1:
        with Pool(processes) as pool:
            for result in pool.imap_unordered(score_home, jobs, chunksize=1):
                done(result)
    else:
        for job in jobs:
            done(score_home(job))
    results.sort(key=lambda r: r.home_id)
    return summarise(results, homes=homes, days=days, seed=seed, warmup_days=warmup_days, step_min=step_min,
                     seconds=time.perf_counter() - started, processes=processes)

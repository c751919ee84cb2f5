"""The JSON line of `hub bench detect` (hub.bench_detect), from what its processes measured."""

from __future__ import annotations

import statistics
from datetime import datetime
from typing import Any

from hub.bench_detect_work import Resident, vm_kb


def _ms_per(seconds: float, count: int) -> float | None:
    return round(seconds / count * 1000, 1) if count else None


def result(homes: int, mode: str, residents: list[Resident], start: datetime, scored: dict[str, Any],
           started: dict[str, Any], workers: int, seed: int) -> dict[str, Any]:
    timed, first, memory = scored["timed"], scored["first"], scored["memory"]
    median = sorted(timed, key=lambda p: p["s"])[len(timed) // 2]
    retrained, during = scored["retrained"], scored["during_retrain"]
    retrain_per_home = retrained["s"] / retrained["homes"] if retrained["homes"] else None
    while_retraining = [p["s"] for p in during if p["retraining"] and p["homes_with_news"]]
    after = timed[-1]["rss_mb"]
    by_summaries, by_events = started["measured_from_summaries"], started["measured_from_events"]
    events_per_home = by_events["s"] / by_events["homes"] if by_events["homes"] else None
    return {
        "bench": "detect", "homes": homes, "storage": mode, "residents": len(residents), "seed": seed,
        "first_pass_event_time": start.isoformat(),
        "score_s": round(median["s"], 3), "score_per_home_ms": round(median["s"] / homes * 1000, 4),
        "score_parts_s": {part: round(s, 3) for part, s in median["parts"].items()},
        "score_passes_s": [round(p["s"], 3) for p in timed],
        "score_passes_parts_s": [{part: round(s, 3) for part, s in p["parts"].items()} for p in timed],
        "homes_scored": [p["homes"] for p in timed], "homes_with_news": [p["homes_with_news"] for p in timed],
        "readings": [p["readings"] for p in timed], "rows_written": [p["written"] for p in timed],
        "findings_holding": [p["holding"] for p in timed],
        "alerts_raised": sum(p["raised"] for p in timed), "alerts_cleared": sum(p["cleared"] for p in timed),
        "alerts_raised_per_pass": [p["raised"] for p in timed],
        "first_pass": {"s": round(first["s"], 2), "homes": first["homes"], "alerts_raised": first["raised"],
                       "parts_s": {part: round(s, 2) for part, s in first["parts"].items()},
                       "alert_write_ms": round(first["parts"]["write"] / first["raised"] * 1000, 2)
                       if first["raised"] else None},
        "retrain_homes": retrained["homes"], "retrain_processes": workers, "retrain_s": round(retrained["s"], 2),
        "retrain_per_home_ms": round(retrain_per_home * 1000, 1) if retrain_per_home else None,
        "retrain_all_homes_estimate_s": round(retrain_per_home * homes) if retrain_per_home else None,
        "retrain_failed": sum(p["failed"] for p in during),
        "retrain_baselines_swapped": sum(p["swapped"] for p in during),
        "score_while_retraining_s": round(statistics.median(while_retraining), 3) if while_retraining else None,
        "score_while_retraining_passes_s": [round(s, 3) for s in while_retraining],
        "homes_scored_while_retraining": [p["homes"] for p in during if p["retraining"] and p["homes_with_news"]],
        "startup_s": round(started["s"], 2),
        "startup": {"homes": started["homes"], "from_summaries": started["from_summaries"],
                    "from_events": started["from_events"], "readings_replayed": started["readings"],
                    "parts_s": {part: round(s, 2) for part, s in started["parts"].items()},
                    "alerts_raised": started["raised"], "findings_holding": started["holding"]},
        "startup_per_home_ms": round(started["s"] / homes * 1000, 3),
        "warmup_homes_measured": by_summaries["homes"],
        "warmup_from_summaries_per_home_ms": _ms_per(by_summaries["s"], by_summaries["homes"]),
        "warmup_from_events_per_home_ms": _ms_per(by_events["s"], by_events["homes"]),
        "warmup_readings_from_summaries_per_home": round(by_summaries["readings"] / by_summaries["homes"])
        if by_summaries["homes"] else None,
        "warmup_readings_from_events_per_home": round(by_events["readings"] / by_events["homes"])
        if by_events["homes"] else None,
        "startup_from_events_estimate_s": round(events_per_home * homes) if events_per_home else None,
        "day_summaries_stored": scored["stored_days"]["rows"],
        "day_summaries_store_s": round(scored["stored_days"]["s"], 2),
        "train_per_home_ms": round(statistics.mean(r.train_s for r in residents) * 1000, 1),
        "warmup_per_home_ms": round(statistics.mean(r.warmup_s for r in residents) * 1000, 1),
        "warmup_readings_per_home": round(statistics.mean(r.warmup_readings for r in residents)),
        "rss_per_home_kb": round((after - memory["rss_before_mb"]) * 1024 / homes, 2),
        "scorers_kb_per_home": round(memory["scorers_kb_per_home"], 2),
        "peak_rss_mb": {"scoring": round(scored["final"]["peak_rss_mb"], 1),
                        "scoring_timed_passes": round(max(p["peak_rss_mb"] for p in timed), 1),
                        "scoring_before_scorers": round(memory["rss_before_mb"], 1),
                        "startup": round(started["peak_rss_mb"], 1),
                        "bench": round(vm_kb("VmHWM") / 1024, 1),
                        "simulators": round(max(r.peak_rss_mb for r in residents), 1),
                        "retrain_workers": [round(mb, 1) for mb in retrained["peak_rss_mb"]]},
        "measured": (
            "score_s: median wall time of BehaviourService.score() over the timed passes, in a process holding a "
            "scorer for every home (as hub alerts does), each pass after one minute of events (activity and "
            "heartbeats) for every home was COPYed into PostgreSQL; score_parts_s: the service's own split of "
            "that pass. rss_per_home_kb: that process's RSS after the last pass less its RSS before any scorer, "
            "per home. retrain_s: wall time from queueing retrain_homes homes on the service's trainer "
            "(models.training.TrainingPool, retrain_processes niced worker processes, started beforehand; each "
            "home's history read from PostgreSQL, trained, stored) until the last was trained, while that process "
            "scored every home back to back, a minute of new events each pass: score_while_retraining_s is the "
            "median of those passes. startup_s: wall time of the first pass of an empty BehaviourService in a "
            "fresh process (read every home's baseline, stored day summaries and the events since the start of "
            "the latest stored day, score, write) with every home's days stored as live scoring stores them; "
            "warmup_from_*_per_home_ms: building the scorers of the retrain_homes homes, which have a day of "
            "real events and heartbeats behind them, from their stored days and from 35 days of their events."),
        "not_measured": (
            "retrain_all_homes_estimate_s is retrain_per_home_ms × homes, an estimate of the nightly retrain's "
            "duration in the background. startup_from_events_estimate_s is warmup_from_events_per_home_ms × homes "
            "(a start warmed up from events only, as every start was before day summaries were stored). In "
            "startup_s only the retrain_homes homes have a day of events to replay; a real start replays a day "
            "or two of every home's events (warmup_from_summaries_per_home_ms, measured on those homes). Each "
            "home's scorer is a copy of one of `residents` simulated residents' scorers, warmed up on 35 days as "
            "the service does (warmup_per_home_ms, train_per_home_ms: measured on those residents, in memory), so "
            "a resident's new episode is raised in every home copied from it in the same pass "
            "(alerts_raised_per_pass)."),
    }

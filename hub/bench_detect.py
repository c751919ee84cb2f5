"""`hub bench detect --homes N`: the time to score all N homes once, and to retrain them, with each process's
memory. Appended to bench/results.md.

One scoring pass is what `hub alerts` does every SCORE_EVERY_S (60 s): read the events received since the
last pass for all homes (one query), feed each home's HomeScorer, ask each for its findings and write the
alerts. Measured here with the service's own code (models.service.BehaviourService.score) in a process of
its own holding a warmed scorer for every home, against a throwaway PostgreSQL database:

1. A modest number of distinct residents are simulated (simulators.history), their baselines trained and
   their scorers warmed up on 35 days, as the live service does on its first pass. Each of the N homes
   gets its own copy of one resident's warmed scorer, under its own home id (sharing only the names of
   devices, event types and rooms, which the service interns): 35 days of raw readings for 50,000 homes
   (over a billion rows) would not fit the machine, and would not change what a pass costs.
2. The last five minutes before the first pass are stored for every home, and the service's first pass
   runs (it finds every home and raises what already holds).
3. Each timed pass: one minute of new events (activity and heartbeats) for every home is COPYed in, with
   receive times a minute apart as ingest would have written them, then one `score()` pass is timed.
4. Retraining: `--retrain-homes` homes get their 43 days of training history in PostgreSQL and are retrained
   with the service's own per-home retrain (history read from PostgreSQL, train, store), in `--workers`
   processes.

Figures, never assertions: the tests time nothing.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from hub import db
from hub.bench_detect_work import (
    PASS,
    TAIL,
    Resident,
    ResidentJob,
    copy_rows,
    ready,
    received_at,
    retrain_homes,
    scoring_process,
    simulate_resident,
    vm_kb,
)
from models.train import DECLINE_HOLDBACK_DAYS, TRAIN_DAYS

Progress = Callable[[str], None]
SCORE_AT = "08:00"  # local wall time of the first pass: a busy minute (people getting up, breakfast)


@contextmanager
def throwaway_database(database_url: str) -> Iterator[tuple[str, str]]:
    """(url, storage mode) of a fresh migrated database, dropped afterwards."""
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(database_url, dbname=name)
    try:
        mode, _ = db.migrate(url)
        yield url, mode
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def home_ids(homes: int) -> list[str]:
    return [f"home-{i + 1:06d}" for i in range(homes)]


def first_pass_at(first_day: date, days: int, at: str) -> datetime:
    from simulators.localtime import LocalDay

    hour, minute = (int(part) for part in at.split(":"))
    return datetime.fromtimestamp(LocalDay(first_day + timedelta(days=days - 1)).at(hour + minute / 60), UTC)


def _register(conn: psycopg.Connection, homes: list[str], residents: list[Resident]) -> None:
    """Homes, residents and each home's devices (its resident's), by COPY: 50,000 homes take seconds."""
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy("COPY homes (home_id, address) FROM STDIN") as copy:
            for i, home_id in enumerate(homes):
                copy.write_row((home_id, f"{i + 1} Bench Street"))
        with cur.copy("COPY residents (resident_id, home_id, name, preferred_name) FROM STDIN") as copy:
            for i, home_id in enumerate(homes):
                copy.write_row((f"resident-{i + 1:06d}", home_id, f"Resident {i + 1}", None))
        with cur.copy("COPY devices (home_id, device_id, kind, room, heartbeat_interval_s) FROM STDIN") as copy:
            for i, home_id in enumerate(homes):
                for device in residents[i % len(residents)].devices:
                    copy.write_row((home_id, *device))


def _store_rows(conn: psycopg.Connection, homes: list[str], residents: list[Resident], window: int | None,
                start: datetime, wall_start: datetime) -> tuple[int, int]:
    """Every home's events of one pass window (None: the tail before the first pass); (rows, homes with any)."""
    rows = []
    with_news = 0
    for i, home_id in enumerate(homes):
        resident = residents[i % len(residents)]
        own = resident.tail if window is None else resident.windows[window]
        with_news += bool(own)
        rows += [(home_id, device, seq, ts, received_at(ts, start, wall_start), type_, value, room)
                 for device, seq, ts, type_, value, room in own]
    copy_rows(conn, rows)
    conn.commit()
    return len(rows), with_news


def _simulate(homes: list[str], residents: int, seed: int, at: str, passes: int, retrain: int, workers: int,
              url: str, progress: Progress) -> tuple[list[Resident], datetime]:
    from simulators.history import DEFAULT_START

    days = TRAIN_DAYS + DECLINE_HOLDBACK_DAYS + 3  # the training window, and the day of the passes
    start = first_pass_at(DEFAULT_START, days, at)
    history_homes: list[list[str]] = [[] for _ in range(residents)]
    for i, home_id in enumerate(homes[:retrain]):
        history_homes[i % residents].append(home_id)
    jobs = [ResidentJob(i, residents, seed, DEFAULT_START, days, start, passes, url, history_homes[i])
            for i in range(residents)]
    found: list[Resident] = []
    progress(f"simulating {residents} residents × {days} days, training and warming up their scorers…")
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for resident in pool.imap_unordered(simulate_resident, jobs):
            found.append(resident)
            if len(found) % 10 == 0 or len(found) == residents:
                progress(f"  {len(found)}/{residents} residents simulated, trained and warmed up")
    return sorted(found, key=lambda r: r.index), start


def _score(url: str, homes: list[str], residents: list[Resident], start: datetime, passes: int,
           progress: Progress) -> dict[str, Any]:
    """The scoring process: every home's scorer, the first pass, then the timed passes."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=scoring_process, name="scoring",
                              args=(theirs, url, [r.scorer for r in residents], homes))
    process.start()
    wall_start = datetime.now(UTC).replace(microsecond=0)
    try:
        with db.connect(url) as conn:
            tail_rows, _ = _store_rows(conn, homes, residents, None, start, wall_start)
            progress(f"stored the last {TAIL.seconds // 60} minutes for {len(homes)} homes ({tail_rows:,} rows); "
                     "copying every home's scorer into the scoring process…")
            memory = ours.recv()
            progress(f"  {memory['scorers_kb_per_home']:.1f} KiB a home; the service's first pass (finds every "
                     "home, raises every alert that already holds: minutes at 50,000 homes)…")
            ours.send(("score", wall_start + timedelta(seconds=1)))
            first = ours.recv()
            progress(f"  first pass: {first['homes']} homes, {first['raised']} alerts raised in {first['s']:.1f} s")
            timed: list[dict[str, Any]] = []
            for k in range(passes):
                written, with_news = _store_rows(conn, homes, residents, k, start, wall_start)
                ours.send(("score", wall_start + (k + 1) * PASS + timedelta(seconds=1)))
                result = ours.recv()
                result.update(written=written, homes_with_news=with_news)
                timed.append(result)
                progress(f"  pass {k + 1}/{passes}: {result['homes']} homes, {result['readings']:,} readings "
                         f"in {result['s']:.2f} s")
            ours.send(("stop", None))
            final = ours.recv()
    finally:
        process.join(60)
        if process.is_alive():
            process.terminate()
    return {"memory": memory, "first": first, "timed": timed, "final": final, "tail_rows": tail_rows}


def _retrain(url: str, homes: list[str], until: datetime, workers: int, progress: Progress) -> dict[str, Any]:
    if not homes:
        return {"homes": 0, "s": 0.0, "peak_rss_mb": []}
    chunk = max(1, min(25, len(homes) // (workers * 4) or 1))
    jobs = [(url, homes[i:i + chunk], until) for i in range(0, len(homes), chunk)]
    progress(f"retraining {len(homes)} homes from their history in PostgreSQL, {workers} processes…")
    done, peaks = 0, {}
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(ready, range(workers))  # started and imported before the clock starts, as a standing pool would be
        began = time.perf_counter()
        for result in pool.imap_unordered(retrain_homes, jobs):
            done += int(result["homes"])
            peaks[result["pid"]] = max(peaks.get(result["pid"], 0.0), result["peak_rss_mb"])
            if done % 100 < chunk or done == len(homes):
                progress(f"  retrained {done}/{len(homes)} homes")
    return {"homes": len(homes), "s": time.perf_counter() - began, "peak_rss_mb": sorted(peaks.values())}


def bench_detect(database_url: str, homes: int, *, residents: int = 100, passes: int = 3, retrain: int = 100,
                 workers: int = 2, seed: int = 1, at: str = SCORE_AT, progress: Progress = print) -> dict[str, Any]:
    """Score N homes with the live service's code and retrain `retrain` of them; one JSON-able dict."""
    residents = max(1, min(residents, homes))
    retrain = min(retrain, homes)
    ids = home_ids(homes)
    with throwaway_database(database_url) as (url, mode):
        simulated, start = _simulate(ids, residents, seed, at, passes, retrain, workers, url, progress)
        with db.connect(url) as conn:
            _register(conn, ids, simulated)
        progress(f"registered {homes} homes")
        scored = _score(url, ids, simulated, start, passes, progress)
        retrained = _retrain(url, ids[:retrain], start, workers, progress)
    return _result(homes, mode, simulated, start, scored, retrained, workers, seed)


def _result(homes: int, mode: str, residents: list[Resident], start: datetime, scored: dict[str, Any],
            retrained: dict[str, Any], workers: int, seed: int) -> dict[str, Any]:
    timed, first, memory = scored["timed"], scored["first"], scored["memory"]
    median = sorted(timed, key=lambda p: p["s"])[len(timed) // 2]
    retrain_per_home = retrained["s"] / retrained["homes"] if retrained["homes"] else None
    after = timed[-1]["rss_mb"]
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
        "train_per_home_ms": round(statistics.mean(r.train_s for r in residents) * 1000, 1),
        "warmup_per_home_ms": round(statistics.mean(r.warmup_s for r in residents) * 1000, 1),
        "warmup_readings_per_home": round(statistics.mean(r.warmup_readings for r in residents)),
        "rss_per_home_kb": round((after - memory["rss_before_mb"]) * 1024 / homes, 2),
        "scorers_kb_per_home": round(memory["scorers_kb_per_home"], 2),
        "peak_rss_mb": {"scoring": round(scored["final"]["peak_rss_mb"], 1),
                        "scoring_timed_passes": round(max(p["peak_rss_mb"] for p in timed), 1),
                        "scoring_before_scorers": round(memory["rss_before_mb"], 1),
                        "bench": round(vm_kb("VmHWM") / 1024, 1),
                        "simulators": round(max(r.peak_rss_mb for r in residents), 1),
                        "retrain_workers": [round(mb, 1) for mb in retrained["peak_rss_mb"]]},
        "measured": (
            "score_s: median wall time of BehaviourService.score() over the timed passes, in a process holding a "
            "scorer for every home (as hub alerts does), each pass after one minute of events (activity and "
            "heartbeats) for every home was COPYed into PostgreSQL; score_parts_s: the service's own split of "
            "that pass. rss_per_home_kb: that process's RSS after the last pass less its RSS before any scorer, "
            "per home. retrain_s: wall time of BehaviourService.retrain (history read from PostgreSQL, train, "
            "store) for retrain_homes homes, spread over retrain_processes processes already started; "
            "retrain_per_home_ms is that time over retrain_homes."),
        "not_measured": (
            "retrain_all_homes_estimate_s is retrain_per_home_ms × homes, an estimate. Each home's scorer is a copy "
            "of one of `residents` simulated residents' scorers, warmed up on 35 days as the service does "
            "(warmup_per_home_ms, train_per_home_ms: measured on those residents, in memory), so a resident's "
            "new episode is raised in every home copied from it in the same pass (alerts_raised_per_pass)."),
    }

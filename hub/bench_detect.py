"""`hub bench detect --homes N`: the time to score all N homes once, to retrain homes while scoring goes on, and
to start up, with each process's memory. Appended to bench/results.md.

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
4. Retraining: `--retrain` homes have their 43 days of training history in PostgreSQL (heartbeats for the last
   day). The scoring process queues them on the service's own trainer, `--workers` worker processes
   (models.training.TrainingPool), and goes on scoring a minute of events for every home after another,
   back to back, until they are all retrained and their new baselines are in their scorers.
5. Start-up: every home's baseline and its scorer's finished days (as live scoring stores them day by day) are
   in PostgreSQL; a fresh process with an empty service runs the first pass, as `hub alerts` does when it
   starts, until every home has been scored once. The `--retrain` homes, which have a day of real events and
   heartbeats behind them, are then warmed up again both ways: from their stored days, and from 35 days of
   their events (the fallback for a home without stored days, and how every start used to warm up).

Figures, never assertions: the tests time nothing.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from hub import db
from hub.bench import throwaway_database
from hub.bench_detect_result import result
from hub.bench_detect_startup import startup_process
from hub.bench_detect_work import (
    PASS,
    TAIL,
    Resident,
    ResidentJob,
    copy_rows,
    received_at,
    scoring_process,
    simulate_resident,
)
from models.train import DECLINE_HOLDBACK_DAYS, TRAIN_DAYS

Progress = Callable[[str], None]
SCORE_AT = "08:00"  # local wall time of the first pass: a busy minute (people getting up, breakfast)


def home_ids(homes: int) -> list[str]:
    return [f"home-{i + 1:06d}" for i in range(homes)]


def first_pass_at(first_day: date, days: int, at: str) -> datetime:
    from simulators.localtime import LocalDay

    hour, minute = (int(part) for part in at.split(":"))
    return datetime.fromtimestamp(LocalDay(first_day + timedelta(days=days - 1)).at(hour + minute / 60), UTC)


def _register(conn: psycopg.Connection, homes: list[str], residents: list[Resident]) -> None:
    """Homes, residents, each home's devices and baseline (its resident's), by COPY: 50,000 homes take seconds."""
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
        with cur.copy("COPY baselines (home_id, version, params, trained_until, days_used, cold_start) "
                      "FROM STDIN") as copy:
            for i, home_id in enumerate(homes):
                baseline = residents[i % len(residents)].baseline
                copy.write_row((home_id, 1, json.dumps(baseline | {"home_id": home_id}), baseline["trained_until"],
                                baseline["days_used"], baseline["cold_start"]))


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


def _simulate(homes: list[str], residents: int, seed: int, at: str, windows: int, retrain: int, workers: int,
              url: str, progress: Progress) -> tuple[list[Resident], datetime]:
    from simulators.history import DEFAULT_START

    days = TRAIN_DAYS + DECLINE_HOLDBACK_DAYS + 3  # the training window, and the day of the passes
    start = first_pass_at(DEFAULT_START, days, at)
    history_homes: list[list[str]] = [[] for _ in range(residents)]
    for i, home_id in enumerate(homes[:retrain]):
        history_homes[i % residents].append(home_id)
    jobs = [ResidentJob(i, residents, seed, DEFAULT_START, days, start, windows, url, history_homes[i])
            for i in range(residents)]
    found: list[Resident] = []
    progress(f"simulating {residents} residents × {days} days, training and warming up their scorers…")
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for resident in pool.imap_unordered(simulate_resident, jobs):
            found.append(resident)
            if len(found) % 10 == 0 or len(found) == residents:
                progress(f"  {len(found)}/{residents} residents simulated, trained and warmed up")
    return sorted(found, key=lambda r: r.index), start


class _Passes:
    """The scoring process, and the minutes of events it is given one after another."""

    def __init__(self, pipe: Any, conn: psycopg.Connection, homes: list[str], residents: list[Resident],
                 start: datetime, wall_start: datetime) -> None:
        self.pipe, self.conn, self.homes, self.residents = pipe, conn, homes, residents
        self.start, self.wall_start = start, wall_start
        self.done = 0

    @property
    def events_left(self) -> bool:
        return self.done < len(self.residents[0].windows)

    def next(self) -> dict[str, Any]:
        """Store the next minute of events (none once the simulated ones run out) and time one pass over them."""
        written, with_news = 0, 0
        if self.events_left:
            written, with_news = _store_rows(self.conn, self.homes, self.residents, self.done, self.start,
                                             self.wall_start)
        self.done += 1
        self.pipe.send(("score", self.wall_start + self.done * PASS + timedelta(seconds=1)))
        result = self.pipe.recv()
        result.update(written=written, homes_with_news=with_news)
        return result


def _score(url: str, homes: list[str], residents: list[Resident], start: datetime, passes: int, retrain: list[str],
           workers: int, progress: Progress) -> dict[str, Any]:
    """The scoring process: every home's scorer, the first pass, the timed passes, then passes while `retrain`
    homes are retrained in the background; last, every scorer's finished days are stored for the start-up."""
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
            feed = _Passes(ours, conn, homes, residents, start, wall_start)
            timed: list[dict[str, Any]] = []
            for k in range(passes):
                timed.append(feed.next())
                progress(f"  pass {k + 1}/{passes}: {timed[-1]['homes']} homes, {timed[-1]['readings']:,} readings "
                         f"in {timed[-1]['s']:.2f} s")
            during, retrained = _retrain(ours, feed, retrain, start, workers, progress)
            ours.send(("store_days", None))
            stored = ours.recv()
            progress(f"stored every scorer's finished days ({stored['rows']:,} rows) in {stored['s']:.1f} s")
            ours.send(("stop", None))
            final = ours.recv()
            last_pass = wall_start + feed.done * PASS + timedelta(seconds=2)
    finally:
        process.join(60)
        if process.is_alive():
            process.terminate()
    return {"memory": memory, "first": first, "timed": timed, "final": final, "tail_rows": tail_rows,
            "during_retrain": during, "retrained": retrained, "stored_days": stored, "last_pass": last_pass}


def _retrain(pipe: Any, feed: _Passes, homes: list[str], until: datetime, workers: int,
             progress: Progress) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Queue `homes` for retraining and score pass after pass, a minute of new events each, until they are all
    retrained (or the simulated minutes run out); then one more pass puts the last new baselines in."""
    if not homes:
        return [], {"homes": 0, "s": 0.0, "peak_rss_mb": []}
    progress(f"retraining {len(homes)} homes from their history in PostgreSQL in {workers} worker processes, "
             "scoring every home meanwhile…")
    pipe.send(("retrain", (homes, until, workers)))
    pipe.recv()
    during: list[dict[str, Any]] = []
    while feed.events_left:
        during.append(feed.next())
        progress(f"  pass while retraining: {during[-1]['homes']} homes in {during[-1]['s']:.2f} s, "
                 f"{sum(p['swapped'] for p in during)}/{len(homes)} new baselines in their scorers")
        if not during[-1]["retraining"]:  # the pool was idle as the pass began: it swapped in the last ones
            break
    pipe.send(("retrained", None))  # once the workers are done
    retrained = pipe.recv()
    if during[-1]["retraining"]:
        during.append(feed.next())
    progress(f"  {retrained['homes']} homes retrained in {retrained['s']:.1f} s; "
             f"{sum(p['swapped'] for p in during)} new baselines in their scorers")
    return during, retrained


def _startup(url: str, homes: list[str], measured: list[str], wall_now: datetime,
             progress: Progress) -> dict[str, Any]:
    progress(f"starting up: an empty service's first pass over {len(homes)} homes, from their stored days…")
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=startup_process, name="startup", args=(theirs, url, wall_now, measured))
    process.start()
    try:
        figures = ours.recv()
    finally:
        process.join(60)
        if process.is_alive():
            process.terminate()
    progress(f"  every home scored once {figures['s']:.1f} s after the start ({figures['from_summaries']} homes "
             f"from stored days, {figures['from_events']} from 35 days of events)")
    return figures


def bench_detect(database_url: str, homes: int, *, residents: int = 100, passes: int = 3, retrain: int = 100,
                 workers: int = 2, seed: int = 1, at: str = SCORE_AT, retrain_windows: int = 20,
                 progress: Progress = print) -> dict[str, Any]:
    """Score N homes with the live service's code, retrain `retrain` of them while scoring goes on, and start
    up again from what is stored; one JSON-able dict."""
    residents = max(1, min(residents, homes))
    retrain = min(retrain, homes)
    ids = home_ids(homes)
    with throwaway_database(database_url) as (url, mode):
        simulated, start = _simulate(ids, residents, seed, at, passes + retrain_windows, retrain, workers, url,
                                     progress)
        with db.connect(url) as conn:
            _register(conn, ids, simulated)
        progress(f"registered {homes} homes")
        scored = _score(url, ids, simulated, start, passes, ids[:retrain], workers, progress)
        started = _startup(url, ids, ids[:retrain], scored["last_pass"], progress)
    return result(homes, mode, simulated, start, scored, started, workers, seed)

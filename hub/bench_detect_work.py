"""The processes behind `hub bench detect` (hub.bench_detect): simulated residents and the scoring process,
with its retraining workers (models.training.TrainingPool). The start-up process is in hub.bench_detect_startup.

A resident is simulated once (simulators.history), trained and warmed up as the live service would, and
stands in for every home mapped to it: each of those homes gets its own copy of the warmed scorer (its
own objects, its own home id), the same readings under its own home id, and its own rows in PostgreSQL.
The scoring process is a fresh interpreter holding a scorer for every home, as `hub alerts` does, so its
memory is that of the scorers and nothing else the benchmark builds.
"""

from __future__ import annotations

import gc
import io
import pickle
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

import psycopg

from hub import db
from models.readings import Reading

# (device_id, seq, ts, type, value, room): one stored event, without its home
Row = tuple[str, int, datetime, str, float | int | None, str | None]
TAIL = timedelta(minutes=5)  # every device beats at least once in five minutes: every home is in the first pass
PASS = timedelta(seconds=60)  # SCORE_EVERY_S: one scoring interval of new events
COPY_EVENTS = "COPY events (home_id, device_id, seq, ts, received_at, type, value, room) FROM STDIN"


def vm_kb(field_name: str, pid: str = "self") -> int:
    """A /proc/PID/status memory figure (VmRSS, VmHWM) in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


@dataclass
class ResidentJob:
    index: int
    homes: int  # how many residents home_specs is asked for (prefix-stable: resident i is the same for any count)
    seed: int
    first_day: date
    days: int
    start: datetime  # event time of the first scoring pass
    passes: int
    database_url: str
    history_homes: list[str] = field(default_factory=list)  # homes whose training history goes to PostgreSQL


@dataclass
class Resident:
    index: int
    devices: list[tuple[str, str, str | None, int]]  # (device_id, kind, room, heartbeat interval s)
    scorer: bytes  # the warmed-up HomeScorer, pickled before its first findings()
    tail: list[Row]  # events in the TAIL before `start` (already seen by the warmed scorer)
    windows: list[list[Row]]  # events of each scoring pass
    history_rows: int  # training history rows stored per home in `history_homes`
    baseline: dict[str, Any]  # the trained baseline (Baseline.to_dict), stored for every home copied from it
    train_s: float
    warmup_s: float
    warmup_readings: int
    peak_rss_mb: float


def simulate_resident(job: ResidentJob) -> Resident:
    """Simulate one resident, train their baseline and warm up their scorer exactly as the live service
    does (models.service.warm_scorer), and cut the rows each scoring pass will receive."""
    from models.service import HISTORY_DAYS, new_scorer
    from models.train import DECLINE_HOLDBACK_DAYS, TRAIN_DAYS, train
    from models.warmup import BEATS
    from simulators.history import home_history, iter_rows
    from simulators.homes import home_specs

    spec = home_specs(job.homes, job.seed)[job.index]
    history = home_history(spec, job.first_day, job.days, job.seed)
    rows = [(device, seq, ts, type_, value, room) for _, device, seq, ts, type_, value, room
            in iter_rows(history, with_heartbeats=True)]
    start = job.start
    began = time.perf_counter()
    baseline = train(spec.home_id, history.readings, start, absences=history.absences)
    train_s = time.perf_counter() - began

    began = time.perf_counter()
    scorer = new_scorer(spec.home_id, baseline, history.absences, {})
    # The service's warm-up from events (models.warmup): days-old readings without heartbeats, the last day with.
    last_day = start - BEATS
    older = [r for r in history.readings if start - timedelta(days=HISTORY_DAYS) <= r.ts < last_day]
    recent = [Reading(ts, device, type_, value, room) for device, _, ts, type_, value, room in rows
              if last_day <= ts < start]
    scorer.observe(older)
    scorer.tracker.supervise_afresh()
    scorer.observe(recent)
    warmup_s = time.perf_counter() - began

    windows = [[r for r in rows if start + k * PASS <= r[2] < start + (k + 1) * PASS] for k in range(job.passes)]
    tail = [r for r in rows if start - TAIL <= r[2] < start]
    since = start - timedelta(days=TRAIN_DAYS + DECLINE_HOLDBACK_DAYS + 1)
    # Heartbeats of the last day too, as a start-up replays them (the other homes have only their summaries).
    history_rows = [r for r in rows if since <= r[2] < start - TAIL and (r[3] != "heartbeat" or r[2] >= last_day)]
    if job.history_homes:
        _store_history(job.database_url, job.history_homes, history_rows, start)
    return Resident(
        index=job.index,
        devices=[(d.device_id, d.kind, d.room, d.heartbeat_interval_s) for d in spec.devices],
        scorer=_dump_scorer(scorer, {name for row in rows for name in (row[0], row[3], row[5]) if name}),
        tail=tail, windows=windows,
        history_rows=len(history_rows), baseline=baseline.to_dict(), train_s=train_s, warmup_s=warmup_s,
        warmup_readings=len(older) + len(recent), peak_rss_mb=vm_kb("VmHWM") / 1024,
    )


class _NamesOut(pickle.Pickler):
    """Pickles the names of devices, event types and rooms by reference: every copy loaded again shares one
    string object per name, as the live service's scorers do (it interns them as it reads events)."""

    def __init__(self, file: io.BytesIO, names: set[str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.names = names

    def persistent_id(self, obj: object) -> str | None:
        return obj if type(obj) is str and obj in self.names else None


class _NamesIn(pickle.Unpickler):
    def persistent_load(self, pid: str) -> str:
        return sys.intern(pid)


def _dump_scorer(scorer: object, names: set[str]) -> bytes:
    out = io.BytesIO()
    _NamesOut(out, names).dump(scorer)
    return out.getvalue()


def received_at(ts: datetime, start: datetime, wall_start: datetime) -> datetime:
    """When the hub received an event: as long after the bench's wall clock start as it came after `start`
    in event time (plus the half second a unit and ingest take)."""
    return wall_start + (ts - start) + timedelta(milliseconds=500)


def copy_rows(conn: psycopg.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """(home_id, device_id, seq, ts, received_at, type, value, room) into events, one COPY."""
    with conn.cursor() as cur, cur.copy(COPY_EVENTS) as copy:
        for row in rows:
            copy.write_row(row)


def _store_history(database_url: str, homes: list[str], rows: list[Row], start: datetime) -> None:
    # Received long before the benchmark's first pass, so no pass reads them as new.
    received = start - timedelta(days=1)
    with db.connect(database_url) as conn:
        copy_rows(conn, [(home_id, device, seq, ts, received, type_, value, room)
                         for home_id in homes for device, seq, ts, type_, value, room in rows])
        conn.commit()


# -- the scoring process --------------------------------------------------------------------------------


def scoring_process(pipe: Connection, database_url: str, scorers: list[bytes], homes: list[str]) -> None:
    """Hold a warmed scorer for every home in a BehaviourService and do as told:
    ("score", wall_now) → the pass's figures; ("retrain", (homes, until, workers)) → start retraining those homes
    in worker processes, in the background; ("retrained", None) → its figures once it is done; ("store_days", None)
    → store every scorer's finished days, as live scoring does day by day; ("stop", None) → the process's peak
    RSS, then exit."""
    from models.service import BehaviourService

    service = BehaviourService()
    gc.collect()
    rss_before = vm_kb("VmRSS")
    for i, home_id in enumerate(homes):
        scorer = _NamesIn(io.BytesIO(scorers[i % len(scorers)])).load()
        scorer.home_id = scorer.baseline.home_id = home_id
        service.scorers[home_id] = scorer
        if (i + 1) % 10_000 == 0:
            print(f"  scoring process: {i + 1}/{len(homes)} homes' scorers in memory…", file=sys.stderr, flush=True)
    del scorers
    gc.collect()
    rss_after = vm_kb("VmRSS")
    pipe.send({"rss_before_mb": rss_before / 1024, "rss_scorers_mb": rss_after / 1024,
               "scorers_kb_per_home": (rss_after - rss_before) / max(len(homes), 1)})
    retraining: _Retraining | None = None
    with db.connect(database_url, autocommit=True) as conn:
        while True:
            command, argument = pipe.recv()
            if command == "stop":
                break
            if command == "score":
                busy = retraining is not None and retraining.pool.busy()
                began = time.perf_counter()
                report = service.score(conn, argument)
                seconds = time.perf_counter() - began
                pipe.send({"s": seconds, "homes": report.homes, "readings": report.readings, "raised": report.raised,
                           "cleared": report.cleared, "holding": report.holding, "parts": report.seconds,
                           "retraining": busy, "swapped": report.baselines_swapped, "failed": report.trainings_failed,
                           "rss_mb": vm_kb("VmRSS") / 1024, "peak_rss_mb": vm_kb("VmHWM") / 1024})
            elif command == "retrain":
                retraining = _Retraining(service, conn, database_url, *argument)
                pipe.send({"workers": retraining.pids})
            elif command == "retrained":
                assert retraining is not None
                pipe.send(retraining.figures())
            elif command == "store_days":
                pipe.send(_store_every_day(service, conn))
    final = {"peak_rss_mb": vm_kb("VmHWM") / 1024, "scorers": len(service.scorers)}
    if retraining is not None:
        retraining.pool.close()
    pipe.send(final)


class _Retraining:
    """Homes retrained by the service's own trainer (models.training.TrainingPool), as the nightly retrain
    does it: queued at once, trained in worker processes while scoring goes on, each new baseline swapped
    into its scorer on the next pass."""

    def __init__(self, service: Any, conn: psycopg.Connection, database_url: str, homes: list[str], until: datetime,
                 workers: int) -> None:
        from models.training import TrainingPool

        self.pool = TrainingPool(database_url, workers)
        self.pids = self.pool.start()  # started and imported before the clock starts, as a standing pool would be
        service.trainer = self.pool
        self.homes = len(homes)
        self.done_at: float | None = None
        self.began = time.perf_counter()
        self.pool.submit(conn, [(home_id, until) for home_id in homes])
        threading.Thread(target=self._note_when_done, daemon=True).start()

    def _note_when_done(self) -> None:
        while self.pool.busy():
            time.sleep(0.02)
        self.done_at = time.perf_counter()

    def figures(self) -> dict[str, Any]:
        while self.done_at is None:
            time.sleep(0.02)
        return {"homes": self.homes, "s": self.done_at - self.began,
                "peak_rss_mb": [vm_kb("VmHWM", str(pid)) / 1024 for pid in self.pids]}


def _store_every_day(service: Any, conn: psycopg.Connection, homes_at_once: int = 2000) -> dict[str, float]:
    """Store every scorer's finished days: what the day summaries table holds after weeks of live scoring."""
    from models import store

    began, rows = time.perf_counter(), 0
    scorers = list(service.scorers.items())
    for first in range(0, len(scorers), homes_at_once):
        days = [(home_id, day) for home_id, scorer in scorers[first:first + homes_at_once]
                for day in scorer.tracker.history]
        store.save_day_summaries(conn, days)
        rows += len(days)
    return {"rows": rows, "s": time.perf_counter() - began}

"""Training baselines away from the scoring thread.

Training one home reads six weeks of its events and replays them twice through the tracker: about a second of
a core, so the nightly retrain of 50,000 homes is hours of work. Scoring must never wait for it (a resident who
falls at 03:30 needs the alert as much as one who falls at noon), so `TrainingPool` trains in worker processes
at a lower CPU priority than scoring and ingest, and hands each new baseline back to the scoring thread, which
swaps it into the home's live scorer (models.service). Until then a home keeps the baseline it has, or
population priors (a cold start) if it never had one.

A worker process that dies (killed for memory, a crash in a native library) breaks the whole process pool, so
the homes that were training at that moment are tried again one at a time: the one that kills its worker on its
own is given up until the next night, the others are trained as usual. A database error for one home fails that
home only.

`InlineTrainer` trains in the caller's process and transaction, at once: for `hub train`, tests and tools that
want the baseline before they go on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import psycopg

from models import store
from models.baselines import Baseline
from models.train import DECLINE_HOLDBACK_DAYS, TRAIN_DAYS, train

log = logging.getLogger(__name__)
TRAIN_NICENESS = 10  # added to the workers' nice value: scoring and ingest get the cores first
FAILURES_LOGGED = 10  # per run: a database outage fails every home, and one line each would drown the log

TrainFunction = Callable[[psycopg.Connection, str, datetime], Baseline]
Job = tuple[str, datetime]  # (home_id, train on its events before this event time)


def train_home(conn: psycopg.Connection, home_id: str, until: datetime) -> Baseline:
    """Read a home's history, train its baseline and store it as a new version, in the caller's transaction."""
    since = until - timedelta(days=TRAIN_DAYS + DECLINE_HOLDBACK_DAYS + 1)
    readings = store.readings_between(conn, home_id, since, until, heartbeats=False)
    baseline = train(home_id, readings, until, absences=store.absences(conn, home_id))
    version = store.save_baseline(conn, baseline)
    log.debug("trained %s baseline v%d from %d days%s", home_id, version, baseline.days_used,
              " (cold start: population priors)" if baseline.cold_start else "")
    return baseline


@dataclass(frozen=True, slots=True)
class Trained:
    home_id: str
    baseline: Baseline | None  # None: training failed, and the home keeps the baseline it has
    error: str = ""
    worker_pid: int = 0


class Trainer(Protocol):
    def submit(self, conn: psycopg.Connection, jobs: Iterable[Job], *, first: bool = False) -> int:
        """Queue trainings (`first`: homes that have never had a baseline, ahead of the rest); how many were queued."""

    def finished(self) -> list[Trained]:
        """The trainings finished since the last call."""

    def busy(self) -> bool:
        """Trainings are queued or running."""

    def close(self) -> None: ...


class _Progress:
    """A run of trainings, from an empty queue until it is empty again, logged every tenth of the way."""

    def __init__(self) -> None:
        self.total = self.done = self.failed = 0

    def add(self, count: int) -> None:
        self.total += count

    def count(self, result: Trained) -> None:
        self.done += 1
        if result.baseline is None:
            self.failed += 1
            if self.failed <= FAILURES_LOGGED:
                log.warning("training %s failed (%s); it keeps the baseline it has", result.home_id, result.error)
        if self.done % max(self.total // 10, 1) == 0 or self.done >= self.total:
            log.info("retrained %d/%d baselines%s", self.done, self.total,
                     f" ({self.failed} failed; those homes keep the baseline they have)" if self.failed else "")
        if self.done >= self.total:
            self.total = self.done = self.failed = 0


class InlineTrainer:
    """Trains each job as it is submitted, in the caller's connection: one transaction a home."""

    def __init__(self, train_function: TrainFunction = train_home) -> None:
        self.train_function = train_function
        self._done: list[Trained] = []
        self._progress = _Progress()

    def submit(self, conn: psycopg.Connection, jobs: Iterable[Job], *, first: bool = False) -> int:
        jobs = list(jobs)
        self._progress.add(len(jobs))
        for home_id, until in jobs:
            try:
                with conn.transaction():
                    result = Trained(home_id, self.train_function(conn, home_id, until))
            except psycopg.OperationalError:
                raise
            except Exception as exc:
                result = Trained(home_id, None, f"{type(exc).__name__}: {exc}")
            self._done.append(result)
            self._progress.count(result)
        return len(jobs)

    def finished(self) -> list[Trained]:
        done, self._done = self._done, []
        return done

    def busy(self) -> bool:
        return False

    def close(self) -> None:
        pass


class TrainingPool:
    """Worker processes (started on first use, then kept) that train queued homes, `workers` at a time.

    `submit` and `finished` are called from the scoring thread; a thread of the pool's own starts the next
    training as each one ends, so the workers never wait for a scoring pass."""

    def __init__(self, database_url: str, workers: int = 1, *, train_function: TrainFunction = train_home,
                 niceness: int = TRAIN_NICENESS) -> None:
        self.database_url = database_url
        self.workers = max(1, workers)
        self.train_function = train_function
        self.niceness = niceness
        self._lock = threading.Condition()
        self._queue: deque[Job] = deque()
        self._suspects: deque[Job] = deque()  # running when a worker died: each is tried again on its own
        self._homes: set[str] = set()  # queued or running: a home is never trained twice at once
        self._running: dict[Future[Trained], Job] = {}
        self._done: list[Trained] = []
        self._executor: ProcessPoolExecutor | None = None
        self._broken = False
        self._died_with = 0  # trainings running when the pool broke: with one, that home killed its worker
        self._closed = False
        self._thread: threading.Thread | None = None
        self._progress = _Progress()

    def start(self) -> list[int]:
        """Start the workers and have each import what training needs; their process ids."""
        with self._lock:
            self._ensure_started()
            assert self._executor is not None
            futures = [self._executor.submit(_worker_ready) for _ in range(self.workers)]
        return sorted({future.result() for future in futures})

    def submit(self, conn: psycopg.Connection | None, jobs: Iterable[Job], *, first: bool = False) -> int:
        with self._lock:
            fresh = [(home_id, until) for home_id, until in jobs if home_id not in self._homes]
            self._homes.update(home_id for home_id, _ in fresh)
            if first:
                self._queue.extendleft(reversed(fresh))
            else:
                self._queue.extend(fresh)
            self._progress.add(len(fresh))
            if fresh:
                self._ensure_started()
                self._start_jobs()
                self._lock.notify_all()
            return len(fresh)

    def finished(self) -> list[Trained]:
        with self._lock:
            done, self._done = self._done, []
            return done

    def busy(self) -> bool:
        with self._lock:
            return bool(self._queue or self._suspects or self._running)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._queue.clear()
            self._suspects.clear()
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(30)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    # -- the pool's own thread, and what it shares with submit (all under the lock) --------------------------

    def _ensure_started(self) -> None:
        if self._executor is None:
            self._executor = self._new_executor()
        if self._thread is None:
            self._thread = threading.Thread(target=self._follow, name="baseline-training", daemon=True)
            self._thread.start()

    def _new_executor(self) -> ProcessPoolExecutor:
        # Spawned, not forked: the alert engine's other threads may hold locks a forked child would inherit.
        return ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker,
                                   initargs=(self.database_url, self.train_function, self.niceness))

    def _start_jobs(self) -> None:
        assert self._executor is not None
        while not self._broken:
            if self._suspects:
                if self._running:
                    return  # a suspect trains alone, so that a dying worker names the home that killed it
                source = self._suspects
            elif self._queue and len(self._running) < self.workers:
                source = self._queue
            else:
                return
            job = source.popleft()
            try:
                future = self._executor.submit(_train_in_worker, *job)
            except BrokenProcessPool:
                self._broken, self._died_with = True, 0
                source.appendleft(job)
                return
            self._running[future] = job

    def _follow(self) -> None:
        while True:
            with self._lock:
                while not self._closed and not self._running and not (self._queue or self._suspects):
                    self._lock.wait()
                if self._closed:
                    return
                if self._broken and not self._running:  # every training of the broken pool is accounted for
                    assert self._executor is not None
                    self._executor.shutdown(wait=False, cancel_futures=True)
                    self._executor, self._broken = self._new_executor(), False
                self._start_jobs()
                running = list(self._running)
            done, _ = wait(running, timeout=1.0, return_when=FIRST_COMPLETED)
            with self._lock:
                for future in done:
                    self._settle(future)

    def _settle(self, future: Future[Trained]) -> None:
        job = self._running.pop(future)
        home_id = job[0]
        try:
            result = future.result()
        except BrokenProcessPool:
            if not self._broken:
                self._broken, self._died_with = True, len(self._running) + 1
                log.warning("a training process died with %d homes training; those are trained again one at a "
                            "time", self._died_with)
            if self._died_with != 1:
                self._suspects.append(job)
                return
            result = Trained(home_id, None, "its training process died")
        except Exception as exc:  # the job could not be sent or its result not returned
            result = Trained(home_id, None, f"{type(exc).__name__}: {exc}")
        self._homes.discard(home_id)
        self._done.append(result)
        self._progress.count(result)


# -- in the worker processes ------------------------------------------------------------------------------

# Each worker process's own: its database URL, training function and one connection kept across its jobs.
_worker: dict[str, Any] = {}


def _start_worker(database_url: str, train_function: TrainFunction, niceness: int) -> None:
    os.nice(niceness)
    _worker.update(url=database_url, train=train_function, conn=None)


def _worker_ready() -> int:
    """Import what training needs (scikit-learn is imported by the first training otherwise)."""
    import sklearn.neighbors  # noqa: F401

    return os.getpid()


def _train_in_worker(home_id: str, until: datetime) -> Trained:
    conn: psycopg.Connection | None = _worker.get("conn")
    try:
        if conn is None or conn.closed:
            conn = _worker["conn"] = psycopg.connect(_worker["url"], autocommit=True,
                                                     application_name="telecare-hub-training")
        with conn.transaction():
            return Trained(home_id, _worker["train"](conn, home_id, until), worker_pid=os.getpid())
    except Exception as exc:
        if isinstance(exc, psycopg.OperationalError) and conn is not None:
            conn.close()  # reconnect for the next home
        return Trained(home_id, None, f"{type(exc).__name__}: {exc}".strip(), os.getpid())

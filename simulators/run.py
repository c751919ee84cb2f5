"""The simulation driver behind `hub simulate`: many home units on one simulated clock.

Sim time runs `speed` times faster than the wall clock. A fast run starts its clock in the past
so that it ends near the present: the hub rejects events more than 24 h in the future, and a run
must never get there.
"""

from __future__ import annotations

import functools
import logging
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from simulators.homes import home_specs
from simulators.ledger import AckStats, EventRecord
from simulators.schedule import ScheduledEvent, SimulationSchedule
from simulators.unit import HomeUnit

log = logging.getLogger(__name__)

BACKFILL_WITHOUT_DURATION = timedelta(days=1)   # history replayed first by an open-ended fast run
MAX_LEAD = timedelta(minutes=2)                 # sim time never gets further ahead of the real clock
CONNECT_TIMEOUT_S = 15.0
DRAIN_TIMEOUT_S = 10.0
TICK_S = 0.1
BATCH_LIMIT = 1000                              # sends between checks of the stop flag and progress
SEQ_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class SimulationConfig:
    mqtt_url: str
    homes: int = 50
    speed: float = 1.0
    seed: int = 1
    duration_s: float | None = None
    alarms_per_home_per_day: float = 2.0
    heartbeat_interval_s: int = 300
    protocol: str = "5"
    home_password: str | None = None
    sim_start: datetime | None = None    # None: chosen from speed and duration (see `choose_sim_start`)
    seq_start: int | None = None         # None: from the wall clock (see `default_seq_start`)


@dataclass
class Incident:
    """Ground truth: an alarm the hub should turn into an alert."""

    home_id: str
    device_id: str
    type: str
    sim_ts: datetime
    seq: int | None = None
    sent_at: float | None = None         # wall clock, first publish
    acked_at: float | None = None        # wall clock, the hub's ack
    ack_status: str | None = None


@dataclass
class SimulationStats:
    sent: int = 0
    acked: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    pending: int = 0
    retries: int = 0
    late_acks: int = 0
    incidents: list[Incident] = field(default_factory=list)
    elapsed_s: float = 0.0
    sim_time: datetime | None = None
    units_connected: int = 0
    ack_latency_p50_s: float | None = None
    ack_latency_p95_s: float | None = None
    ack_latency_max_s: float | None = None


def choose_sim_start(cfg: SimulationConfig, now: datetime) -> datetime:
    """Real time at speed 1; otherwise far enough back that the run ends about now."""
    if cfg.sim_start is not None:
        return cfg.sim_start.astimezone(UTC)
    if cfg.speed <= 1:
        return now
    if cfg.duration_s is not None:
        return now - timedelta(seconds=cfg.duration_s * (cfg.speed - 1))
    return now - BACKFILL_WITHOUT_DURATION


def default_seq_start(now: datetime) -> int:
    """Tenths of a second since 2024: a restarted simulator continues above the seqs it used before
    (the hub would ack reused seqs as duplicates and drop the new events), and fits 32 bits until 2030."""
    return int((now - SEQ_EPOCH).total_seconds() * 10)


class SimClock:
    def __init__(self, sim_start: datetime, speed: float) -> None:
        self.sim_start = sim_start
        self.speed = speed
        self._wall_start = time.monotonic()

    def now(self) -> datetime:
        sim = self.sim_start + timedelta(seconds=(time.monotonic() - self._wall_start) * self.speed)
        return min(sim, datetime.now(UTC) + MAX_LEAD)

    def wall_seconds_until(self, moment: datetime) -> float:
        return max((moment - self.now()).total_seconds() / self.speed, 0.0)


class _Simulation:
    def __init__(self, cfg: SimulationConfig) -> None:
        self.cfg = cfg
        self.homes = home_specs(cfg.homes, cfg.seed, cfg.heartbeat_interval_s)
        now = datetime.now(UTC)
        self.sim_start = choose_sim_start(cfg, now)
        seq_start = cfg.seq_start if cfg.seq_start is not None else default_seq_start(now)
        self._lock = threading.Lock()
        self.incidents: list[Incident] = []
        self._open_incidents: dict[tuple[str, str, int], Incident] = {}
        self.units = {
            home.home_id: HomeUnit(
                home.home_id, cfg.mqtt_url, password=cfg.home_password, protocol=cfg.protocol,
                seq_start=seq_start, retry_thread=False, on_ack=functools.partial(self._on_ack, home.home_id),
            )
            for home in self.homes
        }
        self.clock: SimClock | None = None
        self._wall_start = time.monotonic()

    def start_clock(self) -> SimClock:
        self.clock = SimClock(self.sim_start, self.cfg.speed)
        self._wall_start = time.monotonic()
        return self.clock

    def _on_ack(self, home_id: str, record: EventRecord) -> None:
        with self._lock:
            incident = self._open_incidents.pop((home_id, record.device_id, record.seq), None)
            if incident is not None:
                incident.acked_at, incident.ack_status = record.acked_at, record.status

    def connect(self) -> None:
        for unit in self.units.values():
            unit.start()
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        for unit in self.units.values():
            unit.wait_connected(max(deadline - time.monotonic(), 0))
        connected = sum(unit.is_connected for unit in self.units.values())
        if connected == 0:
            errors = {unit.last_connect_error for unit in self.units.values()} - {None}
            self.stop()
            raise ConnectionError(f"no home unit could connect to {self.cfg.mqtt_url}"
                                  + (f": {', '.join(sorted(e for e in errors if e))}" if errors else ""))
        if connected < len(self.units):
            log.warning("%d of %d home units connected; the rest keep trying", connected, len(self.units))

    def send(self, event: ScheduledEvent) -> None:
        record = self.units[event.home_id].send(event.device_id, event.type, event.value, event.room,
                                                ts=event.sim_ts, battery=event.battery)
        if event.is_incident:
            incident = Incident(event.home_id, event.device_id, event.type, event.sim_ts, record.seq,
                                record.first_sent_at)
            with self._lock:
                self.incidents.append(incident)
                if record.acked_at is None:
                    self._open_incidents[(event.home_id, event.device_id, record.seq)] = incident
                else:  # the ack beat us here
                    incident.acked_at, incident.ack_status = record.acked_at, record.status

    def resend_due(self) -> None:
        for unit in self.units.values():
            unit.resend_due()

    def pending(self) -> int:
        return sum(unit.pending_count() for unit in self.units.values())

    def stats(self) -> SimulationStats:
        totals = sum((unit.stats() for unit in self.units.values()), AckStats())
        latencies = sorted(x for unit in self.units.values() for x in unit.ledger.latencies())
        with self._lock:
            incidents = [replace(i) for i in self.incidents]
        stats = SimulationStats(
            sent=totals.sent, acked=totals.acked, stored=totals.stored, duplicates=totals.duplicates,
            rejected=totals.rejected, pending=totals.pending, retries=totals.retries, late_acks=totals.late_acks,
            incidents=incidents, elapsed_s=time.monotonic() - self._wall_start,
            sim_time=self.clock.now() if self.clock else None,
            units_connected=sum(unit.is_connected for unit in self.units.values()),
        )
        if latencies:
            stats.ack_latency_p50_s = statistics.median(latencies)
            stats.ack_latency_p95_s = latencies[min(int(len(latencies) * 0.95), len(latencies) - 1)]
            stats.ack_latency_max_s = latencies[-1]
        return stats

    def stop(self) -> None:
        # In parallel: each graceful stop may wait seconds for its offline status to get through.
        with ThreadPoolExecutor(max_workers=min(32, len(self.units) or 1)) as pool:
            list(pool.map(lambda unit: unit.stop(graceful=True), self.units.values()))


def run_simulation(cfg: SimulationConfig, stop_event: threading.Event | None = None,
                   on_progress: Callable[[SimulationStats], None] | None = None) -> SimulationStats:
    """Run until `cfg.duration_s` wall seconds have passed or `stop_event` is set, then wait up to
    ~10 s for outstanding acks, disconnect every unit gracefully and return the totals."""
    stop_event = stop_event or threading.Event()
    sim = _Simulation(cfg)
    sim.connect()
    schedule = SimulationSchedule(sim.homes, cfg.seed, sim.sim_start, cfg.alarms_per_home_per_day)
    clock = sim.start_clock()
    started = time.monotonic()
    next_progress = started + 1.0
    try:
        while not stop_event.is_set():
            if cfg.duration_s is not None and time.monotonic() - started >= cfg.duration_s:
                break
            for event in schedule.pop_due(clock.now(), limit=BATCH_LIMIT):
                sim.send(event)
            sim.resend_due()
            if on_progress is not None and time.monotonic() >= next_progress:
                on_progress(sim.stats())
                next_progress = time.monotonic() + 1.0
            upcoming = schedule.next_time()
            wait = TICK_S if upcoming is None else min(clock.wall_seconds_until(upcoming), TICK_S)
            if wait > 0:
                stop_event.wait(wait)
        drain_until = time.monotonic() + DRAIN_TIMEOUT_S
        while sim.pending() and time.monotonic() < drain_until:
            sim.resend_due()
            time.sleep(TICK_S)
    finally:
        sim.stop()
    final = sim.stats()
    if on_progress is not None:
        on_progress(final)
    return final

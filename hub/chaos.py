"""`hub chaos`: kill -9 the ingest process again and again while homes publish, restart the broker and
PostgreSQL under it, throw malformed messages at it, then verify that nothing acked was lost, nothing
was stored or alerted twice, the console was sent every alert, and every malformed message was
dead-lettered with a reason.

Runs its own stack: a fresh database (dropped afterwards; a private PostgreSQL cluster when the run
restarts the database), a private Mosquitto, the console (`hub serve`) with a websocket client recording
what it sends, and `hub ingest` processes that are killed at random moments. The faults other than
kills are in hub.chaos_faults. The tests run the same scenarios with fewer faults.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx

from hub import accounts, db
from hub.chaos_faults import Restarts, dead_lettered, publish_malformed, restart_repeatedly
from hub.embedded import PrivateMosquitto, free_port, wait_for_port
from hub.nats_cluster import NatsCluster, kill_nodes
from hub.private_postgres import PrivatePostgres, unavailable_reason
from hub.seed import register_homes
from hub.verify import AckedEvent, compare, load_database, note_console_message, write_ledger
from simulators.homes import HomeSpec, home_specs
from simulators.ledger import EventRecord
from simulators.unit import HomeUnit

READY_LINE = "ingest ready"


@dataclass
class ChaosConfig:
    kills: int = 50
    homes: int = 5
    events_per_s: float = 100.0  # all homes together
    alarm_share: float = 0.05  # of the events sent, pendant presses and pull cords
    min_alive_s: float = 0.1  # ingest lives a random time in [min, max] before each kill
    max_alive_s: float = 0.8
    seed: int = 1
    drain_timeout_s: float = 120.0
    malformed: int = 0  # malformed MQTT messages published after the kills
    broker_restarts: int = 0
    postgres_restarts: int = 0  # needs Debian's PostgreSQL server binaries for a private cluster
    outage_s: float = 3.0  # how long the broker or the database stays down each time
    workers: int = 1  # partitioned ingest workers (ingest.partition); each kill picks one at random
    broker: str = "mosquitto"  # or "nats-cluster": three NATS nodes with MQTT and JetStream (hub.nats_cluster)
    node_kills: int = 0  # nats-cluster only: times one broker node is killed -9 mid-stream, then revived


@contextmanager
def _database(admin_url: str, cfg: ChaosConfig) -> Iterator[tuple[str, PrivatePostgres | None]]:
    """The run's database: a private cluster when it is to be restarted, else a fresh database on the
    given server. Either is gone afterwards."""
    if cfg.postgres_restarts:
        reason = unavailable_reason()
        if reason:
            raise RuntimeError(f"PostgreSQL restarts need a private cluster: {reason}")
        with PrivatePostgres() as server:
            yield server.url, server
    else:
        with db.scratch_database(admin_url, "hub_chaos") as url:
            yield url, None


def _env(database_url: str, broker_url: str, client_id: str, protocol: str = "5") -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "MQTT_URL": broker_url, "MQTT_PROTOCOL": protocol,
           "MQTT_CLIENT_ID": client_id, "HUB_ENV": "development", "LOG_LEVEL": "INFO"}
    env.pop("HUB_FAILPOINT", None)
    return env


def start_ingest(env: dict[str, str], timeout_s: float = 30.0, partition: str = "0/1",
                 log_to: Path | None = None) -> subprocess.Popen[str]:
    """A `hub ingest` process, returned once it is subscribed (its log says so); its log is appended to
    `log_to` if given."""
    process = subprocess.Popen([sys.executable, "-m", "hub", "ingest", "--partition", partition], env=env,
                               stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    log = log_to.open("a") if log_to is not None else None
    deadline = time.monotonic() + timeout_s
    for line in process.stderr:
        if log is not None:
            log.write(line)
            log.flush()
        if READY_LINE in line:
            # Keep draining so a chatty log can never fill the pipe and stall the process.
            threading.Thread(target=_drain, args=(process.stderr, log), daemon=True).start()
            return process
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError("ingest did not become ready; run `hub ingest` by hand to see why")


def _drain(stream: TextIO, log: TextIO | None) -> None:
    for line in stream:
        if log is not None:
            log.write(line)
            log.flush()


def sign_in_headers(base_url: str, username: str, password: str) -> dict[str, str]:
    """Signs in to a console and gives the headers (session cookie, CSRF token) later requests need."""
    answer = httpx.post(f"{base_url}/api/login", json={"username": username, "password": password}, timeout=10)
    answer.raise_for_status()
    return {"Cookie": f"hub_session={answer.cookies['hub_session']}", "X-CSRF-Token": answer.json()["csrf_token"]}


class ConsoleRecorder:
    """A websocket client of the console that notes the highest version of each alert it was sent,
    reconnecting (and so getting a fresh snapshot) whenever the link drops."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.headers = headers or {}  # the session cookie: the console's websocket needs a signed-in user
        self.versions: dict[int, int] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="console-recorder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def snapshot(self) -> dict[int, int]:
        with self.lock:
            return dict(self.versions)

    def _run(self) -> None:
        from websockets.sync.client import connect

        while not self._stop.is_set():
            try:
                with connect(self.url, open_timeout=5, additional_headers=self.headers) as socket:
                    while not self._stop.is_set():
                        with suppress(TimeoutError):
                            message = json.loads(socket.recv(timeout=0.5))
                            with self.lock:
                                note_console_message(self.versions, message)
            except Exception:
                self._stop.wait(0.5)


class _Publisher:
    """Sends a steady mix of activity and alarm events from every home; units retry until acked."""

    def __init__(self, units: dict[str, HomeUnit], specs: list[HomeSpec], cfg: ChaosConfig) -> None:
        self.units, self.specs, self.cfg = units, specs, cfg
        self.rng = random.Random(cfg.seed)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-publisher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        gap = 1.0 / self.cfg.events_per_s
        while not self._stop.wait(gap):
            spec = self.rng.choice(self.specs)
            unit = self.units[spec.home_id]
            if self.rng.random() < self.cfg.alarm_share:
                kind = self.rng.choice(["pendant", "pull_cord"])
                unit.send(spec.find(kind).device_id, "pendant_press" if kind == "pendant" else "pull_cord")
            else:
                device = spec.find("pir")
                unit.send(device.device_id, "motion", value=1, room=device.room)


def _console_caught_up(seen: dict[int, int], alerts: list) -> bool:
    return all(seen.get(alert.alert_id, 0) >= alert.version for alert in alerts)


def run_chaos(admin_url: str, cfg: ChaosConfig, progress: Callable[[str], None] = print,
              ledger_path: Path | None = None) -> dict[str, Any]:
    rng = random.Random(cfg.seed)
    specs = home_specs(cfg.homes, seed=cfg.seed, heartbeat_interval_s=3600)
    acked: list[AckedEvent] = []
    acked_lock = threading.Lock()

    def on_ack(home_id: str, record: EventRecord) -> None:
        event_type = json.loads(record.payload)["type"]
        with acked_lock:
            acked.append(AckedEvent(home_id, record.device_id, record.seq, event_type, record.status or "",
                                    record.first_sent_at, record.acked_at or time.time(), record.reason or ""))

    clustered = cfg.broker == "nats-cluster"
    if clustered and (cfg.broker_restarts or cfg.malformed):
        raise ValueError("with --broker nats-cluster the broker faults are node kills (--node-kills); "
                         "run broker restarts and malformed input on Mosquitto")
    if cfg.node_kills and not clustered:
        raise ValueError("--node-kills needs --broker nats-cluster")
    mosquitto: PrivateMosquitto | NatsCluster = NatsCluster() if clustered else PrivateMosquitto()
    protocol = NatsCluster.protocol if clustered else "5"
    broker_url = mosquitto.start()
    processes: list[subprocess.Popen] = []
    try:
        with _database(admin_url, cfg) as (url, private_postgres):
            mode, _ = db.migrate(url)
            recorder_password = accounts.generate_password()
            with db.connect(url) as conn:
                register_homes(conn, specs)
                # A throwaway database: the recorder signs in like any operator would.
                accounts.create_user(conn, "chaos-recorder", "operator", recorder_password)
            env = _env(url, broker_url, f"hub-chaos-{uuid.uuid4().hex[:6]}", protocol)
            port = free_port()
            console = subprocess.Popen([sys.executable, "-m", "hub", "serve"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL,
                                       env={**env, "CONSOLE_PORT": str(port), "LOG_LEVEL": "WARNING"})
            processes.append(console)
            wait_for_port("127.0.0.1", port, 30)
            recorder = ConsoleRecorder(f"ws://127.0.0.1:{port}/ws/alerts",
                                       sign_in_headers(f"http://127.0.0.1:{port}", "chaos-recorder", recorder_password))
            recorder.start()

            units = {s.home_id: HomeUnit(s.home_id, broker_url, protocol=protocol, retry_after_s=2.0,
                                         max_retry_after_s=5.0,
                                         on_ack=lambda r, h=s.home_id: on_ack(h, r)) for s in specs}
            for unit in units.values():
                unit.start()
                unit.wait_connected(10)
            publisher = _Publisher(units, specs, cfg)
            workers = [start_ingest(env, partition=f"{i}/{cfg.workers}") for i in range(cfg.workers)]
            processes.extend(workers)
            publisher.start()
            started = time.monotonic()
            for kill in range(1, cfg.kills + 1):
                time.sleep(rng.uniform(cfg.min_alive_s, cfg.max_alive_s))
                victim = rng.randrange(cfg.workers)
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                if kill % 10 == 0 or kill == cfg.kills:
                    with acked_lock:
                        so_far = len(acked)
                    progress(f"  {kill}/{cfg.kills} kills, {so_far} events acked so far")
                if (broker_gone := mosquitto.exit_report()) is not None:
                    raise RuntimeError(f"the private broker stopped during the run ({broker_gone})")
                workers[victim] = start_ingest(env, partition=f"{victim}/{cfg.workers}")
                processes.append(workers[victim])
            node_faults = kill_nodes(mosquitto, cfg.node_kills, cfg.outage_s, lambda: workers, progress) \
                if isinstance(mosquitto, NatsCluster) else {}
            faults = _other_faults(cfg, rng, url, broker_url, f"http://127.0.0.1:{port}", mosquitto, private_postgres,
                                   lambda: workers, [s.home_id for s in specs], progress)
            nodes_ok = node_faults.pop("ok", True)
            faults.update(node_faults)
            faults["ok"] = faults["ok"] and nodes_ok
            publisher.stop()
            progress("publishing stopped; waiting for every unit's events to be acked…")
            deadline = time.monotonic() + cfg.drain_timeout_s
            while any(u.pending_count() for u in units.values()) and time.monotonic() < deadline:
                time.sleep(0.2)
            pending = sum(u.pending_count() for u in units.values())
            for unit in units.values():
                unit.stop()
            with acked_lock:
                ledger = list(acked)
            if ledger_path is not None:
                write_ledger(ledger_path, ledger)
            with db.connect(url) as conn:
                stored, open_per_key, alerts = load_database(conn, [e.key for e in ledger])
            # The console's last deltas may still be on their way: give them a bounded time to arrive.
            deadline = time.monotonic() + 15.0
            while time.monotonic() < deadline and not _console_caught_up(recorder.snapshot(), alerts):
                time.sleep(0.2)
            recorder.stop()
            report = compare(ledger, stored, open_per_key, alerts, recorder.snapshot())
            faults.update(_dead_letter_check(url, faults))
            summary = report.summary()
            events_ok, faults_ok = summary.pop("ok"), faults.pop("ok")
            # Alarms are never rate limited and every device is registered: a rejected alarm is a fault.
            # Events still unacked after the drain mean the hub stopped taking them: a fault even if none was lost.
            ok = (events_ok and faults_ok and not summary["alarms_rejected"] and not pending
                  and faults["malformed_dead_lettered"] == cfg.malformed)
            return {"bench": "chaos", "storage": mode, "broker": cfg.broker, "kills": cfg.kills, "workers": cfg.workers,
                    "homes": cfg.homes,
                    "seconds": round(time.monotonic() - started, 1), "events_sent": sum(
                        u.stats().sent for u in units.values()), "still_pending": pending, "ok": ok, **summary,
                    **{k: v for k, v in faults.items() if not k.startswith("_")}}
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                with suppress(subprocess.TimeoutExpired):
                    process.wait(10)
        mosquitto.remove()


def _other_faults(cfg: ChaosConfig, rng: random.Random, database_url: str, broker_url: str, console_url: str,
                  mosquitto: PrivateMosquitto, private_postgres: PrivatePostgres | None,
                  current_workers: Callable[[], list[subprocess.Popen[str]]], home_ids: list[str],
                  progress: Callable[[str], None]) -> dict[str, Any]:
    """Malformed messages, then broker restarts, then database restarts, with the homes still publishing."""
    exits: list[str] = []

    def still_alive(what: str) -> Callable[[], None]:
        def check() -> None:
            if any(worker.poll() is not None for worker in current_workers()):
                exits.append(what)  # ingest must ride an outage out, not exit
                raise RuntimeError(f"ingest exited during a {what} outage")
        return check

    with db.connect(database_url) as conn:
        watermark = conn.execute("SELECT coalesce(max(id), 0) FROM dead_letters").fetchone()[0]  # type: ignore[index]
    malformed = None
    if cfg.malformed:
        progress(f"publishing {cfg.malformed} malformed messages…")
        malformed = publish_malformed(broker_url, home_ids, cfg.malformed, rng, under_home=cfg.workers > 1)
    kwargs: dict[str, Any] = {"console_url": console_url, "rng": rng, "outage_s": cfg.outage_s, "progress": progress}
    broker = restart_repeatedly(mosquitto.stop, mosquitto.start, times=cfg.broker_restarts, what="broker",
                                still_alive=still_alive("broker"), **kwargs)
    database = Restarts()
    if private_postgres is not None:
        database = restart_repeatedly(private_postgres.stop, private_postgres.start, times=cfg.postgres_restarts,
                                      what="PostgreSQL", still_alive=still_alive("database"), **kwargs)
    return {"malformed_sent": malformed.sent if malformed else 0,
            "malformed_families": malformed.families if malformed else {},
            "broker_restarts": broker.done, "broker_outages_reported_not_ready": broker.not_ready_seen,
            "postgres_restarts": database.done, "postgres_outages_reported_not_ready": database.not_ready_seen,
            "ingest_exits_in_outages": len(exits),
            "ok": not exits and broker.not_ready_seen == broker.done and database.not_ready_seen == database.done,
            "_malformed": malformed, "_watermark": watermark}


def _dead_letter_check(database_url: str, faults: dict[str, Any]) -> dict[str, Any]:
    """Every malformed message has its dead letter (given a bounded time for the last to be written)."""
    malformed = faults.pop("_malformed")
    watermark = faults.pop("_watermark")
    if malformed is None:
        return {"malformed_dead_lettered": 0}
    deadline, found = time.monotonic() + 30.0, 0
    with db.connect(database_url) as conn:
        while time.monotonic() < deadline:
            found = dead_lettered(conn, malformed, watermark)
            if found >= malformed.sent:
                break
            time.sleep(0.5)
    return {"malformed_dead_lettered": found}

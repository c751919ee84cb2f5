"""`hub bench ingest`: end-to-end ingest throughput and ack latency, appended to bench/results.md.

Publish → committed row → app-level ack, measured with the hub's real ingest processes against a private
Mosquitto (started from the project's config on a free port) and the configured PostgreSQL, in a fresh
database that is dropped afterwards; and, in the same run on the same broker and database, the limits
it is judged against (hub.bench_raw). Figures, not assertions: tests never time anything.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from hub import db
from hub.bench_cpu import CpuMeter
from hub.bench_load import AckReader, BurstPublisher
from hub.bench_raw import bench_payload, copy_rate, per_message_insert_rate, raw_broker_rate
from hub.embedded import PrivateMosquitto
from hub.mqtt import parse_mqtt_url
from hub.seed import register_homes
from simulators.homes import home_specs

REPO = Path(__file__).resolve().parents[1]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


@dataclass
class BenchStack:
    url: str  # the throwaway database
    broker_url: str
    mode: str  # storage path: plain or timescale
    workers: list[subprocess.Popen[str]]  # the `hub ingest` processes, one per partition
    log_dir: Path  # each worker's log, ingest-I.log, while the stack runs

    def log_lines(self, containing: str) -> list[str]:
        """The workers' log lines that contain `containing`, worker by worker."""
        return [line.rstrip() for path in sorted(self.log_dir.glob("ingest-*.log"))
                for line in path.read_text(errors="replace").splitlines() if containing in line]

    def peak_rss_mb(self) -> list[float]:
        """Each ingest worker's peak resident memory so far (VmHWM), in MiB."""
        return [peak_rss_mb(w.pid) for w in self.workers]


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


@contextmanager
def bench_stack(database_url: str, specs: list, extra_env: dict[str, str] | None = None,
                workers: int = 1) -> Iterator[BenchStack]:
    """A fresh database with `specs` registered, a private Mosquitto and `workers` real `hub ingest`
    processes (partitioned when more than one), each subscribed before this yields; all removed afterwards."""
    from hub.chaos import start_ingest

    with throwaway_database(database_url) as (url, mode):
        mosquitto = PrivateMosquitto()
        broker_url = mosquitto.start()
        processes: list[subprocess.Popen[str]] = []
        log_dir = Path(tempfile.mkdtemp(prefix="hub-bench-logs-"))
        try:
            with db.connect(url) as conn:
                register_homes(conn, specs)
            env = {**os.environ, "DATABASE_URL": url, "MQTT_URL": broker_url, "MQTT_PROTOCOL": "5",
                   "MQTT_CLIENT_ID": f"hub-bench-{uuid.uuid4().hex[:6]}", "LOG_LEVEL": "INFO", **(extra_env or {})}
            for index in range(workers):
                processes.append(start_ingest(env, partition=f"{index}/{workers}",
                                              log_to=log_dir / f"ingest-{index}.log"))
            yield BenchStack(url, broker_url, mode, processes, log_dir)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(15)
            mosquitto.remove()
            shutil.rmtree(log_dir, ignore_errors=True)


@contextmanager
def throwaway_database(database_url: str) -> Iterator[tuple[str, str]]:
    """A new, migrated database on the server of `database_url`: (its url, storage mode); dropped afterwards."""
    with db.scratch_database(database_url, "hub_bench") as url:
        mode, _ = db.migrate(url)
        yield url, mode


def stop_process(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if it has not gone within 15 s."""
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _hub_run(stack: BenchStack, plan: list[tuple[str, int]], ts: str, progress: Any) -> dict[str, Any]:
    """Publish every planned event in one burst and wait for the app acks (hub.bench_load: the load
    generator writes pre-encoded packets, so its CPU stays with the hub)."""
    broker = parse_mqtt_url(stack.broker_url)
    reader = AckReader(broker)
    reader.expected = len(plan)
    publisher = BurstPublisher(broker)
    messages = [(f"tec/v1/{home_id}/pir-kitchen/event", home_id, seq, bench_payload(seq, ts).encode())
                for home_id, seq in plan]
    progress(f"hub: publishing {len(plan)} events through {len(stack.workers)} ingest worker(s)…")
    with CpuMeter({"ingest": [w.pid for w in stack.workers], "load generator": [os.getpid()]}) as cpu:
        started = time.perf_counter()
        sending = publisher.send(messages)
        reader.done.wait(max(60.0, len(plan) / 500))
    reader.close()
    acked = [key for key in reader.acked_at if key in publisher.sent_at]
    finished = max((reader.acked_at[key] for key in acked), default=time.perf_counter())
    latencies = [reader.acked_at[key] - publisher.sent_at[key] for key in acked]
    return {"events_per_s": round(len(acked) / (finished - started), 1),
            "publish_per_s": round(len(plan) / sending, 1),
            "p50_ms": round(_percentile(latencies, 50) * 1000, 1),
            "p99_ms": round(_percentile(latencies, 99) * 1000, 1),
            "acked": len(acked), "statuses": reader.statuses, "cpu": cpu.report()}


def _storage_bytes_per_event(conn: psycopg.Connection, mode: str, stored: int) -> dict[str, float]:
    """Table and index bytes per stored event; on TimescaleDB also after compressing every chunk."""
    if not stored:
        return {}
    if mode != "timescale":
        size = conn.execute("SELECT pg_total_relation_size('events')").fetchone()[0]  # type: ignore[index]
        return {"db_bytes_per_event": round(size / stored, 1)}
    before = conn.execute("SELECT hypertable_size('events')").fetchone()[0]  # type: ignore[index]
    conn.execute("SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('events') c")
    conn.commit()
    after = conn.execute("SELECT hypertable_size('events')").fetchone()[0]  # type: ignore[index]
    return {"db_bytes_per_event": round(before / stored, 1), "db_bytes_per_event_compressed": round(after / stored, 1)}


def bench_ingest(database_url: str, homes: int, events: int, progress: Any = print, workers: int = 1,
                 bridge_events: int = 5000) -> dict[str, Any]:
    """The hub's ingest against the raw broker, raw COPY and one-INSERT-per-message limits, same run."""
    specs = home_specs(homes)
    plan = [(specs[i % homes].home_id, i // homes + 1) for i in range(events)]
    ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    with bench_stack(database_url, specs, workers=workers) as stack:
        progress(f"raw broker: mosquitto_pub -q 1 → mosquitto_sub -q 1, {events} messages…")
        raw = raw_broker_rate(stack.broker_url, [bench_payload(seq, ts) for _, seq in plan])
        hub = _hub_run(stack, plan, ts, progress)
        rss = stack.peak_rss_mb()
        with db.connect(stack.url) as conn:
            stored = conn.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
            storage = _storage_bytes_per_event(conn, stack.mode, stored)
        bridge_count = min(events, bridge_events)
        progress(f"one INSERT and commit per message: {bridge_count} events…")
        bridge = per_message_insert_rate(stack.broker_url, stack.url, [s.home_id for s in specs], bridge_count)
        progress(f"raw database: COPY of {events} rows…")
        received = datetime.now(UTC)
        copy = copy_rate(stack.url, [(h, "pir-kitchen", seq, ts, received, "motion", 1.0, "kitchen")
                                     for h, seq in plan])
    return {
        "bench": "ingest", "homes": homes, "events": events, "storage": stack.mode, "workers": workers,
        "events_per_s": hub["events_per_s"], "raw_broker_per_s": raw["raw_broker_per_s"],
        "ratio": round(hub["events_per_s"] / raw["raw_broker_per_s"], 3),
        "per_message_insert_per_s": bridge, "vs_per_message_insert": round(hub["events_per_s"] / bridge, 1),
        "copy_per_s": copy, "publish_per_s": hub["publish_per_s"], "p50_ms": hub["p50_ms"], "p99_ms": hub["p99_ms"],
        "acked": hub["acked"], "stored": stored, "lost": events - stored, "statuses": hub["statuses"],
        "raw_broker_received": raw["raw_broker_received"], "ingest_peak_rss_mb": rss, **storage,
        "cpu_during_hub_run": hub["cpu"], "cpu_during_raw_broker_run": raw["raw_broker_cpu"],
    }


def machine_facts() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mosquitto = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True).stdout.splitlines()[:1]
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "mosquitto": mosquitto[0] if mosquitto else "unknown"}


def append_result(result: dict[str, Any], path: Path = REPO / "bench" / "results.md",
                  title: str = "Benchmark results") -> None:
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text(f"# {title}\n\nEach run appends one entry: the machine, then the JSON line.\n")
    facts = machine_facts()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with path.open("a") as out:
        out.write(f"\n## {result['bench']} · {stamp}\n\n"
                  f"{facts['cores']} cores ({facts['cpu']}), Python {facts['python']}, {facts['mosquitto']}, "
                  f"storage {result.get('storage', '?')}\n\n```json\n{json.dumps(result)}\n```\n")

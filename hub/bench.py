"""`hub bench ingest`: end-to-end ingest throughput and ack latency, appended to bench/results.md.

Publish → committed row → app-level ack, measured with the hub's real ingest process against a private
Mosquitto (started from the project's config on a free port) and the configured PostgreSQL, in a fresh
database that is dropped afterwards. Figures, not assertions: tests never time anything.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from psycopg import sql

from hub import db
from hub.embedded import PrivateMosquitto
from hub.mqtt import connect, make_client, parse_mqtt_url
from hub.seed import register_homes
from simulators.homes import home_specs

REPO = Path(__file__).resolve().parents[1]


class _AckCounter:
    def __init__(self, sent_at: dict[tuple[str, int], float]) -> None:
        self.sent_at = sent_at
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.seen: set[tuple[str, int]] = set()
        self.done = threading.Event()
        self.expected = len(sent_at)

    def on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        ack = json.loads(message.payload)
        home = message.topic.split("/")[2]
        key = (home, ack["seq"])
        self.statuses[ack["status"]] = self.statuses.get(ack["status"], 0) + 1
        if key in self.sent_at and key not in self.seen:
            self.seen.add(key)
            self.latencies.append(time.perf_counter() - self.sent_at[key])
            if len(self.seen) >= self.expected:
                self.done.set()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")


@dataclass
class BenchStack:
    url: str  # the throwaway database
    broker_url: str
    mode: str  # storage path: plain or timescale


@contextmanager
def bench_stack(database_url: str, specs: list, extra_env: dict[str, str] | None = None) -> Iterator[BenchStack]:
    """A fresh database with `specs` registered, a private Mosquitto and a real `hub ingest` process;
    all removed afterwards."""
    name = f"hub_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(database_url, dbname=name)
    mosquitto = PrivateMosquitto()
    broker_url = mosquitto.start()
    ingest = None
    try:
        mode, _ = db.migrate(url)
        with db.connect(url) as conn:
            register_homes(conn, specs)
        env = {**os.environ, "DATABASE_URL": url, "MQTT_URL": broker_url, "MQTT_PROTOCOL": "5",
               "MQTT_CLIENT_ID": f"hub-bench-{uuid.uuid4().hex[:6]}", "LOG_LEVEL": "WARNING", **(extra_env or {})}
        ingest = subprocess.Popen([sys.executable, "-m", "hub", "ingest"], env=env)
        time.sleep(2.0)  # let ingest subscribe before the first publish
        yield BenchStack(url, broker_url, mode)
    finally:
        if ingest is not None:
            ingest.terminate()
            ingest.wait(15)
        mosquitto.remove()
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def bench_ingest(database_url: str, homes: int, events: int, progress: Any = print) -> dict[str, Any]:
    specs = home_specs(homes)
    with bench_stack(database_url, specs) as stack:
        url, mode = stack.url, stack.mode
        broker = parse_mqtt_url(stack.broker_url)
        plan = [(specs[i % homes].home_id, i // homes + 1) for i in range(events)]
        sent_at: dict[tuple[str, int], float] = {}
        counter = _AckCounter({key: 0.0 for key in plan})
        counter.sent_at = sent_at
        listener = make_client(f"bench-acks-{uuid.uuid4().hex[:6]}", broker, protocol="5")
        listener.on_message = counter.on_message
        listener.on_connect = lambda c, *_: c.subscribe("tec/v1/+/+/ack", qos=1)
        connect(listener, broker, protocol="5", persistent=False)
        listener.loop_start()
        publisher = make_client(f"bench-pub-{uuid.uuid4().hex[:6]}", broker, protocol="5")
        publisher.max_inflight_messages_set(1000)
        connect(publisher, broker, protocol="5", persistent=False)
        publisher.loop_start()
        time.sleep(1.0)
        progress(f"publishing {events} events from {homes} homes…")
        started = time.perf_counter()
        ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        for home_id, seq in plan:
            payload = f'{{"v":1,"seq":{seq},"ts":"{ts}","type":"motion","value":1,"room":"kitchen"}}'
            sent_at[(home_id, seq)] = time.perf_counter()
            publisher.publish(f"tec/v1/{home_id}/pir-kitchen/event", payload, qos=1)
        published = time.perf_counter()
        counter.done.wait(max(60.0, events / 500))
        finished = time.perf_counter()
        with db.connect(url) as conn:
            stored = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        publisher.loop_stop()
        listener.loop_stop()
        acked = len(counter.seen)
        return {
            "bench": "ingest", "homes": homes, "events": events, "storage": mode,
            "events_per_s": round(acked / (finished - started), 1),
            "publish_per_s": round(events / (published - started), 1),
            "p50_ms": round(_percentile(counter.latencies, 50) * 1000, 1),
            "p99_ms": round(_percentile(counter.latencies, 99) * 1000, 1),
            "acked": acked, "stored": stored, "lost": events - stored, "statuses": counter.statuses,
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

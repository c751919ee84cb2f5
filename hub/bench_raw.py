"""The limits `hub bench ingest` is measured against, in the same run and on the same broker and database.

- Raw broker: Mosquitto's own C clients, `mosquitto_pub -q 1 -l` reading the same payloads from a file
  into `mosquitto_sub -q 1`. No database, no Python: what the broker can carry at QoS 1 on this machine.
- Raw database: COPY of the same rows into a table shaped like `events` (same keys and indexes).
- The common bridge design: one paho client that INSERTs and commits each message in `on_message`,
  then acks it. What the hub's batching is to be compared with.

Each returns messages (or rows) per second; none of them asserts anything.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg

from hub.bench_cpu import CpuMeter
from hub.mqtt import connect, make_client, parse_mqtt_url

RAW_TOPIC = "bench/raw"
# mosquitto_pub -l (2.0) numbers its messages with 16-bit ids and, given more than 65,535 lines at once, stops
# and disconnects early: a long run is sent as several runs of this many lines, one after another.
RAW_PUB_LINES = 50_000
BRIDGE_ROOT = "bridge/v1"  # not under tec/v1/, so the hub's ingest never hears the bridge's traffic


def bench_payload(seq: int, ts: str) -> str:
    return f'{{"v":1,"seq":{seq},"ts":"{ts}","type":"motion","value":1,"room":"kitchen"}}'


def raw_broker_rate(broker_url: str, payloads: Sequence[str], timeout_s: float = 120.0) -> dict[str, float | int]:
    """QoS 1 messages a second from mosquitto_pub to mosquitto_sub through the broker; `received` says
    whether all arrived in time."""
    for tool in ("mosquitto_pub", "mosquitto_sub"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is needed for the raw broker figure: apt-get install mosquitto-clients")
    broker = parse_mqtt_url(broker_url)
    common = ["-h", broker.host, "-p", str(broker.port), "-q", "1"]
    chunks = []
    for first in range(0, len(payloads), RAW_PUB_LINES):
        with tempfile.NamedTemporaryFile("w", suffix=".lines", delete=False) as lines:
            lines.write("\n".join(payloads[first:first + RAW_PUB_LINES]) + "\n")
            chunks.append(Path(lines.name))
    received = [0]
    try:
        sub = subprocess.Popen(["mosquitto_sub", *common, "-t", RAW_TOPIC, "-C", str(len(payloads)),
                                "-i", f"raw-sub-{uuid.uuid4().hex[:6]}"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        counter = threading.Thread(target=_count_lines, args=(sub, received), daemon=True)
        counter.start()
        time.sleep(0.5)  # subscribed by then: a QoS 1 message published before would not be delivered
        with CpuMeter() as cpu:
            started = time.perf_counter()
            for chunk in chunks:
                with chunk.open("rb") as source:
                    subprocess.run(["mosquitto_pub", *common, "-t", RAW_TOPIC, "-l", "-M", "1000",
                                    "-i", f"raw-pub-{uuid.uuid4().hex[:6]}"], stdin=source, check=True,
                                   timeout=timeout_s)
            counter.join(timeout_s)  # ends when -C is reached, or when the subscriber is killed below
            elapsed = time.perf_counter() - started
    finally:
        for chunk in chunks:
            chunk.unlink(missing_ok=True)
        if sub.poll() is None:
            sub.kill()
    return {"raw_broker_per_s": round(received[0] / elapsed, 1), "raw_broker_received": received[0],
            "raw_broker_cpu": cpu.report()}


def _count_lines(sub: subprocess.Popen[bytes], received: list[int]) -> None:
    assert sub.stdout is not None
    for _ in sub.stdout:  # one line per message
        received[0] += 1


def copy_rate(database_url: str, rows: Sequence[tuple]) -> float:
    """Rows a second COPYed (and committed) into a scratch copy of `events` with its keys and indexes."""
    with psycopg.connect(database_url) as conn:
        conn.execute("CREATE TEMP TABLE copy_bench (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
                "COPY copy_bench (home_id, device_id, seq, ts, received_at, type, value, room) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return round(len(rows) / (time.perf_counter() - started), 1)


class _Bridge:
    """The one-INSERT-per-message design: parse, insert, commit and ack inside `on_message`."""

    def __init__(self, database_url: str, expected: int) -> None:
        self.conn = psycopg.connect(database_url)
        self.conn.execute(f"CREATE TABLE {self.table} (LIKE events INCLUDING DEFAULTS INCLUDING INDEXES)")
        self.conn.commit()
        self.expected = expected
        self.stored = 0
        self.done = threading.Event()

    table = "bridge_bench_events"

    def on_message(self, client: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        _, _, home_id, device_id, _ = message.topic.split("/")
        event = json.loads(message.payload)
        self.conn.execute(
            f"INSERT INTO {self.table} (home_id, device_id, seq, ts, type, value, room) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (home_id, device_id, event["seq"], event["ts"], event["type"], event.get("value"), event.get("room")))
        self.conn.commit()
        client.publish(f"{BRIDGE_ROOT}/{home_id}/{device_id}/ack", json.dumps({"seq": event["seq"]}), qos=1)
        self.stored += 1
        if self.stored >= self.expected:
            self.done.set()

    def close(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {self.table}")
        self.conn.commit()
        self.conn.close()


def per_message_insert_rate(broker_url: str, database_url: str, home_ids: Sequence[str], count: int,
                            timeout_s: float = 300.0) -> float:
    """Events a second through the one-INSERT-and-commit-per-message bridge, publish to commit."""
    broker = parse_mqtt_url(broker_url)
    bridge = _Bridge(database_url, count)
    consumer = make_client(f"bridge-{uuid.uuid4().hex[:6]}", broker, protocol="5")
    consumer.on_message = bridge.on_message
    consumer.on_connect = lambda c, *_: c.subscribe(f"{BRIDGE_ROOT}/+/+/event", qos=1)
    publisher = make_client(f"bridge-pub-{uuid.uuid4().hex[:6]}", broker, protocol="5")
    publisher.max_inflight_messages_set(1000)
    try:
        connect(consumer, broker, protocol="5", persistent=False)
        consumer.loop_start()
        connect(publisher, broker, protocol="5", persistent=False)
        publisher.loop_start()
        time.sleep(1.0)
        ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        started = time.perf_counter()
        for index in range(count):
            home_id = home_ids[index % len(home_ids)]
            publisher.publish(f"{BRIDGE_ROOT}/{home_id}/pir-kitchen/event",
                              bench_payload(index // len(home_ids) + 1, ts), qos=1)
        bridge.done.wait(timeout_s)
        return round(bridge.stored / (time.perf_counter() - started), 1)
    finally:
        consumer.loop_stop()
        publisher.loop_stop()
        bridge.close()

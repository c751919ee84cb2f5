"""`hub bench flood`: does one flooding home delay another home's pendant press?

One home publishes a flood of activity events as fast as it can while a second home presses its
pendant every `press_every_s`. Measured: publish → app ack `stored` of each press (the ack is sent after
the commit that raised the alert), first with no flood and then during the flood, plus what became of
every flood event (stored, refused over the rate limit and kept as a dead letter, lost). The flood is
sent by `mosquitto_pub` and its acks counted by `mosquitto_sub`, so only the presses share this process.
Figures only.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from hub import db
from hub.bench import _percentile, bench_stack
from hub.mqtt import BrokerAddress, connect, make_client, parse_mqtt_url
from simulators.homes import home_specs


class _Acks:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.press_acked: dict[int, float] = {}

    def on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        ack = json.loads(message.payload)
        with self.lock:
            self.press_acked.setdefault(ack["seq"], time.perf_counter())


def _client(broker: BrokerAddress, role: str) -> mqtt.Client:
    client = make_client(f"bench-{role}-{uuid.uuid4().hex[:6]}", broker, protocol="5")
    client.max_inflight_messages_set(1000)
    connect(client, broker, protocol="5", persistent=False)
    client.loop_start()
    return client


class _Flood:
    """`mosquitto_pub -q 1 -l` sending the flood from a file, `mosquitto_sub` counting its acks."""

    def __init__(self, broker: BrokerAddress, home_id: str, topic: str, count: int) -> None:
        ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        self._lines = tempfile.NamedTemporaryFile("w", suffix=".lines", delete=False)  # noqa: SIM115
        self._lines.write("".join(f'{{"v":1,"seq":{seq},"ts":"{ts}","type":"motion","value":1}}\n'
                                  for seq in range(1, count + 1)))
        self._lines.close()
        self._common = ["-h", broker.host, "-p", str(broker.port), "-q", "1"]
        self._topic, self._count = topic, count
        self._acks = subprocess.Popen(
            ["mosquitto_sub", *self._common, "-t", f"tec/v1/{home_id}/+/ack", "-C", str(count),
             "-i", f"bench-flood-acks-{uuid.uuid4().hex[:6]}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._publisher: subprocess.Popen[bytes] | None = None
        time.sleep(0.5)  # subscribed before the first ack can come

    def start(self) -> None:
        with open(self._lines.name, "rb") as source:
            self._publisher = subprocess.Popen(
                ["mosquitto_pub", *self._common, "-t", self._topic, "-l", "-M", "1000",
                 "-i", f"bench-flood-{uuid.uuid4().hex[:6]}"], stdin=source)

    def wait_acks(self, timeout_s: float) -> dict[str, int]:
        statuses: dict[str, int] = {}
        try:
            assert self._acks.stdout is not None and self._publisher is not None
            self._publisher.wait(timeout_s)
            timer = threading.Timer(timeout_s, self._acks.kill)  # ends the read if acks stop short
            timer.start()
            for line in self._acks.stdout:
                status = json.loads(line)["status"]
                statuses[status] = statuses.get(status, 0) + 1
            timer.cancel()
        finally:
            for process in (self._publisher, self._acks):
                if process is not None and process.poll() is None:
                    process.kill()
            Path(self._lines.name).unlink(missing_ok=True)
        return statuses


def _ack_listener(broker: BrokerAddress, home_id: str, acks: _Acks) -> mqtt.Client:
    listener = make_client(f"bench-acks-{uuid.uuid4().hex[:6]}", broker, protocol="5")
    listener.on_message = acks.on_message
    listener.on_connect = lambda c, *_: c.subscribe(f"tec/v1/{home_id}/+/ack", qos=1)
    connect(listener, broker, protocol="5", persistent=False)
    listener.loop_start()
    return listener


def _presses(client: mqtt.Client, topic: str, first_seq: int, count: int, every_s: float,
             sent: dict[int, float], sent_wall: dict[int, float]) -> None:
    ts = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for seq in range(first_seq, first_seq + count):
        sent[seq] = time.perf_counter()
        sent_wall[seq] = time.time()
        client.publish(topic, f'{{"v":1,"seq":{seq},"ts":"{ts}","type":"pendant_press"}}', qos=1)
        time.sleep(every_s)


def _summary(values: list[float]) -> dict[str, Any]:
    return {"p50_ms": round(_percentile(values, 50) * 1000, 1), "p99_ms": round(_percentile(values, 99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1) if values else None}


def _latencies(sent: dict[int, float], acked: dict[int, float], sent_wall: dict[int, float],
               taken: dict[int, float], seqs: range) -> dict[str, Any]:
    """`to_writer`: publish → the hub's writer took the press (its alert commits in that transaction);
    `to_ack`: publish → the unit got its app-level ack (which queues behind the acks already due)."""
    to_ack = [acked[s] - sent[s] for s in seqs if s in acked and s in sent]
    to_writer = [taken[s] - sent_wall[s] for s in seqs if s in taken and s in sent_wall]
    return {"presses": len(seqs), "acked": len(to_ack), "to_writer": _summary(to_writer), "to_ack": _summary(to_ack)}


def bench_flood(database_url: str, flood_events: int = 10_000, presses: int = 40, press_every_s: float = 0.05,
                progress: Any = print) -> dict[str, Any]:
    specs = home_specs(2)
    flooding, pressing = specs[0], specs[1]
    motion = flooding.find("pir").device_id
    pendant_topic = f"tec/v1/{pressing.home_id}/{pressing.find('pendant').device_id}/event"
    with bench_stack(database_url, specs) as stack:
        broker = parse_mqtt_url(stack.broker_url)
        acks = _Acks()
        presser_acks = _ack_listener(broker, pressing.home_id, acks)
        presser = _client(broker, "press")
        time.sleep(1.0)
        sent: dict[int, float] = {}
        sent_wall: dict[int, float] = {}

        progress(f"quiet: {presses} pendant presses, no flood…")
        _presses(presser, pendant_topic, 1, presses, press_every_s, sent, sent_wall)
        time.sleep(1.0)

        progress(f"flood: {flood_events} events from {flooding.home_id} while {pressing.home_id} presses…")
        # The flood comes from Mosquitto's own C clients in processes of their own, so this process's
        # interpreter times only the presses and their acks, as a real second home would.
        flood = _Flood(broker, flooding.home_id, f"tec/v1/{flooding.home_id}/{motion}/event", flood_events)
        started = time.perf_counter()
        flood.start()
        time.sleep(0.05)  # the presses start once the flood is under way
        _presses(presser, pendant_topic, presses + 1, presses, press_every_s, sent, sent_wall)
        flood_statuses = flood.wait_acks(max(60.0, flood_events / 200))
        drained = time.perf_counter() - started
        with db.connect(stack.url) as conn:
            stored = conn.execute("SELECT count(*) FROM events WHERE home_id = %s AND device_id = %s",
                                  (flooding.home_id, motion)).fetchone()[0]
            kept = conn.execute("SELECT count(*) FROM dead_letters WHERE home_id = %s", (flooding.home_id,)
                                ).fetchone()[0]
            flagged = conn.execute("SELECT count(*) FROM alerts WHERE kind = 'home_flooding'").fetchone()[0]
            taken = {seq: at.timestamp() for seq, at in conn.execute(
                "SELECT seq, received_at FROM events WHERE home_id = %s AND type = 'pendant_press'",
                (pressing.home_id,))}
        for client in (presser, presser_acks):
            client.loop_stop()
        return {
            "bench": "flood", "storage": stack.mode, "flood_events": flood_events,
            "quiet": _latencies(sent, acks.press_acked, sent_wall, taken, range(1, presses + 1)),
            "during_flood": _latencies(sent, acks.press_acked, sent_wall, taken, range(presses + 1, 2 * presses + 1)),
            "flood_drained_s": round(drained, 1), "flood_stored": stored, "flood_kept_as_dead_letters": kept,
            "flood_lost": flood_events - stored - kept, "flood_acks": flood_statuses,
            "home_flagged": bool(flagged),
        }

"""The steady load of N homes for `hub bench latency`: every device of every home sends a heartbeat once a
period (60 s), residents go about the day (activity events while the home's clock says 07:00-22:00), and
pendant presses can be sent on demand, their send time recorded.

Homes share connections (`connections`, default up to 4,000): the machine's open-file limit (20,000 here)
is shared by the broker and this generator, and a real deployment's broker serves each home on its own
connection from its own machine. Each connection subscribes to its homes' acks, as units do, so the broker
carries the acks too. Packets are built by hand and written to sockets (ingest.mqtt_wire), as in
hub.bench_load, so that the two cores go to the hub and not to the load.
"""

from __future__ import annotations

import json
import logging
import random
import selectors
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hub.mqtt import BrokerAddress
from ingest import mqtt_wire as wire
from simulators.homes import DeviceSpec, HomeSpec

log = logging.getLogger(__name__)
LONDON = ZoneInfo("Europe/London")
DAY_HOURS = range(7, 22)
_ACTIVITY = {  # device kind → (event type, values it takes)
    "pir": ("motion", (1,)), "door": ("door", (1, 0)), "bed": ("bed", (1, 0)), "chair": ("chair", (1, 0)),
    "fridge": ("fridge", (1, 0)), "toilet": ("toilet", (1,)), "power": ("power", (0, 1850)),
    "temperature": ("temperature", (19.5, 20.0, 20.5)),
}


@dataclass
class LoadStats:
    sent: int = 0
    presses_sent: int = 0
    acks: Counter[str] = field(default_factory=Counter)
    started: float = 0.0


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()  # the sender and a press may write at once
        self.next_id = 0
        self.buffer = b""

    def packet_id(self) -> int:
        self.next_id = self.next_id % 65535 + 1
        return self.next_id


class HomeLoad:
    def __init__(self, broker: BrokerAddress, homes: list[HomeSpec], *, connections: int = 4000,
                 period_s: float = 60.0, activity_per_hour: float = 12.0, tick_s: float = 0.02, seed: int = 1) -> None:
        self.broker = broker
        self.homes = homes
        self.devices: tuple[DeviceSpec, ...] = homes[0].devices
        self.connection_count = max(1, min(connections, len(homes)))
        self.period_s = period_s
        self.activity_per_hour = activity_per_hour
        self.tick_s = tick_s
        self.rng = random.Random(seed)
        self.stats = LoadStats()
        self.press_sent: dict[str, float] = {}  # home_id → wall time the press left
        self.press_seq: dict[str, int] = {}
        self.press_acked: dict[str, float] = {}
        self._seq = [0] * (len(homes) * len(self.devices))
        self._seq_lock = threading.Lock()
        self._connections: list[_Connection] = []
        self._stop = threading.Event()
        self._sending = threading.Event()
        self._sending.set()
        self._threads: list[threading.Thread] = []
        self._pendant = next(i for i, d in enumerate(self.devices) if d.kind == "pendant")
        self._active = [i for i, d in enumerate(self.devices) if d.kind in _ACTIVITY]

    # -- setup ---------------------------------------------------------------------------------------

    def connect(self, progress: object = None) -> None:
        """Open the connections, each subscribed to the acks of its homes."""
        for index in range(self.connection_count):
            sock = socket.create_connection((self.broker.host, self.broker.port), timeout=30)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(wire.connect_packet(f"bench-homes-{index}", v5=False, clean_start=True, keepalive=0))
            self._connections.append(_Connection(sock))
        for index, connection in enumerate(self._connections):
            filters = [f"tec/v1/{h.home_id}/+/ack" for h in self.homes[index::self.connection_count]]
            for start in range(0, len(filters), 500):
                connection.sock.sendall(wire.subscribe_packet(start // 500 + 1, filters[start:start + 500], v5=False,
                                                              qos=0))
            if callable(progress) and (index + 1) % 1000 == 0:
                progress(f"homes: {index + 1}/{self.connection_count} connections open")
        for connection in self._connections:
            connection.sock.settimeout(None)

    def start(self) -> None:
        self.stats.started = time.monotonic()
        for target, name in ((self._send_forever, "bench-homes-send"), (self._read_forever, "bench-homes-read")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop_sending(self) -> None:
        self._sending.clear()

    def drain(self, timeout_s: float = 30.0) -> bool:
        """After `stop_sending`: wait until every event sent has been acked; False if some never were."""
        deadline = time.monotonic() + timeout_s
        while self.acked < self.sent and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.acked >= self.sent

    @property
    def sent(self) -> int:
        return self.stats.sent + self.stats.presses_sent

    @property
    def acked(self) -> int:
        return sum(self.stats.acks.values())

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        for connection in self._connections:
            connection.sock.close()

    # -- what homes send -----------------------------------------------------------------------------

    def _packet(self, home_index: int, device_index: int, connection: _Connection, body: str, ts: str,
                seq: int | None = None) -> bytes:
        seq = seq or self._next_seq(home_index, device_index)
        home, device = self.homes[home_index].home_id, self.devices[device_index].device_id
        payload = f'{{"v":1,"seq":{seq},"ts":"{ts}",{body}}}'.encode()
        return wire.publish_packet(f"tec/v1/{home}/{device}/event", payload, v5=False,
                                   packet_id=connection.packet_id())

    def _next_seq(self, home_index: int, device_index: int) -> int:
        slot = home_index * len(self.devices) + device_index
        with self._seq_lock:
            self._seq[slot] += 1
            return self._seq[slot]

    def press(self, home_index: int) -> None:
        """A pendant press from this home, sent now on the home's connection; its send time is recorded."""
        connection = self._connections[home_index % self.connection_count]
        ts = _now_iso()
        home_id = self.homes[home_index].home_id
        seq = self._next_seq(home_index, self._pendant)
        self.press_seq[home_id] = seq
        with connection.lock:
            packet = self._packet(home_index, self._pendant, connection, '"type":"pendant_press"', ts, seq)
            self.press_sent[home_id] = time.time()
            connection.sock.sendall(packet)
        self.stats.presses_sent += 1

    def _heartbeat(self, home_index: int, device_index: int, connection: _Connection, ts: str) -> bytes:
        battery = 60 + (home_index * 7 + device_index) % 40
        return self._packet(home_index, device_index, connection, f'"type":"heartbeat","battery":{battery}', ts)

    def _activity(self, home_index: int, connection: _Connection, ts: str) -> bytes:
        device_index = self.rng.choice(self._active)
        device = self.devices[device_index]
        kind, values = _ACTIVITY[device.kind]
        room = f',"room":"{device.room}"' if device.room else ""
        body = f'"type":"{kind}","value":{self.rng.choice(values)}{room}'
        return self._packet(home_index, device_index, connection, body, ts)

    def _schedule(self) -> list[list[int]]:
        """Per tick of one period, the (home, device) slots whose heartbeat falls in it (random phases)."""
        ticks = max(1, round(self.period_s / self.tick_s))
        buckets: list[list[int]] = [[] for _ in range(ticks)]
        for slot in range(len(self._seq)):
            buckets[self.rng.randrange(ticks)].append(slot)
        return buckets

    def _send_forever(self) -> None:
        buckets = self._schedule()
        per_device = len(self.devices)
        activity_per_tick = len(self.homes) * self.activity_per_hour / 3600 * self.tick_s
        next_tick, tick, owed = time.monotonic(), 0, 0.0
        while not self._stop.is_set() and self._sending.is_set():
            ts = _now_iso()
            out: dict[int, list[bytes]] = {}
            for slot in buckets[tick % len(buckets)]:
                home_index, device_index = divmod(slot, per_device)
                c = home_index % self.connection_count
                out.setdefault(c, []).append(self._heartbeat(home_index, device_index, self._connections[c], ts))
            if datetime.now(LONDON).hour in DAY_HOURS:
                owed += activity_per_tick
                while owed >= 1:
                    owed -= 1
                    home_index = self.rng.randrange(len(self.homes))
                    c = home_index % self.connection_count
                    out.setdefault(c, []).append(self._activity(home_index, self._connections[c], ts))
            for c, packets in out.items():
                connection = self._connections[c]
                with connection.lock:
                    connection.sock.sendall(b"".join(packets))
                self.stats.sent += len(packets)
            tick += 1
            next_tick += self.tick_s
            delay = next_tick - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            elif delay < -1.0:
                log.warning("the home load is %.1fs behind its schedule", -delay)
                next_tick = time.monotonic()

    # -- what comes back -----------------------------------------------------------------------------

    def _read_forever(self) -> None:
        selector = selectors.DefaultSelector()
        for connection in self._connections:
            selector.register(connection.sock, selectors.EVENT_READ, connection)
        while not self._stop.is_set():
            for key, _mask in selector.select(timeout=0.5):
                connection: _Connection = key.data
                try:
                    data = connection.sock.recv(1 << 16)
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(connection.sock)
                    log.error("the broker closed a home-load connection")
                    continue
                packets, connection.buffer = wire.split_packets(connection.buffer + data)
                now = time.time()
                for packet in packets:
                    if packet.kind == wire.PUBLISH:
                        self._ack(wire.decode_publish(packet, v5=False), now)
        selector.close()

    def _ack(self, ack: wire.Publish, now: float) -> None:
        if "/pendant" not in ack.topic:  # most acks: the status is all that is counted, read without JSON
            status = ack.payload.partition(b'"status":"')[2].partition(b'"')[0]
            self.stats.acks[status.decode(errors="replace") or "?"] += 1
            return
        body = json.loads(ack.payload)
        self.stats.acks[body.get("status", "?")] += 1
        home = ack.topic.split("/")[2]
        if self.press_seq.get(home) == body.get("seq") and home not in self.press_acked:
            self.press_acked[home] = now

    def rate_per_s(self) -> float:
        elapsed = time.monotonic() - self.stats.started
        return self.stats.sent / elapsed if elapsed > 0 else 0.0


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

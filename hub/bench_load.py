"""Load for the ingest benchmark that costs the machine almost nothing, so the hub is measured, not the
load generator.

The homes of a real deployment publish from their own machines. Here they share two cores with the hub,
the broker and PostgreSQL, and a paho publisher plus a paho ack listener cost about as much CPU as one
ingest worker. So the benchmark writes pre-encoded MQTT 3.1.1 packets straight to sockets (QoS 1
PUBLISH out, PUBACKs counted by byte) and reads the hub's acks with a QoS 0 subscription parsed by hand:
per message a few microseconds instead of paho's tens.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Sequence

from hub.mqtt import BrokerAddress

_CONNECT, _CONNACK, _PUBLISH, _PUBACK, _SUBSCRIBE, _SUBACK = 0x10, 0x20, 0x30, 0x40, 0x82, 0x90
MAX_IN_FLIGHT = 60_000  # packet ids are 16 bits: one connection never has more outstanding than this


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _utf8(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("!H", len(raw)) + raw


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + _remaining_length(len(body)) + body


def publish_packet(topic: str, payload: bytes, packet_id: int) -> bytes:
    return _packet(_PUBLISH | 0x02, _utf8(topic) + struct.pack("!H", packet_id) + payload)


def _open(broker: BrokerAddress, client_id: str) -> socket.socket:
    sock = socket.create_connection((broker.host, broker.port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # protocol MQTT 3.1.1, clean session, keep-alive 120 s (the run is far shorter)
    body = _utf8("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 120) + _utf8(client_id)
    sock.sendall(_packet(_CONNECT, body))
    reply = _read_exactly(sock, 4)
    if reply[0] != _CONNACK or reply[3] != 0:
        raise RuntimeError(f"the broker refused the benchmark's connection: {reply!r}")
    return sock


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the benchmark's connection")
        data += chunk
    return data


class AckReader:
    """Subscribes (QoS 0) to acks and records when each (home_id, seq) was first acked, and its status."""

    def __init__(self, broker: BrokerAddress, topic_filter: str = "tec/v1/+/+/ack") -> None:
        self._sock = _open(broker, f"bench-acks-{uuid.uuid4().hex[:8]}")
        self._sock.sendall(_packet(_SUBSCRIBE, struct.pack("!H", 1) + _utf8(topic_filter) + b"\x00"))
        self.acked_at: dict[tuple[str, int], float] = {}
        self.statuses: dict[str, int] = {}
        self.expected = 0
        self.done = threading.Event()
        self._subscribed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-acks", daemon=True)
        self._thread.start()
        if not self._subscribed.wait(10):
            raise RuntimeError("the broker did not confirm the benchmark's ack subscription")

    def _run(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self._sock.recv(1 << 20)
                if not chunk:
                    return
                now = time.perf_counter()
                buffer += chunk
                buffer = self._parse(buffer, now)
        except OSError:
            return

    def _parse(self, buffer: bytes, now: float) -> bytes:
        at = 0
        while True:
            if len(buffer) - at < 2:
                return buffer[at:]
            length, multiplier, i = 0, 1, at + 1
            while True:
                if i >= len(buffer):
                    return buffer[at:]
                byte = buffer[i]
                length += (byte & 0x7F) * multiplier
                multiplier *= 128
                i += 1
                if not byte & 0x80:
                    break
            if len(buffer) - i < length:
                return buffer[at:]
            kind, body = buffer[at] & 0xF0, buffer[i:i + length]
            at = i + length
            if kind == _SUBACK:
                self._subscribed.set()
            elif kind == _PUBLISH:
                topic_length = struct.unpack_from("!H", body)[0]
                topic = body[2:2 + topic_length].decode()
                ack = json.loads(body[2 + topic_length:])
                key = (topic.split("/")[2], ack["seq"])
                self.statuses[ack["status"]] = self.statuses.get(ack["status"], 0) + 1
                if key not in self.acked_at:
                    self.acked_at[key] = now
                    if len(self.acked_at) >= self.expected:
                        self.done.set()

    def close(self) -> None:
        self._sock.close()


class BurstPublisher:
    """Sends every planned event as QoS 1 PUBLISH packets, in chunks, and records when each chunk left."""

    def __init__(self, broker: BrokerAddress) -> None:
        self._broker = broker
        self.sent_at: dict[tuple[str, int], float] = {}
        self.pubacks = 0

    def send(self, messages: Sequence[tuple[str, str, int, bytes]], chunk: int = 200) -> float:
        """`messages`: (topic, home_id, seq, payload). Returns the seconds the sending took (not counting
        the wait for the broker's PUBACKs)."""
        sending = 0.0
        for offset in range(0, len(messages), MAX_IN_FLIGHT):
            part = messages[offset:offset + MAX_IN_FLIGHT]
            sock = _open(self._broker, f"bench-pub-{uuid.uuid4().hex[:8]}")
            reader = threading.Thread(target=self._count_pubacks, args=(sock, len(part)), daemon=True)
            reader.start()
            encoded = [publish_packet(topic, payload, n + 1) for n, (topic, _h, _s, payload) in enumerate(part)]
            started = time.perf_counter()
            for first in range(0, len(part), chunk):
                now = time.perf_counter()
                for _topic, home, seq, _payload in part[first:first + chunk]:
                    self.sent_at[(home, seq)] = now
                sock.sendall(b"".join(encoded[first:first + chunk]))
            sending += time.perf_counter() - started
            reader.join(120)
            sock.close()
        return sending

    def _count_pubacks(self, sock: socket.socket, expected: int) -> None:
        received = 0
        try:
            while received < expected * 4:
                chunk = sock.recv(1 << 16)
                if not chunk:
                    break
                received += len(chunk)
        except OSError:
            pass
        self.pubacks += received // 4

"""The persistent MQTT session that carries ingest's bulk traffic: one socket, one I/O thread.

Why not paho here (the alarm session and everything else still use it): under load paho read each packet
a few bytes per system call, built several objects per message and walked its in-flight list on every
acknowledgement, and that was over half of an ingest worker's CPU. This link reads whatever the socket
holds, cuts it into packets in one pass (`ingest.mqtt_wire`) and hands the whole chunk of PUBLISHes to the
consumer at once; the writer lanes hand back each committed batch's app acks and PUBACKs as one write.

What it keeps from paho: a persistent session (MQTT 5 clean start off with a session expiry, or 3.1.1
clean session off), TLS with certificate and host-name checks, keep-alive pings, reconnecting with back-off
and, for a clustered broker, moving on to the next node. QoS 1 acks to the homes still in flight when
the connection drops are sent again on the next one; PUBACKs for messages of an earlier connection are
never sent (their packet ids mean nothing now, and the broker delivers those messages again).

All socket I/O happens on the I/O thread, TLS included (an SSL socket must not be read and written from
two threads at once); other threads queue bytes and wake it through a pipe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

from hub.mqtt import BrokerAddress
from ingest import mqtt_wire as wire

log = logging.getLogger(__name__)
READ_SIZE = 1 << 18
CONNECT_TIMEOUT_S = 10.0


class LinkClosed(ConnectionError):
    """The broker closed the connection, refused it, or stopped answering pings."""


class MqttLink:
    def __init__(self, client_id: str, broker: BrokerAddress, *, v5: bool, persistent: bool = True,
                 session_expiry_s: int = 0, keepalive: int = 30, username: str | None = None,
                 password: str | None = None,
                 on_connect: Callable[[bool], None] = lambda _present: None,
                 on_publishes: Callable[[list[wire.Publish], int], None] = lambda _p, _g: None,
                 on_suback: Callable[[int, bytes], None] = lambda _id, _codes: None,
                 on_disconnect: Callable[[str], None] = lambda _reason: None,
                 min_delay_s: float = 1.0, max_delay_s: float = 10.0) -> None:
        self.client_id = client_id
        self.broker = broker
        self.v5 = v5
        self.persistent = persistent
        self.session_expiry_s = session_expiry_s
        self.keepalive = keepalive
        self.username = username
        self.password = password
        self.on_connect = on_connect
        self.on_publishes = on_publishes
        self.on_suback = on_suback
        self.on_disconnect = on_disconnect
        self.min_delay_s, self.max_delay_s = min_delay_s, max_delay_s
        self.generation = 0  # counts connections; PUBACKs only go out on the one that delivered the message
        self.connected = False
        self._node = 0
        self._lock = threading.Lock()
        self._out: list[bytes] = []  # queued for the current connection
        self._in_flight: dict[int, bytes] = {}  # our QoS 1 publishes the broker has not PUBACKed yet
        self._waiting: deque[bytes] = deque()  # publishes held back by the broker's receive maximum (no id yet)
        self._receive_maximum = 65535
        self._next_id = 0
        self._reserved: set[int] = set()  # SUBSCRIBE / UNSUBSCRIBE ids awaiting their ack
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._stop = threading.Event()
        self._reading = threading.Event()
        self._reading.set()
        self._thread: threading.Thread | None = None

    # -- any thread --------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"mqtt-{self.client_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued, then DISCONNECT (the broker keeps the session) and close."""
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
        with contextlib.suppress(OSError):
            os.close(self._wake_r)
            os.close(self._wake_w)

    def subscribe(self, filters: Sequence[str]) -> int:
        with self._lock:
            packet_id = self._new_id()
            self._reserved.add(packet_id)
            self._queue(wire.subscribe_packet(packet_id, list(filters), v5=self.v5))
        return packet_id

    def unsubscribe(self, filters: Sequence[str]) -> int:
        with self._lock:
            packet_id = self._new_id()
            self._reserved.add(packet_id)
            self._queue(wire.unsubscribe_packet(packet_id, list(filters), v5=self.v5))
        return packet_id

    def send(self, publishes: Sequence[tuple[str, bytes]], pubacks: Sequence[int], generation: int) -> None:
        """QoS 1 `publishes` (topic, payload), then PUBACKs for `pubacks` if they came on connection
        `generation` and it is still the current one, all as one write."""
        with self._lock:
            chunks = []
            for topic, payload in publishes:
                if len(self._in_flight) >= self._receive_maximum:
                    self._waiting.append(wire.publish_packet(topic, payload, v5=self.v5, packet_id=0))
                    continue
                packet_id = self._new_id()
                packet = wire.publish_packet(topic, payload, v5=self.v5, packet_id=packet_id)
                self._in_flight[packet_id] = packet
                chunks.append(packet)
            if pubacks and generation == self.generation and self.connected:
                chunks.extend(wire.puback_packet(i) for i in pubacks)
            if chunks:
                self._queue(b"".join(chunks))

    def pause_reading(self) -> None:
        """Stop taking messages off the socket (the broker holds them), as a stalled consumer would."""
        self._reading.clear()
        self._wake()

    def resume_reading(self) -> None:
        self._reading.set()
        self._wake()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight) + len(self._waiting)

    # -- helpers (lock held) -----------------------------------------------------------------------

    def _new_id(self) -> int:
        for _ in range(65535):
            self._next_id = self._next_id % 65535 + 1
            if self._next_id not in self._in_flight and self._next_id not in self._reserved:
                return self._next_id
        raise RuntimeError("no free MQTT packet id: 65535 messages unacknowledged by the broker")

    def _queue(self, data: bytes) -> None:
        was_empty = not self._out
        self._out.append(data)
        if was_empty:
            self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"\x00")

    # -- I/O thread --------------------------------------------------------------------------------

    def _run(self) -> None:
        delay = self.min_delay_s
        while not self._stop.is_set():
            host, port = self.broker.nodes[self._node]
            try:
                sock, connack, after = self._open(host, port)
            except (OSError, wire.ProtocolError, LinkClosed) as exc:
                log.warning("could not connect to the broker at %s:%s (%s); retrying in %.1fs", host, port, exc, delay)
                self._next_node()
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self.max_delay_s)
                continue
            delay = self.min_delay_s
            reason = "closed by the hub"
            try:
                self._serve(sock, connack, after)
            except (OSError, wire.ProtocolError, LinkClosed) as exc:
                reason = str(exc) or type(exc).__name__
            finally:
                self.connected = False
                with contextlib.suppress(OSError):
                    sock.close()
            if self._stop.is_set():
                return
            self.on_disconnect(reason)
            self._next_node()

    def _next_node(self) -> None:
        if len(self.broker.nodes) > 1:
            self._node = (self._node + 1) % len(self.broker.nodes)
            host, port = self.broker.nodes[self._node]
            log.warning("broker node lost; trying %s:%s next", host, port)

    def _open(self, host: str, port: int) -> tuple[socket.socket, wire.ConnAck, bytes]:
        """A connected socket, the broker's CONNACK, and whatever the broker sent right after it (a resumed
        session's queued messages may come in the same read)."""
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.broker.tls:
                sock = self._tls_context().wrap_socket(sock, server_hostname=host)
            sock.sendall(wire.connect_packet(
                self.client_id, v5=self.v5, clean_start=not self.persistent, keepalive=self.keepalive,
                session_expiry_s=self.session_expiry_s if self.persistent else 0,
                username=self.username, password=self.password))
            buffer = b""
            while True:
                data = sock.recv(4096)
                if not data:
                    raise LinkClosed("the broker closed the connection before CONNACK")
                packets, buffer = wire.split_packets(buffer + data)
                if packets:
                    break
            if packets[0].kind != wire.CONNACK:
                raise wire.ProtocolError(f"expected CONNACK, got packet type 0x{packets[0].kind:02x}")
            connack = wire.decode_connack(packets[0], v5=self.v5)
            if not connack.accepted:
                raise LinkClosed(f"the broker refused the connection (code {connack.code})")
            after = b"".join(_encoded(p) for p in packets[1:]) + buffer
            sock.setblocking(False)
            return sock, connack, after
        except BaseException:
            sock.close()
            raise

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.broker.ca_file)  # verifies the chain and host name
        if self.broker.cert_file:
            context.load_cert_chain(self.broker.cert_file, self.broker.key_file)
        return context

    def _serve(self, sock: socket.socket, connack: wire.ConnAck, after: bytes) -> None:
        with self._lock:
            self.generation += 1
            self.connected = True
            self._receive_maximum = max(1, connack.receive_maximum)
            # Stale PUBACKs and half-written packets belong to the old connection; our unacked publishes
            # (acks to homes) are sent again.
            resend = [wire.as_duplicate(p) if connack.session_present else p for p in self._in_flight.values()]
            self._out = resend
            self._reserved.clear()
        log.info("connected to broker %s:%s (session %s)", *self.broker.nodes[self._node],
                 "resumed" if connack.session_present else "new")
        self.on_connect(connack.session_present)
        packets, buffer = wire.split_packets(after)
        self._handle(packets)
        selector = selectors.DefaultSelector()
        selector.register(self._wake_r, selectors.EVENT_READ)
        interest = 0  # what the socket is registered for
        pending_out = b""
        last_sent = last_heard = time.monotonic()
        ping_sent_at: float | None = None
        try:
            while True:
                with self._lock:
                    if self._out:
                        pending_out += b"".join(self._out)
                        self._out = []
                if self._stop.is_set() and not pending_out:
                    self._say_goodbye(sock)
                    return
                wanted = (selectors.EVENT_READ if self._reading.is_set() else 0) | (
                    selectors.EVENT_WRITE if pending_out else 0)
                interest = _register(selector, sock, wanted, interest)
                for key, mask in selector.select(timeout=1.0):
                    if key.fileobj == self._wake_r:
                        with contextlib.suppress(BlockingIOError):
                            os.read(self._wake_r, 4096)
                    elif self._reading.is_set() and mask & selectors.EVENT_READ:
                        buffer = self._read(sock, buffer)
                        last_heard, ping_sent_at = time.monotonic(), None
                if pending_out:
                    sent = self._write(sock, pending_out)
                    if sent:
                        pending_out = pending_out[sent:]
                        last_sent = time.monotonic()
                now = time.monotonic()
                if ping_sent_at is not None and now - ping_sent_at > self.keepalive:
                    raise LinkClosed(f"no answer from the broker for {now - last_heard:.0f}s")
                # Ping when either side has been quiet: it keeps the session alive, and an unanswered ping
                # is how a half-open connection is noticed.
                if ping_sent_at is None and now - min(last_sent, last_heard) >= self.keepalive / 2:
                    pending_out += wire.PINGREQ_PACKET
                    ping_sent_at = now
        finally:
            selector.close()

    @staticmethod
    def _say_goodbye(sock: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError):
            sock.setblocking(True)
            sock.settimeout(2.0)
            sock.sendall(wire.DISCONNECT_PACKET)

    def _read(self, sock: socket.socket, buffer: bytes) -> bytes:
        """One read (a flood must not keep the thread from writing PUBACKs), plus what TLS already holds."""
        while True:
            try:
                data = sock.recv(READ_SIZE)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                return buffer
            if not data:
                raise LinkClosed("the broker closed the connection")
            packets, buffer = wire.split_packets(buffer + data if buffer else data)
            self._handle(packets)
            if not (isinstance(sock, ssl.SSLSocket) and sock.pending()):
                return buffer

    @staticmethod
    def _write(sock: socket.socket, data: bytes) -> int:
        try:
            return sock.send(data)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return 0

    def _handle(self, packets: list[wire.Packet]) -> None:
        publishes: list[wire.Publish] = []
        for packet in packets:
            kind = packet.kind
            if kind == wire.PUBLISH:
                publishes.append(wire.decode_publish(packet, v5=self.v5))
            elif kind == wire.PUBACK:
                self._acked(wire.decode_ack_id(packet))
            elif kind == wire.SUBACK:
                packet_id = wire.decode_ack_id(packet)
                with self._lock:
                    self._reserved.discard(packet_id)
                self.on_suback(packet_id, wire.suback_codes(packet, v5=self.v5))
            elif kind == wire.UNSUBACK:
                with self._lock:
                    self._reserved.discard(wire.decode_ack_id(packet))
            elif kind == wire.DISCONNECT:
                code = packet.body[0] if packet.body else 0
                raise LinkClosed(f"the broker disconnected the hub (reason 0x{code:02x})")
            elif kind != wire.PINGRESP:
                raise wire.ProtocolError(f"unexpected packet type 0x{kind:02x}")
        if publishes:
            self.on_publishes(publishes, self.generation)

    def _acked(self, packet_id: int) -> None:
        with self._lock:
            if self._in_flight.pop(packet_id, None) is None or not self._waiting:
                return
            # Room under the broker's receive maximum: the next held-back publish gets an id and goes.
            held = self._waiting.popleft()
            new_id = self._new_id()
            packet = _with_packet_id(held, new_id)
            self._in_flight[new_id] = packet
            self._out.append(packet)


def _encoded(packet: wire.Packet) -> bytes:
    return bytes([packet.kind | packet.flags]) + wire.remaining_length(len(packet.body)) + packet.body


def _register(selector: selectors.BaseSelector, sock: socket.socket, wanted: int, current: int) -> int:
    if wanted != current:
        if not current:
            selector.register(sock, wanted)
        elif not wanted:
            selector.unregister(sock)
        else:
            selector.modify(sock, wanted)
    return wanted


def _with_packet_id(packet: bytes, packet_id: int) -> bytes:
    """A PUBLISH encoded with packet id 0 while waiting, given its real id."""
    at = 1
    while packet[at] & 0x80:
        at += 1
    at += 1
    topic_end = at + 2 + ((packet[at] << 8) | packet[at + 1])
    return packet[:topic_end] + packet_id.to_bytes(2, "big") + packet[topic_end + 2:]

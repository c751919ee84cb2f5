"""A scripted MQTT 5 broker on a local socket, for the protocol behaviour of the hub's MQTT link and ingest
(the real broker's behaviour is tested against Mosquitto): it accepts connections, answers CONNACK with a
receive maximum, SUBACKs (refusing the first few if asked), and records what it is sent."""

from __future__ import annotations

import socket
import threading

from ingest import mqtt_wire as wire


class ScriptedBroker:
    """Accepts connections, answers CONNACK with a receive maximum, records what the link sends."""

    def __init__(self, receive_maximum: int = 65535, answer_pings: bool = True, queued: bytes = b"",
                 refuse_subscriptions: int = 0) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.receive_maximum = receive_maximum
        self.answer_pings = answer_pings
        self.queued = queued  # sent in the same write as the CONNACK, as a broker resuming a session may
        self.refuse_subscriptions = refuse_subscriptions  # SUBSCRIBEs answered with failure codes first
        self.connections: list[socket.socket] = []
        self.packets: list[tuple[int, wire.Packet]] = []  # (connection number, packet)
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn, len(self.connections)), daemon=True).start()

    def _serve(self, conn: socket.socket, number: int) -> None:
        buffer = b""
        while True:
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            packets, buffer = wire.split_packets(buffer + data)
            for packet in packets:
                with self.lock:
                    self.packets.append((number, packet))
                if packet.kind == wire.CONNECT:
                    props = b"\x03\x21" + self.receive_maximum.to_bytes(2, "big")
                    conn.sendall(b"\x20" + bytes([2 + len(props)]) + b"\x01\x00" + props + self.queued)
                elif packet.kind == 0xC0 and self.answer_pings:
                    conn.sendall(b"\xd0\x00")
                elif packet.kind == wire.SUBSCRIBE & 0xF0:
                    refuse = self.refuse_subscriptions > 0
                    self.refuse_subscriptions -= refuse
                    filters = _filters(packet.body)
                    codes = bytes([0x80 if refuse else 0x01] * filters)
                    conn.sendall(b"\x90" + bytes([3 + len(codes)]) + packet.body[:2] + b"\x00" + codes)

    def publishes(self, number: int | None = None) -> list[wire.Publish]:
        with self.lock:
            return [wire.decode_publish(p, v5=True) for n, p in self.packets
                    if p.kind == wire.PUBLISH and (number is None or n == number)]

    def count(self, kind: int) -> int:
        with self.lock:
            return sum(1 for _, p in self.packets if p.kind == kind)

    def close(self) -> None:
        self.server.close()
        for conn in self.connections:
            conn.close()


def _filters(body: bytes) -> int:
    """How many topic filters a v5 SUBSCRIBE body carries (after its packet id and empty properties)."""
    at, count = 3, 0
    while at < len(body):
        at += 2 + int.from_bytes(body[at:at + 2], "big") + 1
        count += 1
    return count

"""Flow control and liveness of ingest's MQTT link, against a scripted broker on a local socket (the real
broker's behaviour is in tests/integration/test_mqtt_link.py): the broker's receive maximum is honoured,
a broker that stops answering pings is left, and a DISCONNECT from the broker leads to a new connection."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from hub.mqtt import BrokerAddress
from ingest import mqtt_wire as wire
from ingest.mqtt_link import MqttLink
from tests.support.waiting import wait_for


class ScriptedBroker:
    """Accepts connections, answers CONNACK with a receive maximum, records what the link sends."""

    def __init__(self, receive_maximum: int = 65535, answer_pings: bool = True) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.receive_maximum = receive_maximum
        self.answer_pings = answer_pings
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
                    conn.sendall(b"\x20" + bytes([2 + len(props)]) + b"\x00\x00" + props)
                elif packet.kind == 0xC0 and self.answer_pings:
                    conn.sendall(b"\xd0\x00")

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


@pytest.fixture
def make_link() -> Iterator:
    made: list[tuple[MqttLink, ScriptedBroker]] = []

    def make(broker: ScriptedBroker, keepalive: int = 30) -> MqttLink:
        link = MqttLink("hub-test", BrokerAddress("127.0.0.1", broker.port, tls=False), v5=True,
                        keepalive=keepalive, min_delay_s=0.1)
        made.append((link, broker))
        link.start()
        wait_for(lambda: link.connected, timeout=5)
        return link

    yield make
    for link, broker in made:
        link.stop(timeout=2)
        broker.close()


def test_no_more_publishes_in_flight_than_the_broker_takes(make_link) -> None:
    broker = ScriptedBroker(receive_maximum=2)
    link = make_link(broker)
    link.send([(f"tec/v1/h/d{n}/ack", b"{}") for n in range(5)], (), link.generation)
    wait_for(lambda: len(broker.publishes()) == 2, timeout=5)
    assert link.in_flight == 5
    first = broker.publishes()
    broker.connections[0].sendall(wire.puback_packet(first[0].packet_id))
    wait_for(lambda: len(broker.publishes()) == 3, timeout=5)
    third = broker.publishes()[2]
    assert third.topic == "tec/v1/h/d2/ack"
    assert third.packet_id not in (first[1].packet_id,), "a held-back publish gets an id not in flight"
    for publish in broker.publishes()[1:]:
        broker.connections[0].sendall(wire.puback_packet(publish.packet_id))
    wait_for(lambda: len(broker.publishes()) == 5, timeout=5)
    for publish in broker.publishes()[3:]:
        broker.connections[0].sendall(wire.puback_packet(publish.packet_id))
    wait_for(lambda: link.in_flight == 0, timeout=5)
    assert [p.topic for p in broker.publishes()] == [f"tec/v1/h/d{n}/ack" for n in range(5)]


def test_a_broker_that_stops_answering_pings_is_left_for_a_new_connection(make_link) -> None:
    broker = ScriptedBroker(answer_pings=False)
    make_link(broker, keepalive=1)
    wait_for(lambda: len(broker.connections) >= 2, timeout=10)
    assert broker.count(0xC0) >= 1


def test_a_disconnect_from_the_broker_leads_to_a_new_connection(make_link) -> None:
    broker = ScriptedBroker()
    link = make_link(broker)
    broker.connections[0].sendall(b"\xe0\x01\x8b")  # DISCONNECT: server shutting down
    wait_for(lambda: link.generation == 2 and link.connected, timeout=5)

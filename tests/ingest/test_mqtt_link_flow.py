"""Flow control and liveness of ingest's MQTT link, against a scripted broker on a local socket (the real
broker's behaviour is in tests/integration/test_mqtt_link.py): the broker's receive maximum is honoured,
a broker that stops answering pings is left, and a DISCONNECT from the broker leads to a new connection."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.mqtt import BrokerAddress
from ingest import mqtt_wire as wire
from ingest.mqtt_link import MqttLink
from tests.support.scripted_broker import ScriptedBroker
from tests.support.waiting import wait_for


@pytest.fixture
def make_link() -> Iterator:
    made: list[tuple[MqttLink, ScriptedBroker]] = []

    def make(broker: ScriptedBroker, keepalive: int = 30, **callbacks: object) -> MqttLink:
        link = MqttLink("hub-test", BrokerAddress("127.0.0.1", broker.port, tls=False), v5=True,
                        keepalive=keepalive, min_delay_s=0.1, **callbacks)  # type: ignore[arg-type]
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


def test_messages_the_broker_sends_with_its_connack_are_taken_not_refused(make_link) -> None:
    queued = b"".join(wire.publish_packet("tec/v1/h/d/event", f"m{n}".encode(), v5=True, packet_id=n + 1)
                      for n in range(3))
    broker = ScriptedBroker(queued=queued)
    heard: list[tuple[bytes, int]] = []
    link = make_link(broker, on_publishes=lambda publishes, generation: heard.extend(
        (p.payload, generation) for p in publishes))
    wait_for(lambda: len(heard) == 3, timeout=5)
    assert heard == [(b"m0", 1), (b"m1", 1), (b"m2", 1)]
    assert link.generation == 1 and len(broker.connections) == 1

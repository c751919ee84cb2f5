"""Ingest's main MQTT session (ingest/mqtt_link.py) against a real Mosquitto: the persistent session keeps
what was not PUBACKed across broker restarts, a PUBACK from an earlier connection acks nothing, and acks to
homes still in flight when the broker went away reach them once it is back."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest

from hub.embedded import PrivateMosquitto
from hub.mqtt import parse_mqtt_url
from ingest.mqtt_link import MqttLink
from ingest.mqtt_wire import Publish
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs mosquitto (Debian: mosquitto)")]


@pytest.fixture
def mosquitto() -> Iterator[PrivateMosquitto]:
    broker = PrivateMosquitto()
    broker.start()
    yield broker
    broker.remove()


class Heard:
    """What the link handed over, by connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[Publish, int]] = []
        self.subacks: list[int] = []

    def on_publishes(self, publishes: list[Publish], generation: int) -> None:
        with self.lock:
            self.messages.extend((p, generation) for p in publishes)

    def of(self, generation: int) -> list[Publish]:
        with self.lock:
            return [p for p, g in self.messages if g == generation]


def _link(url: str, heard: Heard, client_id: str) -> MqttLink:
    link: MqttLink

    def subscribe(_present: bool) -> None:
        link.subscribe(["lt/#"])

    link = MqttLink(client_id, parse_mqtt_url(url), v5=True, session_expiry_s=3600, keepalive=10,
                    on_connect=subscribe, on_publishes=heard.on_publishes,
                    on_suback=lambda packet_id, _codes: heard.subacks.append(packet_id), min_delay_s=0.2)
    return link


def _publish(url: str, payload: bytes) -> None:
    address = parse_mqtt_url(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:6]}",
                         protocol=mqtt.MQTTv5)
    client.connect(address.host, address.port)
    client.loop_start()
    try:
        client.publish("lt/x", payload, qos=1).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


def test_what_was_not_pubacked_comes_back_and_a_stale_puback_acks_nothing(mosquitto: PrivateMosquitto) -> None:
    heard = Heard()
    link = _link(mosquitto.url, heard, f"link-{uuid.uuid4().hex[:6]}")
    link.start()
    try:
        wait_for(lambda: heard.subacks)
        for n in range(5):
            _publish(mosquitto.url, f"m{n}".encode())
        wait_for(lambda: len(heard.of(1)) == 5)
        first = heard.of(1)

        mosquitto.restart()  # nothing was PUBACKed: the session holds all five
        wait_for(lambda: len(heard.of(2)) == 5)
        assert [p.payload for p in heard.of(2)] == [p.payload for p in first]

        link.send((), [p.packet_id for p in first], generation=1)  # ids of the old connection: not sent
        mosquitto.restart()
        wait_for(lambda: len(heard.of(3)) == 5)

        link.send((), [p.packet_id for p in heard.of(3)], generation=3)
        wait_for(lambda: link.in_flight == 0)
        _publish(mosquitto.url, b"after")
        wait_for(lambda: [p.payload for p in heard.of(3)][-1:] == [b"after"])
        link.send((), [heard.of(3)[-1].packet_id], generation=3)
        mosquitto.restart()
        wait_for(lambda: link.generation == 4 and len(heard.subacks) >= 4)
        _publish(mosquitto.url, b"marker")
        wait_for(lambda: heard.of(4))
        assert [p.payload for p in heard.of(4)] == [b"marker"], "everything PUBACKed stayed acked"
    finally:
        link.stop()


def test_acks_sent_while_the_broker_is_away_reach_the_home_once_it_is_back(mosquitto: PrivateMosquitto) -> None:
    received: list[bytes] = []
    home = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="home-unit", protocol=mqtt.MQTTv5)
    home.on_message = lambda _c, _u, message: received.append(message.payload)
    address = parse_mqtt_url(mosquitto.url)
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 3600
    home.connect(address.host, address.port, clean_start=False, properties=props)
    home.loop_start()
    subscribed = threading.Event()
    home.on_subscribe = lambda *_args: subscribed.set()
    home.subscribe("tec/v1/home-1/+/ack", qos=1)
    assert subscribed.wait(5)

    heard = Heard()
    link = _link(mosquitto.url, heard, f"link-{uuid.uuid4().hex[:6]}")
    link.start()
    try:
        wait_for(lambda: link.connected)
        mosquitto.stop()
        wait_for(lambda: not link.connected)
        link.send([("tec/v1/home-1/pendant-1/ack", b'{"seq":7,"status":"stored"}')], (), link.generation)
        assert link.in_flight == 1
        mosquitto.start()
        wait_for(lambda: received == [b'{"seq":7,"status":"stored"}'], timeout=30)
        wait_for(lambda: link.in_flight == 0)
    finally:
        home.loop_stop()
        link.stop()

"""A home unit against a private Mosquitto (the `broker` fixture), with a plain paho subscriber
standing in for the hub's ingest and its app-level acks."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest

from simulators.unit import HomeUnit, status_topic
from tests.support.home import clear_retained_statuses

pytestmark = pytest.mark.integration
BROKER_PORT = 0  # set by the autouse fixture below from the session's private broker
BROKER_URL = ""


@pytest.fixture(autouse=True)
def _private_broker(broker) -> None:  # type: ignore[no-untyped-def]
    global BROKER_PORT, BROKER_URL
    if broker.protocol != "5":
        pytest.skip("these tests drive Mosquitto; the embedded broker stands in only for the hub's own tests")
    BROKER_PORT, BROKER_URL = broker.port, broker.url


class FakeHub:
    """Records every event delivery and acks each one unless told to stay silent."""

    def __init__(self, home_id: str, ack: bool) -> None:
        self.home_id = home_id
        self.ack = ack
        self.deliveries: list[bytes] = []
        self.statuses: list[dict[str, str]] = []
        self._changed = threading.Condition()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fakehub-{uuid.uuid4().hex[:8]}",
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, *_args: object) -> None:
        client.subscribe([(f"tec/v1/{self.home_id}/+/event", 1), (status_topic(self.home_id), 1)])

    def _on_message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        with self._changed:
            if message.topic.endswith("/status"):
                self.statuses.append(json.loads(message.payload))
            else:
                self.deliveries.append(message.payload)
                if self.ack:
                    device_id = message.topic.split("/")[3]
                    seq = json.loads(message.payload)["seq"]
                    client.publish(f"tec/v1/{self.home_id}/{device_id}/ack",
                                   json.dumps({"seq": seq, "status": "stored"}), qos=1)
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def __enter__(self) -> "FakeHub":
        self.client.connect("127.0.0.1", BROKER_PORT)
        self.client.loop_start()
        assert self._subscribed.wait(5), "fake hub could not subscribe"
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def home_id(broker) -> Iterator[str]:  # type: ignore[no-untyped-def]
    home = f"test-{uuid.uuid4().hex[:12]}"
    yield home
    clear_retained_statuses(broker.url, broker.protocol, [home])  # test homes must not pile up on the broker


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_event_is_acked_by_the_hub(home_id: str, protocol: str) -> None:
    with FakeHub(home_id, ack=True) as hub:
        acked = []
        unit = HomeUnit(home_id, BROKER_URL, protocol=protocol, on_ack=acked.append)
        unit.start()
        try:
            assert unit.wait_connected(10)
            assert hub.wait_for(lambda: any(s["state"] == "online" for s in hub.statuses))
            record = unit.send("pir-kitchen", "motion", 1, "kitchen", ts=datetime.now(UTC))
            deadline = time.monotonic() + 10
            while not acked and time.monotonic() < deadline:  # the observer runs just after the ledger settles
                time.sleep(0.05)
            assert unit.pending_count() == 0
            assert acked == [record] and record.status == "stored" and record.latency_s is not None
            assert json.loads(hub.deliveries[0]) == json.loads(record.payload)
            assert unit.acked == 1
        finally:
            unit.stop(graceful=True)
        assert hub.wait_for(lambda: hub.statuses[-1]["state"] == "offline")


def test_unacked_event_is_resent_identically_until_acked(home_id: str) -> None:
    with FakeHub(home_id, ack=False) as hub:
        unit = HomeUnit(home_id, BROKER_URL, retry_after_s=0.5, max_retry_after_s=1.0)
        unit.start()
        try:
            assert unit.wait_connected(10)
            record = unit.send("pendant-1", "pendant_press", 1, ts=datetime.now(UTC), battery=80)
            assert hub.wait_for(lambda: len(hub.deliveries) >= 3), "the unit did not resend"
            assert set(hub.deliveries) == {record.payload}
            assert unit.pending_count() == 1 and unit.stats().retries >= 2

            hub.client.publish(f"tec/v1/{home_id}/pendant-1/ack",
                               json.dumps({"seq": record.seq, "status": "duplicate"}), qos=1)
            deadline = time.monotonic() + 10
            while unit.pending_count() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert unit.pending_count() == 0 and record.status == "duplicate"
        finally:
            unit.stop(graceful=True)


def test_power_cut_leaves_the_last_will(home_id: str) -> None:
    with FakeHub(home_id, ack=True) as hub:
        unit = HomeUnit(home_id, BROKER_URL, keepalive_s=5)
        unit.start()
        assert unit.wait_connected(10)
        assert hub.wait_for(lambda: any(s["state"] == "online" for s in hub.statuses))
        unit.stop(graceful=False)
        assert hub.wait_for(lambda: hub.statuses[-1]["state"] == "offline", timeout=15)

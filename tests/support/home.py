"""A bare home unit for tests: publishes exactly the bytes it is given and collects every ack."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt

from hub.mqtt import connect, make_client, parse_mqtt_url


def iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event(seq: int, type_: str, ts: datetime | None = None, **fields: Any) -> dict[str, Any]:
    return {"v": 1, "seq": seq, "ts": iso(ts), "type": type_, **fields}


class TestUnit:
    __test__ = False  # not a test class for pytest

    def __init__(self, mqtt_url: str, protocol: str, home_id: str) -> None:
        self.home_id = home_id
        self.acks: list[dict[str, Any]] = []
        self._lock = threading.Condition()
        self._subscribed = threading.Event()
        broker = parse_mqtt_url(mqtt_url)
        self.client = make_client(f"test-unit-{home_id}-{uuid.uuid4().hex[:6]}", broker, protocol=protocol)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *_args: self._subscribed.set()
        self.client.on_message = self._on_message
        connect(self.client, broker, protocol=protocol, persistent=False)
        self.client.loop_start()
        if not self._subscribed.wait(10):
            raise RuntimeError("test unit could not subscribe to its ack topic")

    def _on_connect(self, client: mqtt.Client, *_args: object) -> None:
        client.subscribe(f"tec/v1/{self.home_id}/+/ack", qos=1)

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        if not message.topic.endswith("/ack"):
            return
        with self._lock:
            self.acks.append({"topic": message.topic, **json.loads(message.payload)})
            self._lock.notify_all()

    def publish(self, device_id: str, body: dict[str, Any] | bytes, topic: str | None = None) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        topic = topic or f"tec/v1/{self.home_id}/{device_id}/event"
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def wait_acks(self, count: int, timeout: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.acks) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} acks, got {len(self.acks)}: {self.acks}")
                self._lock.wait(left)
            return list(self.acks)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def clear_retained_statuses(mqtt_url: str, protocol: str, home_ids: list[str]) -> None:
    """Units leave a retained status; later tests' ingest would read it as news. Tests clean up after them."""
    broker = parse_mqtt_url(mqtt_url)
    cleaner = make_client(f"test-cleaner-{uuid.uuid4().hex[:6]}", broker, protocol=protocol)
    connected = threading.Event()
    cleaner.on_connect = lambda *_args: connected.set()
    connect(cleaner, broker, protocol=protocol, persistent=False)
    cleaner.loop_start()
    try:
        if not connected.wait(10):
            raise RuntimeError("could not connect to clear retained statuses")
        for home_id in home_ids:
            cleaner.publish(f"tec/v1/{home_id}/status", b"", qos=1, retain=True).wait_for_publish(10)
    finally:
        cleaner.disconnect()
        cleaner.loop_stop()

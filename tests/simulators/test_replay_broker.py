"""A recorded CSV replayed over a private broker (the `broker` fixture), with a plain paho subscriber
standing in for the hub: it records every event and acks it, as ingest would after commit."""

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from simulators.ledger import format_ts
from simulators.replay import COLUMNS, replay_csv
from tests.support.home import clear_retained_statuses
from tests.support.services import Broker

pytestmark = pytest.mark.integration
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
# (seconds after START, device, type, value, room): 20 minutes of a morning
RECORDED = [
    (0, "bed-1", "bed", 0, "bedroom"),
    (40, "pir-bedroom", "motion", 1, "bedroom"),
    (200, "pir-kitchen", "motion", 1, "kitchen"),
    (260, "pir-kitchen", "motion", 1, "kitchen"),
    (900, "temp-lounge", "temperature", 19.5, "lounge"),
    (1200, "pir-kitchen", "motion", 1, "kitchen"),
]


class FakeHub:
    def __init__(self, broker: Broker, home_id: str) -> None:
        self.home_id = home_id
        self.events: list[tuple[str, dict[str, object]]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        version = mqtt.MQTTv5 if broker.protocol == "5" else mqtt.MQTTv311
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"fakehub-{uuid.uuid4().hex[:8]}",
                                  protocol=version)
        self.client.on_connect = lambda client, *_: client.subscribe(f"tec/v1/{home_id}/+/event", qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.port = broker.port

    def _on_message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        device_id = message.topic.split("/")[3]
        body = json.loads(message.payload)
        with self._lock:
            self.events.append((device_id, body))
        client.publish(f"tec/v1/{self.home_id}/{device_id}/ack", json.dumps({"seq": body["seq"], "status": "stored"}),
                       qos=1)

    def __enter__(self) -> "FakeHub":
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self._subscribed.wait(5), "fake hub could not subscribe"
        return self

    def __exit__(self, *_exc: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def home_id(broker: Broker) -> Iterator[str]:
    home = f"test-{uuid.uuid4().hex[:12]}"
    yield home
    clear_retained_statuses(broker.url, broker.protocol, [home])  # no retained leftovers


def _recording(tmp_path: Path, home_id: str) -> Path:
    path = tmp_path / "morning.csv"
    lines = [",".join(COLUMNS)]
    lines += [f"{format_ts(START + timedelta(seconds=s))},{home_id},{device},{type_},{value},{room}"
              for s, device, type_, value, room in RECORDED]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_replay_sends_every_event_and_heartbeats_in_between(tmp_path: Path, broker: Broker, home_id: str) -> None:
    path = _recording(tmp_path, home_id)
    progress = []
    with FakeHub(broker, home_id) as hub:
        stats = replay_csv(path, broker.url, speed="max", protocol=broker.protocol, heartbeat_interval_s=300,
                           on_progress=progress.append, seq_start=10)
    assert stats.complete and stats.lines == 6 and stats.homes == 1 and stats.devices == 4
    # Four devices, 20 minutes of event time, a beat every 5 minutes at staggered offsets.
    assert stats.events_sent == 6 and stats.heartbeats_sent == 16
    assert stats.acked == stats.stored == 22 and stats.pending == 0 and stats.rejected == 0
    assert progress and progress[-1] is stats

    first_copies: dict[tuple[str, int], dict[str, object]] = {}
    for device_id, body in hub.events:  # QoS 1 may deliver twice; the first copy counts
        first_copies.setdefault((device_id, body["seq"]), body)  # type: ignore[arg-type]
    received = [(device_id, body) for (device_id, _), body in first_copies.items()]
    recorded = [(d, format_ts(START + timedelta(seconds=s)), t, v) for s, d, t, v, _ in RECORDED]
    assert [(d, b["ts"], b["type"], b.get("value")) for d, b in received if b["type"] != "heartbeat"] == recorded

    beats = [(d, b) for d, b in received if b["type"] == "heartbeat"]
    assert {d for d, _ in beats} == {d for _, d, _, _, _ in RECORDED}
    assert all(format_ts(START) < b["ts"] <= format_ts(START + timedelta(seconds=1200)) for _, b in beats)
    for device in {d for d, _ in received}:
        seqs = [b["seq"] for d, b in received if d == device]
        assert seqs == list(range(10, 10 + len(seqs))), f"{device}: seq must count up in event-time order"
        times = [b["ts"] for d, b in received if d == device]
        assert times == sorted(times)


def test_replay_keeps_to_the_requested_speed(tmp_path: Path, broker: Broker, home_id: str) -> None:
    path = _recording(tmp_path, home_id)
    with FakeHub(broker, home_id):
        stats = replay_csv(path, broker.url, speed=1200, protocol=broker.protocol, heartbeat_interval_s=600)
    assert stats.complete
    assert stats.elapsed_s >= 1200 / 1200 * 0.95  # 20 minutes of event time at 20 minutes per second

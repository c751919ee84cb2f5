"""The alarm session: a second persistent MQTT session of each ingest worker that hears only the event
topics of alarm-capable devices (pendants, pull cords, smoke and CO detectors...).

Why: one session delivers messages in the order the broker took them. A pendant press published behind
10,000 messages from a flooding home waits until the hub has read them all (measured: p99 0.5 s to the
writer, 1.4 s to the ack), however quickly the alarm lane then commits it. A session of its own puts the
press on a connection with nothing in front of it, and its ack goes back on that connection too.

The main session still hears every topic and stores everything, so this session is only ever a faster
second copy: an alarm committed by one copy is a duplicate for the other, and the main session does not
ack such a duplicate a second time. Anything here that is not an alarm (the pendant's heartbeat, a
malformed payload) is PUBACKed at once and left to the main session, which gets the same message.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.subscribeoptions import SubscribeOptions

from hub.mqtt import BrokerAddress, connect, make_client
from hub.settings import Settings
from ingest.contract import ALARM_TYPES, TOPIC_ROOT, peek_type
from ingest.partition import Partition, chunks
from ingest.writer import Outcome, Received

log = logging.getLogger(__name__)

# Device kinds (the `devices.kind` a home registers) that send alarm-class events. An alarm from any other
# device still reaches the alarm lane through the main session; it just has no connection of its own.
ALARM_DEVICE_KINDS = frozenset({
    "pendant", "pull_cord", "pullcord", "fall", "fall_detector", "smoke", "co", "heat", "flood",
    "bogus_caller", "panic_button",
})


def device_filter(home_id: str, device_id: str) -> str:
    return f"{TOPIC_ROOT}/{home_id}/{device_id}/event"


def alarm_device_filters(rows: Iterable[tuple[str, str]], partition: Partition) -> frozenset[str]:
    """Topic filters for the (home_id, device_id) alarm devices this worker owns."""
    return frozenset(device_filter(home, device) for home, device in rows if partition.owns(home))


class AlarmCopies:
    """Pairs the two copies of an alarm that both sessions hear, so it is stored, dead-lettered and told
    to the unit once: the first copy to reach the alarm lane is stored and acks the unit through its own
    session; the second takes the first's outcome and is only PUBACKed. Used only by the alarm lane's
    thread."""

    def __init__(self, keep_s: float = 120.0) -> None:
        self._first: OrderedDict[tuple[str, bytes], tuple[Outcome, float]] = OrderedDict()  # → (outcome, when)
        self._keep_s = keep_s

    @staticmethod
    def paired(message: Received) -> bool:
        # Every alarm, not just those on topics the alarm session covers: whether the session was subscribed
        # when the unit published cannot be known here, and an unpaired first copy just expires.
        return message.urgent

    def split(self, batch: list[Received]) -> tuple[list[Received], list[Outcome], list[Received]]:
        """(to store, second copies settled by their first's outcome, second copies of something earlier
        in this same batch, to be taken again once that one's outcome is known)."""
        to_store: list[Received] = []
        settled: list[Outcome] = []
        later: list[Received] = []
        in_batch: set[tuple[str, bytes]] = set()
        for message in batch:
            key = (message.topic, message.payload)
            first = self._first.get(key, (None, 0.0))[0] if self.paired(message) else None
            if first is not None and first.message.session != message.session:
                del self._first[key]  # a later retry by the unit is a new pair
                settled.append(replace(first, message=message, twin=True))
            elif self.paired(message) and key in in_batch:
                later.append(message)
            else:
                to_store.append(message)
                in_batch.add(key)
        return to_store, settled, later

    def note(self, outcomes: list[Outcome]) -> None:
        now = time.monotonic()
        for outcome in outcomes:
            if not outcome.hold and self.paired(outcome.message):
                key = (outcome.message.topic, outcome.message.payload)
                self._first[key] = (outcome, now)
                self._first.move_to_end(key)
        # A first copy whose twin never comes (it arrived before the session subscribed) expires.
        while self._first and next(iter(self._first.values()))[1] < now - self._keep_s:
            self._first.popitem(last=False)


class AlarmSession:
    def __init__(self, settings: Settings, broker: BrokerAddress, partition: Partition, database_url: str,
                 deliver: Callable[[Received], None]) -> None:
        self.settings = settings
        self.broker = broker
        self.partition = partition
        self.database_url = database_url
        self._deliver = deliver
        self.generation = 0
        self.wanted: frozenset[str] = frozenset()  # filters for the registered alarm devices
        self._pending: dict[int, list[str]] = {}  # SUBSCRIBE mid → its filters, until the SUBACK
        self.covered: frozenset[str] = frozenset()  # filters the broker has confirmed
        self._lock = threading.Lock()
        self.client = make_client(
            partition.client_id(settings.mqtt_client_id) + "-alarms", broker, protocol=settings.mqtt_protocol,
            persistent=True, manual_ack=True,
            username=broker.username or settings.mqtt_username, password=broker.password or settings.mqtt_password,
        )
        self.client.max_inflight_messages_set(0)  # as the main session: no quadratic rescan on PUBACK
        self.client.max_queued_messages_set(0)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect

    # -- registered alarm devices ------------------------------------------------------------------

    def _registered(self) -> frozenset[str]:
        with psycopg.connect(self.database_url, application_name="telecare-hub-ingest") as conn:
            rows = conn.execute("SELECT home_id, device_id FROM devices WHERE kind = ANY(%s)",
                                (sorted(ALARM_DEVICE_KINDS),)).fetchall()
        return alarm_device_filters(rows, self.partition)

    def refresh(self) -> tuple[int, int]:
        """Follow the registry: subscribe to new alarm devices, leave removed ones."""
        wanted = self._registered()
        with self._lock:
            added, removed = wanted - self.wanted, self.wanted - wanted
            self.wanted = wanted
            self.covered -= removed
        if self.client.is_connected():
            self._subscribe(added)
            for chunk in chunks(removed):
                self.client.unsubscribe(chunk)
        if added or removed:
            log.info("alarm session: %d alarm devices (+%d, -%d)", len(wanted), len(added), len(removed))
        return len(added), len(removed)

    def covers(self, topic: str) -> bool:
        """True once the broker has confirmed this session's subscription to `topic`."""
        return topic in self.covered

    # -- MQTT (network thread: never blocks) -------------------------------------------------------

    def _subscribe(self, filters: Iterable[str]) -> None:
        for chunk in chunks(filters):
            # Held across the call so a fast SUBACK cannot look for the mid before it is recorded.
            with self._lock:
                if self.settings.mqtt_protocol == "5":
                    _, mid = self.client.subscribe([(f, SubscribeOptions(qos=1, noLocal=True)) for f in chunk])
                else:
                    _, mid = self.client.subscribe([(f, 1) for f in chunk])
                self._pending[mid or 0] = chunk

    def _on_connect(self, _client: mqtt.Client, _userdata: object, _flags: object, reason: object,
                    _props: object = None) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker refused the hub's alarm session: %s", reason)
            return
        self.generation += 1
        with self._lock:
            wanted = self.wanted
        self._subscribe(wanted)  # the session usually still has them; subscribing again is harmless

    def _on_disconnect(self, *_args: object) -> None:
        # Until this session is back and subscribed, the main session acks alarms itself.
        with self._lock:
            self.covered = frozenset()
        log.warning("alarm session lost the broker; alarms go through the main session meanwhile")

    def _on_subscribe(self, _client: mqtt.Client, _userdata: object, mid: int, *_args: object) -> None:
        with self._lock:
            confirmed = self._pending.pop(mid, [])
            self.covered = (self.covered | frozenset(confirmed)) & self.wanted

    def _on_message(self, client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        if peek_type(message.payload) in ALARM_TYPES:
            self._deliver(Received(message.topic, message.payload, message.mid, message.qos, self.generation,
                                   urgent=True, session="alarm"))
        elif message.qos > 0:
            client.ack(message.mid, message.qos)  # the main session stores (or dead-letters) its own copy

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.refresh()
        except psycopg.Error:
            log.exception("alarm session: could not read the alarm devices yet; the main session hears them")
        connect(self.client, self.broker, protocol=self.settings.mqtt_protocol, persistent=True,
                session_expiry_s=self.settings.mqtt_session_expiry_s)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

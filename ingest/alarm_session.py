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

import psycopg

from hub.mqtt import BrokerAddress
from hub.settings import Settings
from ingest.contract import TOPIC_ROOT, ack_topic, names_alarm
from ingest.mqtt_link import MqttLink
from ingest.mqtt_wire import Publish
from ingest.partition import Partition, chunks
from ingest.writer import Outcome, Received, ack_payload

log = logging.getLogger(__name__)
SUBSCRIBE_RETRY_S = 2.0

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
                settled.append(first._replace(message=message, twin=True))
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
        self.wanted: frozenset[str] = frozenset()  # filters for the registered alarm devices
        self._pending: dict[int, list[str]] = {}  # SUBSCRIBE packet id → its filters, until the SUBACK
        self.covered: frozenset[str] = frozenset()  # filters the broker has confirmed
        self._lock = threading.Lock()
        username = broker.username or settings.mqtt_username or None
        self.link = MqttLink(
            partition.client_id(settings.mqtt_client_id) + "-alarms", broker, v5=settings.mqtt_protocol == "5",
            persistent=True, session_expiry_s=settings.mqtt_session_expiry_s, username=username,
            password=(broker.password or settings.mqtt_password or None) if username else None,
            on_connect=self._on_connect, on_publishes=self._on_messages, on_suback=self._on_subscribe,
            on_disconnect=self._on_disconnect,
        )

    @property
    def generation(self) -> int:
        return self.link.generation

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
        if self.link.connected:
            self._subscribe(added)
            for chunk in chunks(removed):
                self.link.unsubscribe(chunk)
        if added or removed:
            log.info("alarm session: %d alarm devices (+%d, -%d)", len(wanted), len(added), len(removed))
        return len(added), len(removed)

    def covers(self, topic: str) -> bool:
        """True once the broker has confirmed this session's subscription to `topic`."""
        return topic in self.covered

    # -- MQTT (the link's I/O thread: never blocks) -----------------------------------------------

    def _subscribe(self, filters: Iterable[str]) -> None:
        for chunk in chunks(filters):
            # Held across the call so a fast SUBACK cannot look for the packet id before it is recorded.
            with self._lock:
                self._pending[self.link.subscribe(chunk)] = chunk

    def _on_connect(self, _session_present: bool) -> None:
        with self._lock:
            wanted = self.wanted
        self._subscribe(wanted)  # the session usually still has them; subscribing again is harmless

    def _on_disconnect(self, _reason: str) -> None:
        # Until this session is back and subscribed, the main session acks alarms itself.
        with self._lock:
            self.covered = frozenset()
        log.warning("alarm session lost the broker; alarms go through the main session meanwhile")

    def _on_subscribe(self, packet_id: int, granted: bytes) -> None:
        with self._lock:
            asked = self._pending.pop(packet_id, [])
            refused = [f for f, code in zip(asked, granted, strict=False) if code >= 0x80]
            self.covered = (self.covered | (frozenset(asked) - frozenset(refused))) & self.wanted
        if refused:
            # Meanwhile the main session hears these devices; a clustered broker may refuse while it moves
            # sessions between nodes, so ask again.
            log.warning("the broker refused %d of the alarm session's subscriptions; asking again in %.0fs",
                        len(refused), SUBSCRIBE_RETRY_S)
            generation = self.link.generation

            def again() -> None:
                with self._lock:
                    still_wanted = [f for f in refused if f in self.wanted]
                if generation == self.link.generation and self.link.connected:
                    self._subscribe(still_wanted)

            timer = threading.Timer(SUBSCRIBE_RETRY_S, again)
            timer.daemon = True
            timer.start()

    def _on_messages(self, publishes: list[Publish], generation: int) -> None:
        others = []
        for message in publishes:
            if names_alarm(message.payload):
                self._deliver(Received(message.topic, message.payload, message.packet_id, message.qos, generation,
                                       urgent=True, session="alarm"))
            elif message.qos > 0:
                others.append(message.packet_id)
        if others:
            self.link.send((), others, generation)  # the main session stores (or dead-letters) its own copy

    def acknowledge(self, outcome: Outcome, tell_unit: bool) -> None:
        """After commit: the app-level ack to the unit, then the PUBACK, on this session (any thread)."""
        message = outcome.message
        ack = [(ack_topic(outcome.home_id, outcome.device_id), ack_payload(outcome))] if tell_unit else []  # type: ignore[arg-type]
        self.link.send(ack, [message.mid] if message.qos > 0 else [], message.generation)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        try:
            self.refresh()
        except psycopg.Error:
            log.exception("alarm session: could not read the alarm devices yet; the main session hears them")
        self.link.start()

    def stop(self) -> None:
        self.link.stop()

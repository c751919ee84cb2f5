"""The ingest process: a paho-mqtt network loop that only enqueues, and one writer thread that stores
batches and then acks.

Why this shape: paho's callbacks run on its network thread, and blocking there stalls keep-alives and
every other delivery, so `on_message` only appends to a queue. The writer takes whatever has arrived
(one event when idle, up to `ingest_batch_max` under load), commits it, and only then sends the
app-level ack to the home unit and the MQTT PUBACK to the broker (manual_ack). A crash before commit
leaves the message unacked in the hub's persistent session, so the broker delivers it again.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.subscribeoptions import SubscribeOptions

from alerts import engine
from alerts.model import label_of
from hub import db
from hub.mqtt import BrokerAddress, connect, make_client, parse_mqtt_url
from hub.settings import Settings
from ingest.contract import ALARM_TYPES, TOPIC_ROOT, Event, ack_topic, validate_event
from ingest.writer import EventWriter, Outcome, Received, ack_payload

log = logging.getLogger(__name__)
SUBSCRIPTION = f"{TOPIC_ROOT}/#"


class IngestService:
    def __init__(self, settings: Settings, database_url: str, mqtt_url: str) -> None:
        self.settings = settings
        self.database_url = database_url
        self.broker: BrokerAddress = parse_mqtt_url(mqtt_url)
        self.inbox: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.counts: Counter[str] = Counter()
        self.connected = threading.Event()  # set once subscribed: from then on nothing published is missed
        self._stop = threading.Event()
        self._generation = 0
        self._writer = EventWriter()
        self._conn: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None
        self.client = self._make_client()

    # -- MQTT side (network thread: never blocks) --------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = make_client(
            s.mqtt_client_id, self.broker, protocol=s.mqtt_protocol, persistent=True, manual_ack=True,
            username=self.broker.username or s.mqtt_username, password=self.broker.password or s.mqtt_password,
        )
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        return client

    def _on_connect(self, client: mqtt.Client, _userdata: object, _flags: object, reason: object,
                    _props: object = None) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker refused the hub's connection: %s", reason)
            return
        self._generation += 1
        if self.settings.mqtt_protocol == "5":
            # no_local: the hub does not need its own acks echoed back.
            client.subscribe(SUBSCRIPTION, options=SubscribeOptions(qos=1, noLocal=True))
        else:
            client.subscribe(SUBSCRIPTION, qos=1)
        log.info("connected to broker %s:%s (session %d)", self.broker.host, self.broker.port, self._generation)

    def _on_subscribe(self, *_args: object) -> None:
        self.connected.set()
        log.info("subscribed to %s; ingest ready", SUBSCRIPTION)

    def _on_disconnect(self, _client: mqtt.Client, _userdata: object, _flags: object, reason: object,
                       _props: object = None) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("lost the broker (%s); reconnecting, unacked messages will be redelivered", reason)

    def _on_message(self, _client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(Received(message.topic, message.payload, message.mid, message.qos, self._generation))

    # -- writer side -------------------------------------------------------------------------------

    def _take_batch(self) -> list[Received]:
        try:
            first = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.ingest_batch_wait_ms / 1000
        while len(batch) < self.settings.ingest_batch_max:
            try:
                batch.append(self.inbox.get_nowait())
            except queue.Empty:
                if self.inbox.empty() and time.monotonic() >= deadline:
                    break
                time.sleep(0.0005)
        return batch

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = db.connect(self.database_url)
        return self._conn

    def _store(self, batch: list[Received]) -> list[Outcome]:
        """Store a batch, waiting out database outages; a batch the database refuses is split so one
        bad message cannot hold back the others, and a single refused message is dead-lettered."""
        delay = 0.5
        while True:
            try:
                return self._writer.store(self._connection(), batch)
            except psycopg.OperationalError as exc:
                log.error("database unavailable (%s); retrying in %.1fs, nothing acked meanwhile", exc, delay)
                self._drop_connection()
                if self._stop.wait(delay):
                    raise
                delay = min(delay * 2, 10.0)
            except Exception as exc:  # a refused row or a fault of ours: isolate the message, never stall
                log.exception("storing a batch of %d failed; isolating the message that caused it", len(batch))
                self._connection().rollback()
                if len(batch) > 1:
                    middle = len(batch) // 2
                    return self._store(batch[:middle]) + self._store(batch[middle:])
                return [self._dead_letter_unstorable(batch[0], exc)]

    def _dead_letter_unstorable(self, message: Received, exc: Exception) -> Outcome:
        reason = f"could not be stored: {(str(exc).strip().splitlines() or [type(exc).__name__])[0]}"
        log.error("dead-lettering message on %s: %s", message.topic, reason)
        checked = validate_event(message.topic, message.payload, datetime.now(UTC))
        home, device, seq = checked.home_id, checked.device_id, checked.seq
        alarm = checked.type if isinstance(checked, Event) and checked.type in ALARM_TYPES else getattr(
            checked, "alarm_type", None)
        conn = self._connection()
        with conn.transaction():
            conn.execute(
                "INSERT INTO dead_letters (received_at, topic, payload, reason, home_id, device_id) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (datetime.now(UTC), message.topic.replace("\x00", ""), message.payload, reason, home, device),
            )
            raised = not (alarm and home) or self._raise_alarm_despite_fault(conn, home, device or "", alarm, reason)
        if not raised:
            return Outcome(message, "rejected", home, device, seq, reason, hold=True)
        return Outcome(message, "rejected", home, device, seq, reason)

    @staticmethod
    def _raise_alarm_despite_fault(conn: psycopg.Connection, home: str, device: str, alarm: str, reason: str) -> bool:
        """The event could not be stored, but the alarm it carries must still reach an operator. False
        when even that failed: the message is then left unacked, so the unit and the broker try again."""
        try:
            with conn.transaction():
                engine.trigger(conn, home_id=home, kind=alarm, device_id=device, at=datetime.now(UTC),
                               explanation=f"{label_of(alarm)} from {device}, which the hub {reason}; "
                                           "treat it as genuine")
            return True
        except Exception:
            log.critical("ALARM %s from %s/%s could not be raised; leaving it unacked for redelivery",
                         alarm, home, device, exc_info=True)
            return False

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def _acknowledge(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            self.counts[outcome.status] += 1
            if outcome.hold:
                continue
            if outcome.device_id and outcome.home_id and outcome.status != "ignored":
                self.client.publish(ack_topic(outcome.home_id, outcome.device_id), ack_payload(outcome), qos=1)
            if outcome.message.qos > 0 and outcome.message.generation == self._generation:
                # A message from an earlier connection will be redelivered; acking its stale mid could
                # ack something else, and the redelivery is absorbed as a duplicate anyway.
                self.client.ack(outcome.message.mid, outcome.message.qos)

    def _writer_loop(self) -> None:
        while not self._stop.is_set() or not self.inbox.empty():
            batch = self._take_batch()
            if not batch:
                if self._stop.is_set():
                    break
                continue
            try:
                outcomes = self._store(batch)
            except Exception:
                if self._stop.is_set():
                    break  # stopping during an outage: unacked messages stay with the broker
                # Whatever went wrong, this thread must live on: nothing in the batch was acked, so the
                # units retry it; drop the connection and carry on with what arrives next.
                log.exception("a batch of %d could not be stored or dead-lettered; left unacked", len(batch))
                self._drop_connection()
                self._stop.wait(1.0)
                continue
            self._acknowledge(outcomes)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        connect(self.client, self.broker, protocol=self.settings.mqtt_protocol, persistent=True,
                session_expiry_s=self.settings.mqtt_session_expiry_s)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._writer_loop, name="ingest-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what has arrived (store and ack it), then disconnect; the session keeps the rest."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.disconnect()
        self.client.loop_stop()
        self._drop_connection()

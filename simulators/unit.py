"""One simulated home unit (gateway): its own MQTT session, online/offline status, and events
held until the hub's app-level ack, resent byte for byte until one arrives (design.md §2).

The broker's PUBACK is not trusted as delivery; only the hub's ack on
`tec/v1/{home_id}/{device_id}/ack` settles an event.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt

from hub.mqtt import BrokerAddress, connect, make_client, parse_mqtt_url
from simulators.ledger import ACK_STATUSES, AckStats, EventLedger, EventRecord, format_ts

log = logging.getLogger(__name__)

RETRY_TICK_S = 0.5


def status_topic(home_id: str) -> str:
    return f"tec/v1/{home_id}/status"


def ack_topic_filter(home_id: str) -> str:
    return f"tec/v1/{home_id}/+/ack"


def _status_payload(state: str) -> bytes:
    # Connection state is about the real link, so it carries wall time even when events carry sim time.
    return json.dumps({"state": state, "ts": format_ts(datetime.now(UTC))}, separators=(",", ":")).encode()


class HomeUnit:
    """Thread-safe: `send` may be called from any thread; acks are recorded on paho's network thread.

    With `retry_thread=False` nothing resends on its own and the owner calls `resend_due()`
    periodically; a driver running many units uses one timer for all of them.
    """

    def __init__(
        self,
        home_id: str,
        broker: BrokerAddress | str,
        *,
        password: str | None = None,
        protocol: str = "5",
        retry_after_s: float = 5.0,
        max_retry_after_s: float = 60.0,
        seq_start: int = 1,
        retry_thread: bool = True,
        on_ack: Callable[[EventRecord], None] | None = None,
        clock: Callable[[], float] = time.time,
        keepalive_s: int = 30,
    ) -> None:
        self.home_id = home_id
        self.broker = parse_mqtt_url(broker) if isinstance(broker, str) else broker
        self.protocol = protocol
        self.keepalive_s = keepalive_s
        self.ledger = EventLedger(home_id, seq_start=seq_start, retry_after_s=retry_after_s,
                                  max_retry_after_s=max_retry_after_s)
        self._on_ack = on_ack
        self._clock = clock
        self._use_retry_thread = retry_thread
        self._send_lock = threading.Lock()
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._retry_thread: threading.Thread | None = None
        self.bad_acks = 0
        self.last_connect_error: str | None = None

        self.client = make_client(f"unit-{home_id}", self.broker, protocol=protocol,
                                  username=home_id, password=password)
        self.client.will_set(status_topic(home_id), _status_payload("offline"), qos=1, retain=True)
        self.client.on_connect = self._handle_connect
        self.client.on_disconnect = self._handle_disconnect
        self.client.on_message = self._handle_message
        self.client.on_subscribe = self._handle_subscribe

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Begin connecting in the background; `send` works at once (paho queues until connected)."""
        connect(self.client, self.broker, protocol=self.protocol, persistent=False, keepalive=self.keepalive_s)
        self.client.loop_start()
        if self._use_retry_thread:
            self._retry_thread = threading.Thread(target=self._retry_loop, name=f"retry-{self.home_id}",
                                                  daemon=True)
            self._retry_thread.start()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    @property
    def is_connected(self) -> bool:
        return self._connected.is_set()

    def stop(self, graceful: bool = True, timeout: float = 5.0) -> None:
        """Graceful: say `offline` and disconnect. Otherwise drop the link as a power cut would,
        so the broker publishes the last will."""
        self._stopping.set()
        if self._retry_thread is not None:
            self._retry_thread.join(timeout)
        if not graceful:
            self.client.loop_stop()
            sock = self.client.socket()
            if sock is not None:
                sock.close()
            self._connected.clear()
            return
        if self._connected.is_set():
            info = self.client.publish(status_topic(self.home_id), _status_payload("offline"), qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                log.warning("%s: offline status not confirmed by the broker", self.home_id)
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    # -- sending -----------------------------------------------------------------------------

    def send(self, device_id: str, type: str, value: float | int | None = None, room: str | None = None,
             ts: datetime | None = None, battery: int | None = None) -> EventRecord:
        """Publish one event with the device's next seq; it stays pending until the hub acks it."""
        moment = ts if ts is not None else datetime.now(UTC)
        # One lock over seq assignment and publish, so the broker sees each device's seqs in order.
        with self._send_lock:
            record = self.ledger.new_event(device_id, moment, type, self._clock(),
                                           value=value, room=room, battery=battery)
            self.client.publish(record.topic, record.payload, qos=1)
        return record

    def resend_due(self) -> int:
        """Resend (identical payload) every pending event whose retry time has come; returns how many."""
        if not self._connected.is_set():
            return 0  # paho resends its own unfinished publishes on reconnect; don't pile more on
        with self._send_lock:
            due = self.ledger.due_for_retry(self._clock())
            for record in due:
                self.client.publish(record.topic, record.payload, qos=1)
        return len(due)

    def _retry_loop(self) -> None:
        while not self._stopping.wait(RETRY_TICK_S):
            self.resend_due()

    # -- bookkeeping -------------------------------------------------------------------------

    def pending_count(self) -> int:
        return self.ledger.pending_count()

    @property
    def acked(self) -> int:
        return self.ledger.stats().acked

    def stats(self) -> AckStats:
        return self.ledger.stats()

    # -- paho callbacks (network thread: record and return, never block) --------------------

    def _handle_connect(self, client: mqtt.Client, _userdata: Any, _flags: Any,
                        reason_code: Any, _properties: Any) -> None:
        if reason_code.is_failure:
            self.last_connect_error = str(reason_code)
            log.warning("%s: broker refused connection: %s", self.home_id, reason_code)
            return
        self.last_connect_error = None
        client.subscribe(ack_topic_filter(self.home_id), qos=1)
        client.publish(status_topic(self.home_id), _status_payload("online"), qos=1, retain=True)
        self.ledger.postpone_all(self._clock())
        self._connected.set()

    def _handle_subscribe(self, client: mqtt.Client, _userdata: Any, _mid: int, reason_codes: Any,
                          _properties: Any = None) -> None:
        # A clustered broker may refuse a subscription while it moves a session between nodes; a unit that
        # gave up then would never hear another ack, so it asks again.
        if any(getattr(code, "is_failure", False) for code in reason_codes):
            log.warning("%s: broker refused the ack subscription (%s); asking again", self.home_id, reason_codes)
            timer = threading.Timer(1.0, lambda: client.subscribe(ack_topic_filter(self.home_id), qos=1))
            timer.daemon = True
            timer.start()

    def _handle_disconnect(self, _client: mqtt.Client, _userdata: Any, _flags: Any,
                           reason_code: Any, _properties: Any) -> None:
        self._connected.clear()
        if not self._stopping.is_set():
            log.info("%s: disconnected (%s); paho reconnects", self.home_id, reason_code)

    def _handle_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        parts = message.topic.split("/")
        if len(parts) != 5 or parts[2] != self.home_id or parts[4] != "ack":
            # Some brokers deliver retained messages outside the filter; they are not ours to read.
            log.debug("%s: ignoring message on %s", self.home_id, message.topic)
            return
        try:
            device_id = parts[3]
            body = json.loads(message.payload)
            seq, status = body["seq"], body["status"]
            if not isinstance(seq, int) or isinstance(seq, bool) or status not in ACK_STATUSES:
                raise ValueError(f"bad ack {body!r}")
            record = self.ledger.on_ack(device_id, seq, status, body.get("reason"), self._clock())
        except (ValueError, KeyError, IndexError, TypeError):
            self.bad_acks += 1
            log.warning("%s: unreadable ack on %s: %r", self.home_id, message.topic, message.payload[:200])
            return
        if record is not None and self._on_ack is not None:
            try:
                self._on_ack(record)
            except Exception:  # an observer's bug must not kill the network thread
                log.exception("%s: on_ack observer failed", self.home_id)

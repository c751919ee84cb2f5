"""The ingest process: an MQTT session whose I/O thread only enqueues, and two writer lanes (alarms, and
everything else) that store batches and then ack.

Why this shape: the session's callbacks run on its I/O thread, and blocking there stalls keep-alives and
every other delivery, so `_on_messages` only peeks at each event's type and appends it to a lane's queue.
Each lane takes whatever has arrived (one event when idle, up to `ingest_batch_max` under load), commits
it, and only then sends the app-level acks to the home units and the MQTT PUBACKs to the broker, one write
per batch (`ingest.mqtt_link`).
A crash before commit leaves the message unacked in the hub's persistent session, so the broker
delivers it again. Alarms have their own lane, and alarm-capable devices a second session of their own
(`ingest/alarm_session.py`), so a press waits neither behind a large batch of another home's activity
being committed nor behind a flood still in the main session's stream; the bulk lane applies each home's
rate limit.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import psycopg

from alerts import engine
from hub.mqtt import BrokerAddress, parse_mqtt_url
from hub.settings import Settings
from ingest.alarm_session import AlarmCopies, AlarmSession
from ingest.contract import TOPIC_ROOT, ack_topic, names_alarm
from ingest.lane import Lane
from ingest.mqtt_link import MqttLink
from ingest.mqtt_wire import Publish
from ingest.partition import HomeSubscriptions, Partition, chunks, home_filter
from ingest.ratelimit import FloodReport, HomeRateLimiter
from ingest.writer import Outcome, Received, ack_payload

log = logging.getLogger(__name__)
SUBSCRIPTION = f"{TOPIC_ROOT}/#"
SUBSCRIBE_RETRY_S = 2.0


def _event_home(topic: str) -> str | None:
    """The home of an event topic, cheaply (every bulk message passes here); the writer checks the rest."""
    parts = topic.split("/")
    return parts[2] if len(parts) == 5 and parts[4] == "event" else None


GC_YOUNG_THRESHOLD = 50_000  # allocations between young collections (Python's default: 700)


class IngestService:
    def __init__(self, settings: Settings, database_url: str, mqtt_url: str,
                 partition: Partition | None = None) -> None:
        self.settings = settings
        self.partition = partition or Partition()
        self.homes = HomeSubscriptions(self.partition)
        self._suback_pending: set[int] = set()  # SUBSCRIBEs of this connection the hub is not ready without
        self._subscribing: dict[int, list[str]] = {}  # packet id → its filters, until the SUBACK
        self._ready_retries = 0  # refused subscriptions the hub is not ready without, waiting to be asked again
        self._subscribe_lock = threading.RLock()
        self.database_url = database_url
        self.broker: BrokerAddress = parse_mqtt_url(mqtt_url)
        self.limiter = HomeRateLimiter(settings.ingest_home_rate_per_s, settings.ingest_home_burst)
        self._next_flood_check = 0.0
        self.counts: Counter[str] = Counter()
        self.connected = threading.Event()  # set once subscribed: from then on nothing published is missed
        self._stop = threading.Event()
        self._counts_lock = threading.Lock()
        # Alarms have a lane of their own: a pendant press never waits behind a big batch being committed.
        self._alarms = Lane("alarms", database_url, self._stop, batch_max=100, batch_wait_s=0.0,
                            on_outcomes=self._acknowledge)
        self._bulk = Lane("bulk", database_url, self._stop, batch_max=settings.ingest_batch_max,
                          batch_wait_s=settings.ingest_batch_wait_ms / 1000, screen=self._screen,
                          on_outcomes=self._acknowledge, on_idle=self._flag_floods)
        self.link = self._make_link()
        self.alarm_session = AlarmSession(settings, self.broker, self.partition, database_url,
                                          self._alarms.queue.put) if settings.ingest_alarm_session else None
        if self.alarm_session is not None:
            self._alarms.copies = AlarmCopies()

    # -- MQTT side (the link's I/O thread: never blocks) -------------------------------------------

    def _make_link(self) -> MqttLink:
        s = self.settings
        username = self.broker.username or s.mqtt_username or None
        return MqttLink(
            self.partition.client_id(s.mqtt_client_id), self.broker, v5=s.mqtt_protocol == "5", persistent=True,
            session_expiry_s=s.mqtt_session_expiry_s, username=username,
            password=(self.broker.password or s.mqtt_password or None) if username else None,
            on_connect=self._on_connect, on_publishes=self._on_messages, on_suback=self._on_subscribe,
            on_disconnect=self._on_disconnect,
        )

    def _on_connect(self, _session_present: bool) -> None:
        filters = [SUBSCRIPTION] if self.partition.whole else [home_filter(h) for h in self.homes.subscribed]
        with self._subscribe_lock:
            self._suback_pending, self._subscribing, self._ready_retries = set(), {}, 0
        if not filters:
            self._ready(f"partition {self.partition}: no registered homes yet")
        for chunk in chunks(filters):
            self._subscribe(chunk, needed_for_ready=True)

    def _subscribe(self, filters: list[str], needed_for_ready: bool = False) -> int:
        # With MQTT 5 the filters are no-local: the hub does not need its own acks echoed back. The lock is held
        # across the call so that a fast SUBACK cannot look for the packet id before it is recorded.
        with self._subscribe_lock:
            mid = self.link.subscribe(filters)
            self._subscribing[mid] = filters
            if needed_for_ready:
                self._suback_pending.add(mid)
        return mid

    def _on_subscribe(self, mid: int, granted: bytes) -> None:
        with self._subscribe_lock:
            filters = self._subscribing.pop(mid, [])
            refused = [f for f, code in zip(filters, granted, strict=False) if code >= 0x80]
            needed = mid in self._suback_pending
            self._suback_pending.discard(mid)
            if refused:
                # Not ready until the broker takes them: a clustered broker refuses subscriptions while it moves
                # sessions between nodes, and an ACL mistake must not look like a quiet hub either.
                log.error("the broker refused %d of the hub's subscriptions (e.g. %s); asking again in %.0fs. "
                          "If this goes on, check the hub account's ACL", len(refused), refused[0],
                          SUBSCRIBE_RETRY_S)
                self._ready_retries += needed
                self._retry_subscribe(refused, self.link.generation, needed)
            ready = not self._suback_pending and not self._ready_retries
        if ready and not self.connected.is_set():
            what = SUBSCRIPTION if self.partition.whole else (
                f"partition {self.partition}: {len(self.homes.subscribed)} homes")
            self._ready(what)

    def _retry_subscribe(self, filters: list[str], generation: int, needed_for_ready: bool) -> None:
        def again() -> None:
            if generation != self.link.generation or self._stop.is_set():
                return  # the new connection subscribed to everything anew
            with self._subscribe_lock:
                self._ready_retries -= needed_for_ready
                self._subscribe(filters, needed_for_ready)

        timer = threading.Timer(SUBSCRIBE_RETRY_S, again)
        timer.daemon = True
        timer.start()

    def _ready(self, what: str) -> None:
        self.connected.set()
        log.info("subscribed to %s; ingest ready", what)

    # -- partitioned workers: follow the registered homes ------------------------------------------

    def _registered_homes(self) -> list[str]:
        with psycopg.connect(self.database_url, application_name="telecare-hub-ingest") as conn:
            return [row[0] for row in conn.execute("SELECT home_id FROM homes")]

    def refresh_homes(self) -> tuple[int, int]:
        """Subscribe to owned homes registered since the last look, leave removed ones."""
        added, removed = self.homes.changes(self._registered_homes())
        for chunk in chunks(home_filter(h) for h in added):
            self._subscribe(chunk)
        for chunk in chunks(home_filter(h) for h in removed):
            self.link.unsubscribe(chunk)
        self.homes.applied(added, removed)
        if added or removed:
            log.info("partition %s: subscribed to %d new homes, left %d", self.partition, len(added), len(removed))
        return len(added), len(removed)

    def _follow_homes(self) -> None:
        while not self._stop.wait(self.settings.ingest_home_refresh_s):
            try:
                self.refresh_homes()
                if self.alarm_session is not None:
                    self.alarm_session.refresh()
            except Exception:  # the database may be down: the next look will catch up
                log.exception("partition %s: could not refresh the registered homes", self.partition)

    def _follow_alarm_devices(self) -> None:
        assert self.alarm_session is not None
        while not self._stop.wait(self.settings.ingest_home_refresh_s):
            try:
                self.alarm_session.refresh()
            except Exception:  # the database may be down; meanwhile the main session hears these devices too
                log.exception("could not refresh the alarm devices")

    def _on_disconnect(self, reason: str) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("lost the broker (%s); reconnecting, unacked messages will be redelivered", reason)

    def _on_messages(self, publishes: list[Publish], generation: int) -> None:
        to_alarms, to_bulk = self._alarms.queue.put, self._bulk.queue.put
        for message in publishes:
            urgent = names_alarm(message.payload)
            (to_alarms if urgent else to_bulk)(Received(message.topic, message.payload, message.packet_id,
                                                        message.qos, generation, urgent=urgent))

    # -- writer side -------------------------------------------------------------------------------

    def _screen(self, batch: list[Received]) -> list[Received]:
        """Apply each home's rate limit to its activity and technical events (never to alarms)."""
        now = time.monotonic()
        screened = []
        for message in batch:
            home_id = None if message.urgent else _event_home(message.topic)
            if home_id is not None and not self.limiter.admit(home_id, now):
                message = message._replace(throttled=(
                    f"rate limit: home {home_id} sent more than {self.settings.ingest_home_rate_per_s:g} "
                    f"events/s (burst {self.settings.ingest_home_burst}); kept here, not stored as an event. "
                    "Check the home unit and its sensors"))
            screened.append(message)
        return screened

    def _flag_floods(self) -> None:
        """Raise (or repeat) `home_flooding` for homes being limited; clear it once they have calmed down."""
        now = time.monotonic()
        if now < self._next_flood_check:
            return
        self._next_flood_check = now + 1.0
        reports, calm = self.limiter.due_reports(now), self.limiter.recovered(now)
        self.limiter.forget_idle(now)
        if not reports and not calm:
            return
        try:
            conn = self._bulk.connection()
            with conn.transaction():
                for report in reports:
                    self._raise_flood(conn, report)
                for home_id in calm:
                    engine.clear(conn, home_id=home_id, kind="home_flooding", at=datetime.now(UTC),
                                 reason="the home's event rate is back under its limit")
        except Exception:
            # Flagging is advice to operators; the events themselves are already kept as dead letters.
            log.exception("could not raise or clear home_flooding alerts for %s", [r.home_id for r in reports])
            self._bulk.drop_connection()

    def _raise_flood(self, conn: psycopg.Connection, report: FloodReport) -> None:
        s = self.settings
        log.warning("home %s is flooding: %d events over its limit kept as dead letters", report.home_id,
                    report.throttled)
        engine.trigger(
            conn, home_id=report.home_id, kind="home_flooding", at=datetime.now(UTC),
            explanation=(f"The home unit sent more than {s.ingest_home_rate_per_s:g} events a second "
                         f"(burst {s.ingest_home_burst}); {report.throttled_total} activity or technical events "
                         "were kept as dead letters instead of being stored. Alarms are still taken. "
                         "Check the unit and its sensors (a stuck sensor or a unit resending in a loop)."),
        )

    def _acknowledge(self, outcomes: list[Outcome]) -> None:
        """After commit: the app-level acks to the units, then the PUBACKs to the broker, on the session that
        delivered each message. Called from both lanes' threads; both sessions are thread-safe."""
        with self._counts_lock:
            for outcome in outcomes:
                self.counts[outcome.status] += 1
        acks: list[tuple[str, bytes]] = []
        pubacks: dict[int, list[int]] = {}  # by the connection that delivered them
        for outcome in outcomes:
            if outcome.hold:
                continue
            message = outcome.message
            tell_unit = outcome.device_id and outcome.home_id and outcome.status != "ignored" and not outcome.twin
            if message.session == "alarm" and self.alarm_session is not None:
                self.alarm_session.acknowledge(outcome, bool(tell_unit))
                continue
            if tell_unit:
                acks.append((ack_topic(outcome.home_id, outcome.device_id), ack_payload(outcome)))  # type: ignore[arg-type]
            if message.qos > 0:
                # A message from an earlier connection will be redelivered; acking its stale id could ack
                # something else, and the redelivery is absorbed as a duplicate anyway (the link drops those).
                pubacks.setdefault(message.generation, []).append(message.mid)
        if not pubacks:
            if acks:
                self.link.send(acks, (), self.link.generation)
            return
        for generation, ids in pubacks.items():
            self.link.send(acks, ids, generation)
            acks = []

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        _collect_garbage_less_often()
        if not self.partition.whole:
            # Known before connecting, so the first SUBSCRIBE already covers every owned home.
            self.homes.applied(self.homes.changes(self._registered_homes())[0], ())
            threading.Thread(target=self._follow_homes, name="ingest-homes", daemon=True).start()
        self.link.start()
        if self.alarm_session is not None:
            self.alarm_session.start()
            if self.partition.whole:
                threading.Thread(target=self._follow_alarm_devices, name="ingest-alarm-devices", daemon=True).start()
        self._alarms.start()
        self._bulk.start()
        threading.Thread(target=self._report_progress, name="ingest-progress", daemon=True).start()

    def _report_progress(self, every_s: float = 60.0) -> None:
        """A line a minute on what ingest did: what an operator checks first when homes say acks are slow."""
        last: Counter[str] = Counter()
        while not self._stop.wait(every_s):
            with self._counts_lock:
                now = Counter(self.counts)
            done = now - last
            last = now
            if done or self.link.in_flight:
                log.info("last %.0fs: %s; waiting in queues: %d alarms, %d other; acks to homes awaiting the "
                         "broker: %d", every_s, ", ".join(f"{n} {status}" for status, n in sorted(done.items()))
                         or "nothing", self._alarms.queue.qsize(), self._bulk.queue.qsize(), self.link.in_flight)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what has arrived (store and ack it), then disconnect; the session keeps the rest."""
        self._stop.set()
        self._alarms.join(timeout)
        self._bulk.join(timeout)
        self.link.stop()
        if self.alarm_session is not None:
            self.alarm_session.stop()


def _collect_garbage_less_often() -> None:
    """Each message makes a few small tuples, and under load tens of thousands wait in the queues. With
    Python's default thresholds the cyclic collector then runs every few hundred messages and, every few
    thousand, walks everything queued: a sixth of ingest's CPU in a profile under a flood. Ingest makes no
    reference cycles of its own, so the collector can run far less often; what was imported at start-up is
    set aside from it for good."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 50, 100)

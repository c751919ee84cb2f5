"""Simulated homes publishing a steady stream for fault tests, with a record of every ack they get.

Each home is a real `simulators.unit.HomeUnit`: its own MQTT session, every event held until the
hub's app-level ack and resent byte for byte until one comes. The stream notes each ack as an
`AckedEvent` (hub/verify.py), so a test can compare what the homes were told against the database
with `hub.verify.compare`: nothing acked lost, nothing stored twice, every alarm alerted.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable

import psycopg

from hub.verify import AckedEvent, Report, compare, load_database
from simulators.homes import HomeSpec
from simulators.ledger import EventRecord
from simulators.unit import HomeUnit
from tests.support.home import clear_retained_statuses


def wait_until(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    """Poll `condition` until it holds; fail with `what` after a generous `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for: {what}")
        time.sleep(every)


class HomeStream:
    """Homes sending motion, with a share of pendant presses and pull cords, at `events_per_s` in all."""

    def __init__(self, specs: list[HomeSpec], broker_url: str, protocol: str, *, events_per_s: float = 30.0,
                 alarm_share: float = 0.1, seed: int = 1) -> None:
        self.specs = specs
        self.broker_url = broker_url
        self.protocol = protocol
        self.events_per_s = events_per_s
        self.alarm_share = alarm_share
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._acked: list[AckedEvent] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._publish, name="home-stream", daemon=True)
        # Retries come quickly so a test's backlog drains in seconds, not the field's minutes.
        self.units = {spec.home_id: HomeUnit(spec.home_id, broker_url, protocol=protocol, retry_after_s=1.0,
                                             max_retry_after_s=3.0, keepalive_s=5,
                                             on_ack=lambda record, home=spec.home_id: self._note_ack(home, record))
                      for spec in specs}

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        for unit in self.units.values():
            unit.start()
        for unit in self.units.values():
            if not unit.wait_connected(15):
                raise RuntimeError(f"{unit.home_id} could not connect to the broker")
        self._thread.start()

    def stop_publishing(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def close(self) -> None:
        self.stop_publishing()
        for unit in self.units.values():
            unit.stop()
        # Units leave retained statuses behind; later tests' ingest would read them as news.
        clear_retained_statuses(self.broker_url, self.protocol, list(self.units))

    def __enter__(self) -> HomeStream:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def press_pendants(self) -> list[tuple[str, EventRecord]]:
        """A pendant press in every home, now: (home_id, record) for each."""
        return [(spec.home_id, self.units[spec.home_id].send(spec.find("pendant").device_id, "pendant_press"))
                for spec in self.specs]

    # -- what happened -----------------------------------------------------------------------------

    def sent_count(self) -> int:
        return sum(unit.stats().sent for unit in self.units.values())

    def acked_count(self) -> int:
        with self._lock:
            return len(self._acked)

    def acked(self) -> list[AckedEvent]:
        with self._lock:
            return list(self._acked)

    def pending_count(self) -> int:
        return sum(unit.pending_count() for unit in self.units.values())

    def wait_drained(self, timeout: float) -> None:
        wait_until(lambda: self.pending_count() == 0, timeout,
                   "every event the homes sent to be acked (the backlog to drain)", every=0.2)

    def verify(self, conn: psycopg.Connection) -> Report:
        """What the homes were acked against what the database holds (no console recording)."""
        ledger = self.acked()
        stored, open_per_key, alerts = load_database(conn, [event.key for event in ledger])
        return compare(ledger, stored, open_per_key, alerts, None)

    # -- threads -----------------------------------------------------------------------------------

    def _note_ack(self, home_id: str, record: EventRecord) -> None:
        event_type = json.loads(record.payload)["type"]
        with self._lock:
            self._acked.append(AckedEvent(home_id, record.device_id, record.seq, event_type, record.status or "",
                                          record.first_sent_at, record.acked_at or time.time()))

    def _publish(self) -> None:
        gap = 1.0 / self.events_per_s
        while not self._stop.wait(gap):
            spec = self._rng.choice(self.specs)
            unit = self.units[spec.home_id]
            if self._rng.random() < self.alarm_share:
                kind = self._rng.choice(["pendant", "pull_cord"])
                unit.send(spec.find(kind).device_id, "pendant_press" if kind == "pendant" else "pull_cord")
            else:
                device = spec.find("pir")
                unit.send(device.device_id, "motion", value=1, room=device.room)

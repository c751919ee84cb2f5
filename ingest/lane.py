"""One writer lane: a queue of received messages, its own database connection, and a thread that stores
what has arrived in batches and hands the outcomes back to be acked.

Ingest runs two lanes. Alarms have their own, so a pendant press never waits behind a large batch of
activity events being committed; everything else shares the bulk lane. A lane's thread survives any
fault: nothing in a batch that failed was acked, so the units and the broker send it again.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg

from alerts import engine
from alerts.model import label_of
from hub import db
from ingest.contract import ALARM_TYPES, Event, validate_event
from ingest.writer import EventWriter, Outcome, Received

if TYPE_CHECKING:
    from ingest.alarm_session import AlarmCopies

log = logging.getLogger(__name__)


class Lane:
    def __init__(self, name: str, database_url: str, stop: threading.Event, *, batch_max: int,
                 batch_wait_s: float, screen: Callable[[list[Received]], list[Received]] | None = None,
                 on_outcomes: Callable[[list[Outcome]], None], on_idle: Callable[[], None] | None = None) -> None:
        self.name = name
        self.queue: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self._database_url = database_url
        self._stop = stop
        self._batch_max = batch_max
        self._batch_wait_s = batch_wait_s
        self._screen = screen
        self._on_outcomes = on_outcomes
        self._on_idle = on_idle
        self._writer = EventWriter()
        self.copies: AlarmCopies | None = None  # the alarm lane: pairs alarms heard on both sessions
        self._conn: psycopg.Connection | None = None
        self._thread: threading.Thread | None = None

    # -- thread ------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"ingest-{self.name}", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
        self.drop_connection()

    def _run(self) -> None:
        while not self._stop.is_set() or not self.queue.empty():
            batch = self._take_batch()
            settled: list[Outcome] = []
            if batch and self.copies is not None:
                batch, settled, later = self.copies.split(batch)
                for message in later:
                    self.queue.put(message)
                if settled:
                    self._on_outcomes(settled)
            if batch:
                try:
                    outcomes = self._store(batch)
                except Exception:
                    if self._stop.is_set():
                        break  # stopping during an outage: unacked messages stay with the broker
                    # Nothing in the batch was acked, so the units retry it; carry on with what comes next.
                    log.exception("%s lane: a batch of %d could not be stored or dead-lettered; left unacked",
                                  self.name, len(batch))
                    self.drop_connection()
                    self._stop.wait(1.0)
                    continue
                if self.copies is not None:
                    self.copies.note(outcomes)
                self._on_outcomes(outcomes)
            elif self._stop.is_set() and not settled:
                break
            if self._on_idle is not None:
                self._on_idle()

    def _take_batch(self) -> list[Received]:
        """One message when idle, up to `batch_max` under load."""
        try:
            batch = [self.queue.get(timeout=0.2)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self._batch_wait_s
        while len(batch) < self._batch_max:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.0005)
        return self._screen(batch) if self._screen else batch

    # -- database ----------------------------------------------------------------------------------

    def connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = db.connect(self._database_url)
        return self._conn

    def drop_connection(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def _store(self, batch: list[Received]) -> list[Outcome]:
        """Store a batch, waiting out database outages; a batch the database refuses is split so one
        bad message cannot hold back the others, and a single refused message is dead-lettered."""
        delay = 0.5
        while True:
            try:
                return self._writer.store(self.connection(), batch)
            except psycopg.OperationalError as exc:
                log.error("database unavailable (%s); retrying in %.1fs, nothing acked meanwhile", exc, delay)
                self.drop_connection()
                if self._stop.wait(delay):
                    raise
                delay = min(delay * 2, 10.0)
            except Exception as exc:  # a refused row or a fault of ours: isolate the message, never stall
                log.exception("storing a batch of %d failed; isolating the message that caused it", len(batch))
                self.connection().rollback()
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
        conn = self.connection()
        with conn.transaction():
            conn.execute(
                "INSERT INTO dead_letters (received_at, topic, payload, reason, home_id, device_id) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (datetime.now(UTC), message.topic.replace("\x00", ""), message.payload, reason, home, device),
            )
            raised = not (alarm and home) or _raise_alarm_despite_fault(conn, home, device or "", alarm, reason)
        if not raised:
            return Outcome(message, "rejected", home, device, seq, reason, hold=True)
        return Outcome(message, "rejected", home, device, seq, reason)


def _raise_alarm_despite_fault(conn: psycopg.Connection, home: str, device: str, alarm: str, reason: str) -> bool:
    """The event could not be stored, but the alarm it carries must still reach an operator. False when
    even that failed: the message is then left unacked, so the unit and the broker try again."""
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

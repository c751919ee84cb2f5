"""Replay recorded home data (design.md "Recorded data (CSV)") over MQTT as the home units would send it.

One `HomeUnit` per home in the file publishes each line as an event (seq per device in file order),
retrying until the hub acks. Between recorded events each unit also sends a heartbeat for every
device seen in the file, every `heartbeat_interval_s` of event time, so that the hub's event-time
clock moves on through quiet periods as it would with a live unit.

The file is read twice: once to validate all of it and learn the homes and devices (nothing is
published from a file with an error in it), then again to publish, so its size doesn't matter.
"""

from __future__ import annotations

import csv
import heapq
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from models.readings import Reading
from simulators.history import HomeHistory
from simulators.ledger import AckStats, EventRecord, format_ts
from simulators.unit import HomeUnit

COLUMNS: tuple[str, ...] = ("ts", "home_id", "device_id", "type", "value", "room")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*\Z")    # usable as an MQTT topic level
_TYPE = re.compile(r"[a-z][a-z0-9_]*\Z")
_INT = re.compile(r"[+-]?\d+\Z")
CONNECT_TIMEOUT_S = 15.0
TICK_S = 0.05
RESEND_EVERY_S = 0.5
PROGRESS_EVERY_S = 1.0


class CsvError(ValueError):
    """A problem in a recorded-data file, with the line it is on (1 is the header)."""

    def __init__(self, path: str | Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path, self.line, self.problem = str(path), line, problem


@dataclass(frozen=True, slots=True)
class CsvEvent:
    line: int
    ts: datetime
    home_id: str
    device_id: str
    type: str
    value: float | int | None
    room: str | None


def _value(text: str) -> float | int | None:
    if not text:
        return None
    if _INT.match(text):
        return int(text)
    number = float(text)  # ValueError for anything else
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def iter_csv(path: str | Path) -> Iterator[CsvEvent]:
    """The file's events, checked line by line; raises `CsvError` at the first bad line."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise CsvError(path, 1, f"empty file: expected a header {','.join(COLUMNS)}")
        names = [name.strip() for name in header]
        missing = [name for name in COLUMNS if name not in names]
        if missing:
            raise CsvError(path, 1, f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                                    f"(header must name {','.join(COLUMNS)})")
        duplicated = sorted({name for name in names if names.count(name) > 1 and name in COLUMNS})
        if duplicated:
            raise CsvError(path, 1, f"column {', '.join(duplicated)} appears twice")
        where = [names.index(name) for name in COLUMNS]
        previous: datetime | None = None
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank lines carry nothing
            if len(row) != len(names):
                raise CsvError(path, line, f"expected {len(names)} fields, found {len(row)}")
            ts_text, home_id, device_id, type_, value_text, room = (row[i].strip() for i in where)
            try:
                ts = datetime.fromisoformat(ts_text)
            except ValueError:
                raise CsvError(path, line, f"bad ts {ts_text!r}: not an ISO 8601 time") from None
            if ts.tzinfo is None or ts.utcoffset() is None:
                raise CsvError(path, line, f"bad ts {ts_text!r}: no time zone (add Z or an offset)")
            for column, text in (("home_id", home_id), ("device_id", device_id)):
                if not _ID.match(text):
                    raise CsvError(path, line, f"bad {column} {text!r}: letters, digits and _.:- only")
            if not _TYPE.match(type_):
                raise CsvError(path, line, f"bad type {type_!r}")
            try:
                value = _value(value_text)
            except ValueError:
                raise CsvError(path, line, f"bad value {value_text!r}: not a number") from None
            if previous is not None and ts < previous:
                raise CsvError(path, line, f"out of order: ts {ts_text} is before the previous line's "
                                           f"{format_ts(previous)}")
            previous = ts
            yield CsvEvent(line, ts, home_id, device_id, type_, value, room or None)


def read_csv(path: str | Path) -> list[CsvEvent]:
    return list(iter_csv(path))


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def _stream(order: int, history: HomeHistory) -> Iterator[tuple[datetime, int, str, Reading]]:
    home_id = history.home.home_id
    return ((reading.ts, order, home_id, reading) for reading in history.readings)


def write_csv(histories: HomeHistory | Iterable[HomeHistory], path: str | Path) -> int:
    """Write the readings of one or more histories as recorded data, merged in time order; returns
    the number of events written. Heartbeats are not written: a replay makes its own."""
    items = [histories] if isinstance(histories, HomeHistory) else list(histories)
    streams = [_stream(n, h) for n, h in enumerate(items)]
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for ts, _, home_id, reading in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
            writer.writerow((format_ts(ts), home_id, reading.device_id, reading.type, _cell(reading.value),
                             reading.room or ""))
            count += 1
    return count


@dataclass
class ReplayStats:
    lines: int = 0                 # events in the file
    homes: int = 0
    devices: int = 0
    events_sent: int = 0
    heartbeats_sent: int = 0
    acked: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    pending: int = 0
    retries: int = 0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    event_time: datetime | None = None  # how far the replay has got, in event time
    elapsed_s: float = 0.0             # since the units came online
    stopped: bool = False               # ended early by `stop_event`

    @property
    def complete(self) -> bool:
        return not self.stopped and self.events_sent == self.lines and self.pending == 0


def _scan(path: str | Path) -> tuple[dict[str, dict[str, str | None]], ReplayStats]:
    homes: dict[str, dict[str, str | None]] = {}
    stats = ReplayStats()
    for event in iter_csv(path):
        devices = homes.setdefault(event.home_id, {})
        if devices.get(event.device_id) is None:
            devices[event.device_id] = event.room
        stats.lines += 1
        stats.first_ts = stats.first_ts or event.ts
        stats.last_ts = event.ts
    stats.homes, stats.devices = len(homes), sum(len(d) for d in homes.values())
    return homes, stats


def _timeline(path: str | Path, homes: dict[str, dict[str, str | None]], first: datetime, last: datetime,
              interval_s: float) -> Iterator[tuple[datetime, str, str, str, float | int | None, str | None]]:
    """The file's events with each device's heartbeats slotted in by event time, up to the last event.
    A home's devices beat at staggered offsets, as real ones drift apart."""
    interval = timedelta(seconds=interval_s)
    beats: list[tuple[datetime, int, str, str, str | None]] = []
    order = 0
    for home_id, devices in homes.items():
        for n, (device_id, room) in enumerate(devices.items()):
            beats.append((first + interval * (n + 1) / (len(devices) + 1), order, home_id, device_id, room))
            order += 1
    heapq.heapify(beats)
    for event in iter_csv(path):
        while beats and beats[0][0] <= event.ts:
            ts, n, home_id, device_id, room = heapq.heappop(beats)
            yield ts, home_id, device_id, "heartbeat", None, room
            if ts + interval <= last:
                heapq.heappush(beats, (ts + interval, n, home_id, device_id, room))
        yield event.ts, event.home_id, event.device_id, event.type, event.value, event.room


def _parse_speed(speed: float | str) -> float:
    if isinstance(speed, str):
        if speed.strip().lower() in ("max", "0"):
            return 0.0
        speed = float(speed)
    if speed < 0 or not math.isfinite(speed):
        raise ValueError(f"speed must be a positive number, 0 or 'max', not {speed!r}")
    return float(speed)


def replay_csv(path: str | Path, mqtt_url: str, speed: float | str, protocol: str = "5",
               heartbeat_interval_s: float = 300, stop_event: threading.Event | None = None,
               on_progress: Callable[[ReplayStats], None] | None = None, *, seq_start: int = 1,
               password: str | None = None, max_in_flight: int = 1000, drain_timeout_s: float = 60.0,
               connect_timeout_s: float = CONNECT_TIMEOUT_S) -> ReplayStats:
    """Publish the file's events, `speed` seconds of event time per wall second (0 or 'max': as fast as
    acks allow, with at most `max_in_flight` unacknowledged). Waits up to `drain_timeout_s` for the last
    acks, then disconnects. Raises `CsvError` before sending anything if the file is bad."""
    pace = _parse_speed(speed)
    if heartbeat_interval_s <= 0:
        raise ValueError("heartbeat_interval_s must be positive")
    stop_event = stop_event or threading.Event()
    homes, stats = _scan(path)
    if stats.lines == 0:
        return stats
    assert stats.first_ts is not None and stats.last_ts is not None
    run = _Run(stats, stop_event, on_progress, max_in_flight)
    units = run.units = {home_id: HomeUnit(home_id, mqtt_url, password=password, protocol=protocol,
                                           seq_start=seq_start, retry_thread=False, on_ack=run.on_ack)
                         for home_id in homes}
    try:
        _connect(units, mqtt_url, connect_timeout_s)
        run.started = time.monotonic()  # event time starts to run once the units are online
        for ts, home_id, device_id, type_, value, room in _timeline(path, homes, stats.first_ts, stats.last_ts,
                                                                     heartbeat_interval_s):
            if pace > 0:
                run.wait_until(run.started + (ts - stats.first_ts).total_seconds() / pace)
            run.wait_for_room()
            if stop_event.is_set():
                break
            units[home_id].send(device_id, type_, value, room, ts=ts)
            run.sent += 1
            if type_ == "heartbeat":
                stats.heartbeats_sent += 1
            else:
                stats.events_sent += 1
            stats.event_time = ts
            run.tick()
        run.drain(drain_timeout_s)
    finally:
        for unit in units.values():
            unit.stop(graceful=True)
    run.refresh()
    stats.stopped = stop_event.is_set()
    if on_progress is not None:
        on_progress(stats)
    return stats


def _connect(units: dict[str, HomeUnit], mqtt_url: str, timeout_s: float) -> None:
    for unit in units.values():
        unit.start()
    deadline = time.monotonic() + timeout_s
    for unit in units.values():
        unit.wait_connected(max(deadline - time.monotonic(), 0))
    if not any(unit.is_connected for unit in units.values()):
        errors = sorted({unit.last_connect_error for unit in units.values() if unit.last_connect_error})
        detail = f": {', '.join(errors)}" if errors else ""
        raise ConnectionError(f"no home unit could connect to {mqtt_url}{detail}")


class _Run:
    """Pacing, flow control, retries and progress for one replay."""

    def __init__(self, stats: ReplayStats, stop_event: threading.Event,
                 on_progress: Callable[[ReplayStats], None] | None, max_in_flight: int) -> None:
        self.units: dict[str, HomeUnit] = {}
        self.stats, self.stop_event, self.on_progress = stats, stop_event, on_progress
        self.max_in_flight = max(1, max_in_flight)
        self.sent = 0
        self._acked = 0
        self._lock = threading.Lock()
        self.started = time.monotonic()
        self.next_resend = self.next_progress = self.started

    def on_ack(self, _record: EventRecord) -> None:
        # Counted here (paho's thread) so flow control needn't poll every unit's ledger per event.
        with self._lock:
            self._acked += 1

    def in_flight(self) -> int:
        with self._lock:
            return self.sent - self._acked

    def pending(self) -> int:
        return sum(unit.pending_count() for unit in self.units.values())

    def tick(self) -> None:
        now = time.monotonic()
        if now >= self.next_resend:
            for unit in self.units.values():
                unit.resend_due()
            self.next_resend = now + RESEND_EVERY_S
        if self.on_progress is not None and now >= self.next_progress:
            self.refresh()
            self.on_progress(self.stats)
            self.next_progress = now + PROGRESS_EVERY_S

    def wait_until(self, wall: float) -> None:
        while not self.stop_event.is_set() and (remaining := wall - time.monotonic()) > 0:
            self.stop_event.wait(min(remaining, TICK_S))
            self.tick()

    def wait_for_room(self) -> None:
        while not self.stop_event.is_set() and self.in_flight() >= self.max_in_flight:
            self.stop_event.wait(TICK_S / 5)
            self.tick()

    def drain(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self.pending() and time.monotonic() < deadline and not self.stop_event.is_set():
            self.stop_event.wait(TICK_S)
            self.tick()

    def refresh(self) -> None:
        totals = sum((unit.stats() for unit in self.units.values()), AckStats())
        stats = self.stats
        stats.acked, stats.stored, stats.duplicates = totals.acked, totals.stored, totals.duplicates
        stats.rejected, stats.pending, stats.retries = totals.rejected, totals.pending, totals.retries
        stats.elapsed_s = time.monotonic() - self.started

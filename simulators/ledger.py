"""A home unit's memory of what it sent: per-device seq, events awaiting the hub's ack, retries.

Kept apart from the MQTT client so the bookkeeping can be tested without a broker. Every method
takes `now` (wall seconds) from the caller; the ledger never reads a clock itself.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

ACK_STATUSES = frozenset({"stored", "duplicate", "rejected"})


def format_ts(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a `Z`, the form in design.md §2."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def event_topic(home_id: str, device_id: str) -> str:
    return f"tec/v1/{home_id}/{device_id}/event"


def event_payload(seq: int, ts: datetime, type_: str, value: float | int | None = None,
                  room: str | None = None, battery: int | None = None) -> bytes:
    """The event JSON; fields that are None are left out rather than sent as null."""
    body: dict[str, object] = {"v": 1, "seq": seq, "ts": format_ts(ts), "type": type_}
    optional = {"value": value, "room": room, "battery": battery}
    body.update({key: val for key, val in optional.items() if val is not None})
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class EventRecord:
    device_id: str
    seq: int
    topic: str
    payload: bytes               # resent byte for byte: a retry must be the identical event
    first_sent_at: float
    last_sent_at: float
    next_retry_at: float
    attempts: int = 1
    acked_at: float | None = None
    status: str | None = None
    reason: str | None = None

    @property
    def latency_s(self) -> float | None:
        """First publish to first ack, retries included."""
        return None if self.acked_at is None else self.acked_at - self.first_sent_at


@dataclass(frozen=True)
class AckStats:
    sent: int = 0
    acked: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    pending: int = 0
    retries: int = 0
    late_acks: int = 0       # acks for events already acked (e.g. the original and its retry both answered)

    def __add__(self, other: AckStats) -> AckStats:
        return AckStats(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[int, ...]:
        return (self.sent, self.acked, self.stored, self.duplicates, self.rejected, self.pending,
                self.retries, self.late_acks)


class EventLedger:
    """Thread-safe: the sender, the retry timer and paho's network thread all call in."""

    def __init__(self, home_id: str, *, seq_start: int = 1, retry_after_s: float = 5.0,
                 max_retry_after_s: float = 60.0, backoff: float = 2.0, keep_latencies: int = 10_000) -> None:
        self.home_id = home_id
        self.seq_start = seq_start
        self.retry_after_s = retry_after_s
        self.max_retry_after_s = max_retry_after_s
        self.backoff = backoff
        self._lock = threading.Lock()
        self._last_seq: dict[str, int] = {}
        self._pending: dict[tuple[str, int], EventRecord] = {}
        self._latencies: deque[float] = deque(maxlen=keep_latencies)
        self._counts = {"sent": 0, "acked": 0, "stored": 0, "duplicate": 0, "rejected": 0,
                        "retries": 0, "late_acks": 0}

    def _retry_delay(self, attempts: int) -> float:
        return min(self.retry_after_s * self.backoff ** (attempts - 1), self.max_retry_after_s)

    def new_event(self, device_id: str, ts: datetime, type_: str, now: float, *,
                  value: float | int | None = None, room: str | None = None,
                  battery: int | None = None) -> EventRecord:
        """Give the event the device's next seq and hold it until acked."""
        with self._lock:
            seq = self._last_seq.get(device_id, self.seq_start - 1) + 1
            self._last_seq[device_id] = seq
            record = EventRecord(
                device_id=device_id, seq=seq, topic=event_topic(self.home_id, device_id),
                payload=event_payload(seq, ts, type_, value, room, battery),
                first_sent_at=now, last_sent_at=now, next_retry_at=now + self._retry_delay(1),
            )
            self._pending[(device_id, seq)] = record
            self._counts["sent"] += 1
            return record

    def due_for_retry(self, now: float) -> list[EventRecord]:
        """Pending events whose retry time has come, marked as resent now; in seq order per device."""
        with self._lock:
            due = [r for r in self._pending.values() if r.next_retry_at <= now]
            for record in due:
                record.attempts += 1
                record.last_sent_at = now
                record.next_retry_at = now + self._retry_delay(record.attempts)
            self._counts["retries"] += len(due)
            return due

    def postpone_all(self, now: float) -> None:
        """After a reconnect the MQTT client resends its own unfinished publishes; give those time first."""
        with self._lock:
            for record in self._pending.values():
                record.next_retry_at = max(record.next_retry_at, now + self._retry_delay(record.attempts))

    def on_ack(self, device_id: str, seq: int, status: str, reason: str | None, now: float) -> EventRecord | None:
        """Settle a pending event; returns it, or None when nothing was pending under that id."""
        if status not in ACK_STATUSES:
            raise ValueError(f"unknown ack status {status!r}")
        with self._lock:
            record = self._pending.pop((device_id, seq), None)
            if record is None:
                self._counts["late_acks"] += 1
                return None
            record.acked_at, record.status, record.reason = now, status, reason
            self._counts["acked"] += 1
            self._counts[status] += 1
            self._latencies.append(now - record.first_sent_at)
            return record

    def last_seq(self, device_id: str) -> int | None:
        with self._lock:
            return self._last_seq.get(device_id)

    def pending(self) -> list[EventRecord]:
        with self._lock:
            return list(self._pending.values())

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)

    def latencies(self) -> list[float]:
        """Ack latencies (seconds) of the most recent acked events."""
        with self._lock:
            return list(self._latencies)

    def stats(self) -> AckStats:
        with self._lock:
            c = self._counts
            return AckStats(sent=c["sent"], acked=c["acked"], stored=c["stored"], duplicates=c["duplicate"],
                            rejected=c["rejected"], pending=len(self._pending), retries=c["retries"],
                            late_acks=c["late_acks"])

"""Stores one batch of received MQTT messages in one transaction.

Events are inserted idempotently on their identity (home_id, device_id, seq), so a retry or a QoS 1
redelivery is stored once and reported as a duplicate. In the same transaction: device last-seen
times, the alerts that alarm-class and technical events raise, home unit status, and a dead-letter
row for anything that cannot be stored. The caller acks only after `store()` returns.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal, NamedTuple

import psycopg

from alerts import engine
from alerts.model import TECHNICAL_EVENT_CLEARS, TECHNICAL_EVENT_RAISES, label_of
from hub.failpoints import failpoint
from ingest.contract import (
    Event,
    EventClass,
    Rejection,
    UnitStatus,
    parse_topic,
    validate_event,
    validate_status,
)

AckStatus = Literal["stored", "duplicate", "rejected", "ignored"]
KNOWN_DEVICE_TTL_S = 300.0


class Received(NamedTuple):  # a tuple: one is made for every message, and a frozen dataclass costs 3x
    topic: str
    payload: bytes
    mid: int = 0
    qos: int = 1
    generation: int = 0  # which broker connection delivered it; acks go only to the same one
    urgent: bool = False  # names an alarm type: taken before anything else waiting
    throttled: str | None = None  # over its home's rate limit: kept as a dead letter with this reason
    session: str = "main"  # which of the worker's MQTT sessions delivered it ("main" or "alarm")


class Outcome(NamedTuple):
    message: Received
    status: AckStatus
    home_id: str | None = None
    device_id: str | None = None
    seq: int | None = None
    reason: str | None = None
    event: Event | None = None
    hold: bool = False  # not acked at all: the unit retries and the broker redelivers
    twin: bool = False  # the second copy of an alarm heard on both sessions: the first already told the unit


# A batch's rows travel as one JSON parameter: psycopg adapts Python lists to arrays element by element in
# Python, which was the largest part of storing a batch; json.dumps and PostgreSQL's JSON reader are C.
_INSERT_EVENTS = """
INSERT INTO events (home_id, device_id, seq, ts, received_at, type, value, room, battery)
SELECT v.h, v.d, v.q, v.t, %s, v.y, v.v, v.r, v.b
FROM json_to_recordset(%s::json) AS v(h text, d text, q bigint, t timestamptz, y text, v float8, r text, b smallint)
ON CONFLICT DO NOTHING
RETURNING home_id, device_id, seq
"""

# One UPDATE per batch for every device heard: last seen, last seq and battery, and the sequence counters
# (missing seqs are derived from them: last_seq - first_seq + 1 - stored_count). An event is out of order
# when a higher seq of its device was stored earlier (in an earlier transaction, or earlier in this batch);
# `d.last_seq` in the CTE is the value from before this update. The battery is the one reported with the
# device's highest seq that reported one.
_TOUCH_DEVICES = """
WITH e AS (
    SELECT v.h AS home_id, v.d AS device_id, v.q AS seq, v.b AS battery,
           max(v.q) OVER (PARTITION BY v.h, v.d ORDER BY v.o
                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_max
    FROM json_to_recordset(%s::json) AS v(h text, d text, q bigint, b smallint, o int)
), per_device AS (
    SELECT e.home_id, e.device_id, count(*) AS stored, min(e.seq) AS lowest, max(e.seq) AS highest,
           count(*) FILTER (WHERE e.seq < GREATEST(d.last_seq, e.earlier_max)) AS late,
           (array_agg(e.battery ORDER BY e.seq DESC) FILTER (WHERE e.battery IS NOT NULL))[1] AS battery
    FROM e JOIN devices d USING (home_id, device_id)
    GROUP BY e.home_id, e.device_id
)
UPDATE devices d
SET first_seq = LEAST(COALESCE(d.first_seq, p.lowest), p.lowest),
    stored_count = d.stored_count + p.stored,
    out_of_order = d.out_of_order + p.late,
    last_seen_at = GREATEST(d.last_seen_at, %s),
    last_seq = GREATEST(d.last_seq, p.highest),
    battery = COALESCE(p.battery, d.battery)
FROM per_device p
WHERE d.home_id = p.home_id AND d.device_id = p.device_id
"""


class EventWriter:
    """Owns the batch transaction; holds a cache of registered devices to spare a query per batch."""

    def __init__(self) -> None:
        self._known_until: dict[tuple[str, str], float] = {}

    def store(self, conn: psycopg.Connection, batch: Sequence[Received]) -> list[Outcome]:
        now = datetime.now(UTC)
        checked: list[Event | UnitStatus | Rejection | None] = [self._validate(m, now) for m in batch]
        with conn.transaction():
            checked = self._refuse_unregistered(conn, checked)
            events = [c for c in checked if isinstance(c, Event)]
            stored_keys = self._insert_events(conn, events, now)
            checked = self._refuse_reused_seqs(conn, checked, stored_keys)
            outcomes: list[Outcome] = []
            newly_stored: list[Event] = []
            for message, result in zip(batch, checked, strict=True):
                outcome = self._outcome(message, result, stored_keys, newly_stored)
                outcomes.append(outcome)
            self._touch_devices(conn, newly_stored, now)
            for event in newly_stored:
                self._raise_alerts(conn, event, now)
            for message, result, i in zip(batch, checked, range(len(batch)), strict=True):
                if isinstance(result, UnitStatus):
                    outcomes[i] = self._apply_status(conn, message, result, now)
            self._dead_letter(conn, [o for o in outcomes if o.status == "rejected"], now)
            self._raise_unreadable_alarms(conn, [c for c in checked if isinstance(c, Rejection) and c.alarm_type],
                                          now)
            failpoint("ingest.before_commit")
        return outcomes

    # -- validation -------------------------------------------------------------------------------

    @staticmethod
    def _validate(message: Received, now: datetime) -> Event | UnitStatus | Rejection | None:
        topic = parse_topic(message.topic)
        if topic is not None and topic.leaf == "ack":
            return None  # the hub's own acks echoed back by a broker without no-local: not input
        if topic is not None and topic.leaf == "status":
            return validate_status(message.topic, message.payload, now)
        result = validate_event(message.topic, message.payload, now, topic)
        if message.throttled and isinstance(result, Event) and result.event_class is not EventClass.ALARM:
            return Rejection(message.throttled, result.home_id, result.device_id, result.seq)
        return result

    def _refuse_unregistered(self, conn: psycopg.Connection, checked: list) -> list:
        now_mono = time.monotonic()
        wanted = {(c.home_id, c.device_id) for c in checked if isinstance(c, Event)}
        unknown = {key for key in wanted if self._known_until.get(key, 0.0) < now_mono}
        if unknown:
            homes, devices = zip(*unknown, strict=True)
            rows = conn.execute(
                """SELECT v.home_id, v.device_id, d.device_id IS NOT NULL, h.home_id IS NOT NULL
                   FROM unnest(%s::text[], %s::text[]) AS v(home_id, device_id)
                   LEFT JOIN devices d USING (home_id, device_id)
                   LEFT JOIN homes h ON h.home_id = v.home_id""",
                (list(homes), list(devices)),
            ).fetchall()
            reasons: dict[tuple[str, str], str] = {}
            for home_id, device_id, device_known, home_known in rows:
                if device_known:
                    self._known_until[(home_id, device_id)] = now_mono + KNOWN_DEVICE_TTL_S
                elif home_known:
                    reasons[(home_id, device_id)] = f"device {device_id!r} is not registered for home {home_id!r}"
                else:
                    reasons[(home_id, device_id)] = f"home {home_id!r} is not registered"
            checked = [
                Rejection(reasons[(c.home_id, c.device_id)], c.home_id, c.device_id, c.seq,
                          c.type if c.event_class is EventClass.ALARM else None)
                if isinstance(c, Event) and (c.home_id, c.device_id) in reasons else c
                for c in checked
            ]
        return checked

    @staticmethod
    def _refuse_reused_seqs(conn: psycopg.Connection, checked: list, stored_keys: set) -> list:
        """A seq already stored for different content is not a retry: the unit's counter went back (a
        reset or a swapped unit). Acking it `duplicate` would drop it silently, alarm included."""
        held: dict[tuple[str, str, int], tuple] = {}
        for c in checked:  # within the batch, the first copy of a key is the one the insert kept
            if isinstance(c, Event) and c.key in stored_keys:
                held.setdefault(c.key, (c.ts, c.type, c.value))
        earlier = {c.key for c in checked if isinstance(c, Event) and c.key not in stored_keys}
        if earlier:
            homes, devices, seqs = zip(*earlier, strict=True)
            for h, d, q, ts, type_, value in conn.execute(
                """SELECT e.home_id, e.device_id, e.seq, e.ts, e.type, e.value FROM events e
                   JOIN unnest(%s::text[], %s::text[], %s::bigint[]) AS k(home_id, device_id, seq)
                     ON (e.home_id, e.device_id, e.seq) = (k.home_id, k.device_id, k.seq)""",
                (list(homes), list(devices), list(seqs)),
            ):
                held[(h, d, q)] = (ts, type_, value)

        def reused(c: object) -> bool:
            return isinstance(c, Event) and c.key in held and held[c.key] != (c.ts, c.type, c.value)

        return [
            Rejection(f"seq {c.seq} was already used for a different event ({held[c.key][1]} at "
                      f"{held[c.key][0].isoformat()}); the unit's counter went back: reset it past "
                      f"{c.seq} or re-register the device", c.home_id, c.device_id, c.seq,
                      c.type if c.event_class is EventClass.ALARM else None)
            if reused(c) else c
            for c in checked
        ]

    # -- storage ----------------------------------------------------------------------------------

    @staticmethod
    def _insert_events(conn: psycopg.Connection, events: list[Event], now: datetime) -> set[tuple[str, str, int]]:
        if not events:
            return set()
        rows = _json([{"h": e.home_id, "d": e.device_id, "q": e.seq, "t": e.ts.isoformat(), "y": e.type, "v": e.value,
                       "r": e.room, "b": e.battery} for e in events])
        return {tuple(row) for row in conn.execute(_INSERT_EVENTS, (now, rows)).fetchall()}  # type: ignore[misc]

    @staticmethod
    def _outcome(message: Received, result: object, stored_keys: set, newly_stored: list[Event]) -> Outcome:
        if result is None:
            return Outcome(message, "ignored")
        if isinstance(result, Rejection):
            return Outcome(message, "rejected", result.home_id, result.device_id, result.seq, result.reason)
        if isinstance(result, UnitStatus):
            return Outcome(message, "ignored", result.home_id)  # replaced once the status is applied
        assert isinstance(result, Event)
        if result.key in stored_keys:
            stored_keys.discard(result.key)  # a second copy in the same batch is a duplicate
            newly_stored.append(result)
            return Outcome(message, "stored", result.home_id, result.device_id, result.seq, event=result)
        return Outcome(message, "duplicate", result.home_id, result.device_id, result.seq, event=result)

    @staticmethod
    def _touch_devices(conn: psycopg.Connection, events: list[Event], now: datetime) -> None:
        if events:
            conn.execute(_TOUCH_DEVICES, (_json([{"h": e.home_id, "d": e.device_id, "q": e.seq, "b": e.battery, "o": i}
                                                 for i, e in enumerate(events)]), now))

    @staticmethod
    def _raise_alerts(conn: psycopg.Connection, event: Event, now: datetime) -> None:
        where = f" in the {event.room}" if event.room else ""
        if event.event_class is EventClass.ALARM:
            engine.trigger(
                conn, home_id=event.home_id, kind=event.type, device_id=event.device_id, at=now,
                event_ts=event.ts, explanation=f"{label_of(event.type)} from {event.device_id}{where}",
            )
        elif event.type in TECHNICAL_EVENT_RAISES:
            kind = TECHNICAL_EVENT_RAISES[event.type]
            engine.trigger(
                conn, home_id=event.home_id, kind=kind, device_id=event.device_id, at=now, event_ts=event.ts,
                explanation=f"{label_of(kind)} reported by {event.device_id}{where}",
            )
        elif event.type in TECHNICAL_EVENT_CLEARS:
            engine.clear(conn, home_id=event.home_id, kind=TECHNICAL_EVENT_CLEARS[event.type],
                         device_id=event.device_id, at=now, reason=f"{event.type} at {event.ts.isoformat()}")

    @staticmethod
    def _apply_status(conn: psycopg.Connection, message: Received, status: UnitStatus, now: datetime) -> Outcome:
        """Statuses apply in arrival order, not by their `ts`: a unit's last will carries the time it
        connected, which is older than the "online" it published after, yet it is the newer news."""
        row = conn.execute("SELECT unit_state FROM homes WHERE home_id = %s FOR UPDATE", (status.home_id,)).fetchone()
        if row is None:
            return Outcome(message, "rejected", status.home_id, reason=f"home {status.home_id!r} is not registered")
        conn.execute(
            "UPDATE homes SET unit_state = %s, unit_state_ts = %s, unit_state_received_at = %s WHERE home_id = %s",
            (status.state, status.ts, now, status.home_id),
        )
        if row[0] == status.state:
            return Outcome(message, "duplicate", status.home_id)  # e.g. the retained copy seen again on resubscribe
        if status.state == "offline":
            engine.trigger(conn, home_id=status.home_id, kind="unit_offline", at=now, event_ts=status.ts,
                           explanation="The home unit went offline (its last will or an offline status); "
                                       "alarms from this home cannot reach the hub until it is back")
        else:
            engine.clear(conn, home_id=status.home_id, kind="unit_offline", at=now,
                         reason=f"unit back online at {status.ts.isoformat(timespec='seconds')}")
        return Outcome(message, "stored", status.home_id)

    @staticmethod
    def _raise_unreadable_alarms(conn: psycopg.Connection, rejections: list[Rejection], now: datetime) -> None:
        """A malformed message that names an alarm type still raises that alarm for a registered home:
        the dead letter keeps the evidence, and the operator still calls the resident."""
        if not rejections:
            return
        registered = {row[0] for row in conn.execute(
            "SELECT home_id FROM homes WHERE home_id = ANY(%s)", ([r.home_id for r in rejections],))}
        for rejection in rejections:
            if rejection.home_id in registered and rejection.alarm_type:
                engine.trigger(
                    conn, home_id=rejection.home_id, kind=rejection.alarm_type, device_id=rejection.device_id or "",
                    at=now, explanation=(f"{label_of(rejection.alarm_type)} in a malformed message from "
                                         f"{rejection.device_id} ({rejection.reason}); treat it as genuine"),
                )

    @staticmethod
    def _dead_letter(conn: psycopg.Connection, rejected: list[Outcome], now: datetime) -> None:
        if not rejected:
            return
        with conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO dead_letters (received_at, topic, payload, reason, home_id, device_id)
                   VALUES (%s, %s, %s, %s, %s, %s)""",
                [(now, _text(o.message.topic), o.message.payload, _text(o.reason or ""), o.home_id, o.device_id)
                 for o in rejected],
            )


_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _text(value: str) -> str:
    """PostgreSQL text cannot hold NUL; keep the evidence readable instead of failing the batch."""
    return value.replace("\x00", "\\0")


def ack_payload(outcome: Outcome) -> bytes:
    if not outcome.reason and outcome.seq is not None:  # nearly every ack: no need for the JSON encoder
        return b'{"seq":%d,"status":"%s"}' % (outcome.seq, outcome.status.encode())
    body: dict[str, object] = {"seq": outcome.seq, "status": outcome.status}
    if outcome.reason:
        body["reason"] = outcome.reason
    return json.dumps(body, separators=(",", ":")).encode()

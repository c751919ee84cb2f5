"""Alerts for `hub bench console`: a realistic queue of K unresolved alerts across simulated homes, and the
changes made to it while the console is watched, all through the real alert engine (alert row, audit row,
outbox row, NOTIFY on commit), as ingest, supervision, the behavioural models and operators make them.

A large queue is mostly technical faults and wellbeing concerns waiting for a working day; emergencies
are a small share, and some alerts are already taken on by an operator.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

from alerts import engine
from alerts.transitions import Acknowledge, Note, Resolve
from hub.seed import register_homes
from simulators.homes import HomeSpec, home_specs

ALERTS_PER_HOME = 4  # homes registered: K / this, so most homes carry several open alerts, as a busy centre's do
ACKNOWLEDGED_SHARE = 0.25
BATCH = 500  # alerts per transaction: commits stay short, and the seeding is not one huge NOTIFY queue

# kind -> (weight, device kinds the alert may name; None: the alert is about the home, not a device)
_MIX: dict[str, tuple[float, tuple[str, ...] | None]] = {
    "device_silent": (36, ("pir", "door", "bed", "fridge", "chair", "toilet", "power", "temperature", "smoke")),
    "battery_low": (18, ("pendant", "pir", "door", "smoke", "pull_cord")),
    "mains_fail": (2, ("unit",)),
    "no_activity_morning": (8, None),
    "prolonged_inactivity": (6, None),
    "missed_meal": (7, None),
    "night_wandering": (4, None),
    "door_open_night": (3, ("door",)),
    "cold_home": (3, ("temperature",)),
    "activity_decline": (7, None),
    "pendant_press": (3, ("pendant",)),
    "fall": (1.5, ("pendant",)),
    "pull_cord": (1, ("pull_cord",)),
    "smoke": (0.5, ("smoke",)),
}
_BEHAVIOURAL = {"no_activity_morning", "prolonged_inactivity", "missed_meal", "night_wandering", "door_open_night",
                "cold_home", "activity_decline"}
_EMERGENCIES = {"pendant_press", "fall", "pull_cord", "smoke"}


@dataclass
class SeededQueue:
    specs: list[HomeSpec]
    new_ids: list[int]  # open and not yet taken on
    acknowledged_ids: list[int]
    unused_keys: dict[str, list[tuple[str, str, float]]]  # per home: (kind, device_id) with no open alert yet
    operator_actor: str

    @property
    def open_alerts(self) -> int:
        return len(self.new_ids) + len(self.acknowledged_ids)


def _keys(spec: HomeSpec) -> list[tuple[str, str, float]]:
    """Every (kind, device_id) this home could have an open alert for, with the kind's weight shared out."""
    keys: list[tuple[str, str, float]] = []
    for kind, (weight, device_kinds) in _MIX.items():
        if device_kinds is None:
            keys.append((kind, "", weight))
            continue
        devices = [d.device_id for d in spec.devices if d.kind in device_kinds]
        keys.extend((kind, device_id, weight / len(devices)) for device_id in devices)
    return keys


def _explanation(kind: str, device_id: str, at: datetime, rng: random.Random) -> str:
    if kind == "device_silent":
        minutes = rng.randint(16, 600)
        return (f"Nothing heard from {device_id} for {minutes} min; it reports every 5 min "
                f"(last heard {(at - timedelta(minutes=minutes)).isoformat(timespec='seconds')})")
    if kind == "battery_low":
        return f"{device_id} reports {rng.randint(3, 15)}% battery"
    if kind in _BEHAVIOURAL:
        usual = rng.randint(6, 9)
        return (f"No activity by {usual + 2}:{rng.randint(0, 59):02d}; usually up by {usual}:{rng.randint(0, 59):02d} "
                f"(learned over {rng.randint(14, 60)} days, margin {rng.randint(20, 90)} min)")
    return ""


def _raise(conn: psycopg.Connection, spec: HomeSpec, kind: str, device_id: str, now: datetime,
           rng: random.Random) -> int:
    # Emergencies are minutes old; faults and concerns wait for days in a queue this long.
    age = timedelta(minutes=rng.uniform(0.5, 45)) if kind in _EMERGENCIES else timedelta(hours=rng.uniform(0.2, 96))
    at = now - age
    applied = engine.trigger(conn, home_id=spec.home_id, kind=kind, device_id=device_id, at=at,
                             event_ts=at - timedelta(minutes=rng.uniform(0, 30)),
                             explanation=_explanation(kind, device_id, at, rng))
    if kind in _BEHAVIOURAL:
        # As models.store.raise_finding stores a finding's numbers on the alert it raised.
        evidence = [[device.device_id, (at - timedelta(minutes=15 * i)).isoformat()]
                    for i, device in enumerate(spec.devices[3:3 + rng.randint(1, 6)])]
        conn.execute("UPDATE alerts SET confidence = %s, cold_start = %s, evidence = %s WHERE id = %s",
                     (round(rng.uniform(0.55, 0.97), 2), rng.random() < 0.1, json.dumps(evidence),
                      applied.alert_id))
    return applied.alert_id


def seed_open_alerts(conn: psycopg.Connection, count: int, operator_actor: str, seed: int = 1,
                     progress: Callable[[str], None] = print) -> SeededQueue:
    """Registers ceil(count / ALERTS_PER_HOME) homes and raises `count` open alerts on them, a quarter of
    them acknowledged by `operator_actor`. `conn` must not be in autocommit mode."""
    rng = random.Random(f"bench-console:{seed}")
    specs = home_specs(max(1, math.ceil(count / ALERTS_PER_HOME)), seed=seed)
    register_homes(conn, specs)
    conn.commit()
    remaining = {spec.home_id: _keys(spec) for spec in specs}
    now = datetime.now(UTC)
    queue = SeededQueue(specs, [], [], remaining, operator_actor)
    for start in range(0, count, BATCH):
        with conn.transaction():
            for index in range(start, min(count, start + BATCH)):
                spec = specs[index % len(specs)]
                keys = remaining[spec.home_id]
                kind, device_id, _ = keys.pop(rng.choices(range(len(keys)), [w for *_, w in keys])[0])
                alert_id = _raise(conn, spec, kind, device_id, now, rng)
                if rng.random() < ACKNOWLEDGED_SHARE:
                    engine.act(conn, alert_id, Acknowledge(actor=operator_actor, at=now))
                    queue.acknowledged_ids.append(alert_id)
                else:
                    queue.new_ids.append(alert_id)
        if (start // BATCH) % 4 == 3:
            progress(f"  {queue.open_alerts}/{count} alerts raised")
    return queue


@dataclass(frozen=True)
class Change:
    alert_id: int
    version: int  # the version the console must deliver (or a later one)
    action: str
    committed_at: float  # time.perf_counter() just after COMMIT returned
    removes: bool  # resolved: the alert leaves the open queue


class AlertChanges:
    """Changes an operator room and the hub make to the queue: acknowledgements, notes, resolutions and new
    alarms, each on an alert no other change touches (so every change is one delta with a known version),
    each committed in its own transaction through the engine."""

    def __init__(self, queue: SeededQueue, seed: int = 1) -> None:
        self.queue = queue
        self.rng = random.Random(f"bench-console-changes:{seed}")

    def make(self, conn: psycopg.Connection) -> Change:
        """One change, committed. `conn` must be in autocommit mode, so that the transaction is this change's."""
        queue, rng = self.queue, self.rng
        roll = rng.random()
        now = datetime.now(UTC)
        with conn.transaction():
            if roll < 0.5 and queue.new_ids:
                alert_id = queue.new_ids.pop(rng.randrange(len(queue.new_ids)))
                applied = engine.act(conn, alert_id, Acknowledge(actor=queue.operator_actor, at=now))
            elif roll < 0.7 and queue.acknowledged_ids:
                alert_id = queue.acknowledged_ids.pop(rng.randrange(len(queue.acknowledged_ids)))
                applied = engine.act(conn, alert_id, Note(actor=queue.operator_actor, at=now,
                                                          text="Rang the resident; engineer visit booked"))
            elif roll < 0.8 and queue.acknowledged_ids:
                alert_id = queue.acknowledged_ids.pop(rng.randrange(len(queue.acknowledged_ids)))
                applied = engine.act(conn, alert_id, Resolve(actor=queue.operator_actor, at=now,
                                                             outcome="technical_fixed"))
            else:
                spec = queue.specs[rng.randrange(len(queue.specs))]
                keys = queue.unused_keys[spec.home_id]
                kind, device_id, _ = keys.pop(rng.randrange(len(keys)))
                applied = engine.trigger(conn, home_id=spec.home_id, kind=kind, device_id=device_id, at=now,
                                         explanation=_explanation(kind, device_id, now, rng))
        committed_at = time.perf_counter()
        after = applied.change.after
        return Change(applied.alert_id, after.version, applied.change.action, committed_at,
                      after.handling.value == "resolved")

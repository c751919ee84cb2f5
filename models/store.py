"""The models' edge with PostgreSQL: readings in, baselines and feedback persisted, findings turned into
alerts through the alert engine (one alert per episode, its condition cleared when the episode ends).

Everything here takes a connection and runs in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from sys import intern

import psycopg

from alerts import engine
from models.baselines import FORMAT_VERSION, Baseline
from models.feedback import replay
from models.readings import Absence, Finding, Reading

READING_COLUMNS = "ts, device_id, type, value, room"


def readings_between(conn: psycopg.Connection, home_id: str, since: datetime, until: datetime, *,
                     heartbeats: bool = True) -> list[Reading]:
    """A home's readings in event time, oldest first (heartbeats move event time on; days-old ones don't
    matter to any detector, so warm-ups leave them out)."""
    rows = conn.execute(
        f"SELECT {READING_COLUMNS} FROM events WHERE home_id = %s AND ts >= %s AND ts < %s"
        + ("" if heartbeats else " AND type <> 'heartbeat'") + " ORDER BY ts, device_id, seq",
        (home_id, since, until),
    ).fetchall()
    # One string object per name in the process, not one per row: scorers keep them for every home.
    return [Reading(ts, intern(device_id), intern(type_), value, None if room is None else intern(room))
            for ts, device_id, type_, value, room in rows]


def latest_baseline(conn: psycopg.Connection, home_id: str) -> tuple[Baseline, int] | None:
    """The newest stored baseline; None when there is none or it is in an older format (retrain then)."""
    row = conn.execute(
        "SELECT params, version FROM baselines WHERE home_id = %s ORDER BY version DESC LIMIT 1", (home_id,)
    ).fetchone()
    if row is None or row[0].get("version") != FORMAT_VERSION:
        return None
    return Baseline.from_dict(row[0]), row[1]


def save_baseline(conn: psycopg.Connection, baseline: Baseline) -> int:
    """Store a new version; earlier versions stay for audit (which baseline judged which alert)."""
    row = conn.execute(
        """INSERT INTO baselines (home_id, version, params, trained_until, days_used, cold_start)
           SELECT %(home_id)s, COALESCE(max(version), 0) + 1, %(params)s, %(until)s, %(days)s, %(cold)s
           FROM baselines WHERE home_id = %(home_id)s
           RETURNING version""",
        {"home_id": baseline.home_id, "params": json.dumps(baseline.to_dict(), default=str),
         "until": baseline.trained_until, "days": baseline.days_used, "cold": baseline.cold_start},
    ).fetchone()
    return int(row[0])


def absences(conn: psycopg.Connection, home_id: str) -> list[Absence]:
    rows = conn.execute("SELECT starts_at, ends_at, reason FROM absences WHERE home_id = %s ORDER BY starts_at",
                        (home_id,)).fetchall()
    return [Absence(start, end, reason) for start, end, reason in rows]


def adjustments(conn: psycopg.Connection, home_id: str) -> dict[str, float]:
    """Operators' verdicts on this resident's behavioural alerts, replayed in order."""
    outcomes = conn.execute("SELECT kind, outcome FROM model_feedback WHERE home_id = %s ORDER BY id",
                            (home_id,)).fetchall()
    return replay((kind, outcome) for kind, outcome in outcomes)


def record_feedback(conn: psycopg.Connection, alert_id: int, home_id: str, kind: str, outcome: str) -> None:
    conn.execute(
        "INSERT INTO model_feedback (alert_id, home_id, kind, outcome) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (alert_id) DO NOTHING",
        (alert_id, home_id, kind, outcome),
    )


def raise_finding(conn: psycopg.Connection, finding: Finding, at: datetime) -> int | None:
    """One alert per episode: returns the alert id when this episode is new, None when already raised."""
    claimed = conn.execute(
        """INSERT INTO behaviour_episodes (home_id, kind, episode, onset, detected_at) VALUES (%s, %s, %s, %s, %s)
           ON CONFLICT DO NOTHING RETURNING episode""",
        (finding.home_id, finding.kind, finding.episode, finding.onset, finding.detected_at),
    ).fetchone()
    if claimed is None:
        return None
    explanation = finding.explanation
    applied = engine.trigger(conn, home_id=finding.home_id, kind=finding.kind, device_id=finding.device_id or "",
                             at=at, event_ts=finding.onset, explanation=explanation)
    conn.execute(
        "UPDATE alerts SET confidence = %s, cold_start = %s, evidence = %s WHERE id = %s",
        (finding.confidence, finding.cold_start,
         json.dumps([[device, ts.isoformat()] for device, ts in finding.evidence]), applied.alert_id),
    )
    conn.execute("UPDATE behaviour_episodes SET alert_id = %s WHERE home_id = %s AND kind = %s AND episode = %s",
                 (applied.alert_id, finding.home_id, finding.kind, finding.episode))
    return applied.alert_id


def active_alert_keys(conn: psycopg.Connection) -> dict[str, set[tuple[str, str]]]:
    """Per home, the (kind, device_id) of its behavioural alerts that are unresolved with their condition
    active: one query for every home, where a query per home per pass would dominate a scoring pass."""
    rows = conn.execute(
        """SELECT a.home_id, a.kind, a.device_id FROM alerts a
           WHERE a.handling <> 'resolved' AND a.condition = 'active'
             AND EXISTS (SELECT 1 FROM behaviour_episodes e
                         WHERE e.home_id = a.home_id AND e.kind = a.kind AND e.alert_id = a.id)""",
    ).fetchall()
    keys: dict[str, set[tuple[str, str]]] = {}
    for home_id, kind, device_id in rows:
        keys.setdefault(home_id, set()).add((kind, device_id))
    return keys


def clear_alerts(conn: psycopg.Connection, home_id: str, keys: Iterable[tuple[str, str]], now_event: datetime,
                 at: datetime) -> int:
    """Clear the condition of this home's alerts with these (kind, device_id): their episodes no longer hold."""
    cleared = 0
    for kind, device_id in keys:
        if engine.clear(conn, home_id=home_id, kind=kind, device_id=device_id, at=at,
                        reason=f"no longer holds at {now_event.isoformat(timespec='minutes')} (event time)"):
            cleared += 1
    return cleared

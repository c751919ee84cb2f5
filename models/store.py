"""The models' edge with PostgreSQL: readings in, baselines and feedback persisted, findings turned into
alerts through the alert engine (one alert per episode, its condition cleared when the episode ends).

Everything here takes a connection and runs in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from operator import itemgetter
from sys import intern
from typing import Any

import psycopg

from alerts import engine
from models.baselines import FORMAT_VERSION, Baseline
from models.feedback import replay
from models.readings import Absence, Finding, Reading
from models.slowing import MEASURES
from models.summary import DaySummary

READING_COLUMNS = "ts, device_id, type, value, room"
_MEASURES = tuple(measure.name for measure in MEASURES)  # each a column of day_summaries
_EVENT_ORDER = itemgetter(1, 2, 3)  # (ts, device_id, seq) of a _READINGS_OF row: readings_between's order
# Each home's readings from `since` to `until`, heartbeats only from `beats_since`: one query for a batch of homes,
# each home's range read from the events_home_ts index (as a join, the planner may choose to scan every home's
# events instead). Unordered: sorting a batch's rows would spill to disk; they are put in order per home.
_READINGS_OF = """
SELECT w.home_id, e.ts, e.device_id, e.seq, e.type, e.value, e.room
FROM unnest(%s::text[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[])
     AS w(home_id, since, beats_since, until)
CROSS JOIN LATERAL (
    SELECT ts, device_id, seq, type, value, room FROM events
    WHERE home_id = w.home_id AND ts >= w.since AND ts < w.until AND (type <> 'heartbeat' OR ts >= w.beats_since)
    OFFSET 0  -- kept a subquery a home, never flattened into a join
) e
"""


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


def readings_of(conn: psycopg.Connection, spans: Sequence[tuple[str, datetime, datetime, datetime]],
                ) -> dict[str, list[Reading]]:
    """Readings of many homes, each (home_id, since, beats_since, until): what `readings_between` gives for
    [since, until) without heartbeats before `beats_since`, in the same order, in one query."""
    columns: list[list[object]] = [[], [], [], []]
    for span in spans:
        for column, value in zip(columns, span, strict=True):
            column.append(value)
    rows_of: dict[str, list[tuple[Any, ...]]] = {}
    cursor = conn.cursor(binary=True)
    cursor.execute(_READINGS_OF, columns)
    while rows := cursor.fetchmany(20_000):
        for row in rows:
            own = rows_of.get(row[0])
            if own is None:
                own = rows_of[row[0]] = []
            own.append(row)
    found: dict[str, list[Reading]] = {}
    for home_id, rows in rows_of.items():
        rows.sort(key=_EVENT_ORDER)
        # One string object per name in the process, not one per row: scorers keep them for every home.
        found[intern(home_id)] = [Reading(ts, intern(device_id), intern(type_), value,
                                          None if room is None else intern(room))
                                  for _, ts, device_id, _, type_, value, room in rows]
    return found


def day_summaries(conn: psycopg.Connection, homes: Sequence[str], since: date) -> dict[str, list[DaySummary]]:
    """The stored summaries of the care days from `since` on, per home, oldest first."""
    found: dict[str, list[DaySummary]] = {}
    home, days = "", list[DaySummary]()
    cursor = conn.cursor(binary=True)
    cursor.execute(f"SELECT home_id, day, usable, pace, {', '.join(_MEASURES)} FROM day_summaries "
                   "WHERE home_id = ANY(%s) AND day >= %s ORDER BY home_id, day", (list(homes), since))
    while rows := cursor.fetchmany(20_000):
        for home_id, day, usable, pace, *values in rows:
            if home_id != home:
                home = home_id
                days = found.setdefault(home, [])
            measures = {name: value for name, value in zip(_MEASURES, values, strict=True) if value is not None}
            days.append(DaySummary(day, usable, pace, measures))
    return found


def save_day_summaries(conn: psycopg.Connection, summaries: Sequence[tuple[str, DaySummary]]) -> None:
    """Store finished days' summaries; a day already stored for a home stays as it was (it is summarised once)."""
    columns: list[list[object]] = [[] for _ in range(4 + len(_MEASURES))]
    for home_id, summary in summaries:
        for column, value in zip(columns, (home_id, summary.day, summary.usable, summary.pace,
                                           *(summary.measures.get(name) for name in _MEASURES)), strict=True):
            column.append(value)
    names = ", ".join(("home_id", "day", "usable", "pace", *_MEASURES))
    casts = ", ".join(["%s::text[]", "%s::date[]", "%s::boolean[]", "%s::float8[]"] + ["%s::float8[]"] * len(_MEASURES))
    # A home deleted meanwhile has no days to keep (nor a row for them to refer to).
    conn.execute(f"INSERT INTO day_summaries ({names}) SELECT * FROM unnest({casts}) AS s({names}) "
                 "WHERE EXISTS (SELECT 1 FROM homes h WHERE h.home_id = s.home_id) "
                 "ON CONFLICT (home_id, day) DO NOTHING", columns)


def forget_day_summaries(conn: psycopg.Connection, before: date) -> int:
    """Drop summaries of days older than any warm-up reads."""
    return conn.execute("DELETE FROM day_summaries WHERE day < %s", (before,)).rowcount


def latest_baseline(conn: psycopg.Connection, home_id: str) -> tuple[Baseline, int] | None:
    """The newest stored baseline; None when there is none or it is in an older format (retrain then)."""
    row = conn.execute(
        "SELECT params, version FROM baselines WHERE home_id = %s ORDER BY version DESC LIMIT 1", (home_id,)
    ).fetchone()
    if row is None or row[0].get("version") != FORMAT_VERSION:
        return None
    return Baseline.from_dict(row[0]), row[1]


def latest_baselines(conn: psycopg.Connection, homes: Sequence[str]) -> dict[str, Baseline]:
    """`latest_baseline` for many homes in one query; a home with none (or an older format) is left out."""
    rows = conn.execute(
        "SELECT DISTINCT ON (home_id) home_id, params FROM baselines WHERE home_id = ANY(%s) "
        "ORDER BY home_id, version DESC", (list(homes),)).fetchall()
    return {home_id: Baseline.from_dict(params) for home_id, params in rows if params.get("version") == FORMAT_VERSION}


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


def absences_of(conn: psycopg.Connection, homes: Sequence[str]) -> dict[str, list[Absence]]:
    """`absences` for many homes in one query (a home with none is left out)."""
    found: dict[str, list[Absence]] = {}
    for home_id, start, end, reason in conn.execute(
            "SELECT home_id, starts_at, ends_at, reason FROM absences WHERE home_id = ANY(%s) "
            "ORDER BY home_id, starts_at", (list(homes),)):
        found.setdefault(home_id, []).append(Absence(start, end, reason))
    return found


def adjustments_of(conn: psycopg.Connection, homes: Sequence[str]) -> dict[str, dict[str, float]]:
    """`adjustments` for many homes in one query (a home without feedback is left out)."""
    outcomes: dict[str, list[tuple[str, str]]] = {}
    for home_id, kind, outcome in conn.execute(
            "SELECT home_id, kind, outcome FROM model_feedback WHERE home_id = ANY(%s) ORDER BY id", (list(homes),)):
        outcomes.setdefault(home_id, []).append((kind, outcome))
    return {home_id: replay(pairs) for home_id, pairs in outcomes.items()}


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

"""`hub simulate --history DAYS`: weeks of simulated history written straight into PostgreSQL, fast.

The simulator's homes are registered, their readings (and, if asked, heartbeats) are COPYed into a
staging table and inserted idempotently, and registered absences (hospital stays) go to `absences`.
The labelled ground truth can be written to a JSON file for evaluation. No MQTT: this is for training
and evaluating the models, not for testing ingest.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from hub.seed import register_homes
from simulators.history import HomeHistory, generate_history, iter_rows

_STAGE = """CREATE TEMP TABLE IF NOT EXISTS events_load
            (home_id text, device_id text, seq bigint, ts timestamptz, type text, value float8, room text)
            ON COMMIT DELETE ROWS"""
_MOVE = """INSERT INTO events (home_id, device_id, seq, ts, received_at, type, value, room)
           SELECT home_id, device_id, seq, ts, ts, type, value, room FROM events_load
           ON CONFLICT DO NOTHING"""


def load_history(conn: psycopg.Connection, homes: int, days: int, seed: int, *, until: date | None = None,
                 heartbeats: bool = False, labels_path: Path | None = None, cutoff: datetime | None = None,
                 warmup_days: int = 21, progress: Callable[[str], None] = print) -> dict[str, int]:
    """Generate and store `days` days for `homes` homes ending yesterday (local), one transaction per home.

    With `cutoff`, today is included up to that instant, so live homes carry straight on from their
    history (the demo does this: a history that stopped at midnight would look like nobody got up)."""
    last_day = until or datetime.now(UTC).date()
    first_day = last_day - timedelta(days=days)
    span = days + (1 if cutoff else 0)
    totals = {"homes": 0, "rows": 0, "absences": 0, "anomalies": 0}
    labels: list[dict[str, object]] = []
    for history in generate_history(homes, span, seed, start=first_day, warmup_days=warmup_days):
        with conn.transaction():
            register_homes(conn, [history.home])
            conn.execute(_STAGE)
            with conn.cursor().copy("COPY events_load FROM STDIN") as copy:
                for row in iter_rows(history, with_heartbeats=heartbeats):
                    if cutoff is not None and row[3] >= cutoff:
                        break  # rows come in time order
                    copy.write_row(row)
                    totals["rows"] += 1
            conn.execute(_MOVE)
            for absence in history.absences:
                conn.execute("INSERT INTO absences (home_id, starts_at, ends_at, reason, recorded_by) "
                             "VALUES (%s, %s, %s, %s, 'simulated care record')",
                             (history.home.home_id, absence.start, absence.end, absence.reason))
                totals["absences"] += 1
        totals["homes"] += 1
        totals["anomalies"] += len(history.anomalies)
        labels.extend(_labels(history))
        progress(f"  {history.home.home_id}: {days} days stored ({totals['homes']}/{homes} homes, "
                 f"{totals['rows']:,} rows)")
    if labels_path is not None:
        labels_path.write_text(json.dumps(labels, indent=1, default=str))
    return totals


def _labels(history: HomeHistory) -> list[dict[str, object]]:
    return [{"label": "anomaly", **asdict(a)} for a in history.anomalies] + [
        {"label": "trap", **asdict(t)} for t in history.traps]

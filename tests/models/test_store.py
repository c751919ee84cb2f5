"""Baselines kept in PostgreSQL: the newest of the current format is used, an older format means retraining."""

from __future__ import annotations

import json

import psycopg

from models import store
from models.baselines import FORMAT_VERSION, Baseline
from simulators.homes import HomeSpec


def test_a_baseline_in_an_older_format_is_not_used(conn: psycopg.Connection, homes: list[HomeSpec],
                                                   baseline: Baseline) -> None:
    home_id = homes[0].home_id
    current = Baseline.from_dict(baseline.to_dict() | {"home_id": home_id})
    assert store.save_baseline(conn, current) == 1
    assert store.latest_baseline(conn, home_id) == (current, 1)
    old = current.to_dict() | {"version": FORMAT_VERSION - 1, "day_vectors": []}
    conn.execute("INSERT INTO baselines (home_id, version, params, trained_until, days_used, cold_start) "
                 "VALUES (%s, 2, %s, now(), 20, false)", (home_id, json.dumps(old, default=str)))
    assert store.latest_baseline(conn, home_id) is None  # the service retrains it

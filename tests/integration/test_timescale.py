"""The TimescaleDB storage path: runs where `CREATE EXTENSION timescaledb` works, skipped elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from hub import db

pytestmark = [pytest.mark.integration, pytest.mark.timescale]


@pytest.fixture
def timescale_conn(database_url: str):  # type: ignore[no-untyped-def]
    with psycopg.connect(database_url, autocommit=True) as conn:
        if db.storage_mode(conn) != "timescale":
            available = conn.execute(
                "SELECT default_version FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
            if available is None:
                pytest.skip("TimescaleDB is not installed on this PostgreSQL server; the plain path is tested instead")
            pytest.skip("TimescaleDB is installed but CREATE EXTENSION failed (is it in shared_preload_libraries?)")
        yield conn


def test_events_is_a_hypertable_with_compression_retention_and_hourly_aggregate(timescale_conn):
    conn = timescale_conn
    assert conn.execute("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'events'"
                        ).fetchone() == (1,)
    interval = conn.execute("""SELECT time_interval FROM timescaledb_information.dimensions
                               WHERE hypertable_name = 'events'""").fetchone()[0]
    assert interval == timedelta(days=1)
    jobs = {row[0] for row in conn.execute(
        "SELECT proc_name FROM timescaledb_information.jobs WHERE hypertable_name IN ('events', 'events_hourly')")}
    assert {"policy_compression", "policy_retention"} <= jobs
    assert conn.execute("SELECT 1 FROM timescaledb_information.continuous_aggregates "
                        "WHERE view_name = 'events_hourly'").fetchone() == (1,)


def test_retry_with_identical_ts_is_stored_once_on_the_hypertable(timescale_conn):
    conn = timescale_conn
    ts = datetime.now(UTC).replace(microsecond=0)
    insert = """INSERT INTO events (home_id, device_id, seq, ts, type) VALUES ('h', 'd', 1, %s, 'motion')
                ON CONFLICT DO NOTHING RETURNING seq"""
    assert conn.execute(insert, (ts,)).fetchone() == (1,)
    assert conn.execute(insert, (ts,)).fetchone() is None
    conn.execute("DELETE FROM events WHERE home_id = 'h'")

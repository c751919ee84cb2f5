"""Migrations applied to a real PostgreSQL: a new database gets the whole schema, and a database made by the
previous release (schema 009, with data in it) gets only what is new, its data kept (hub/db.py `migrate`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import psycopg
import pytest

from hub import db
from models import store
from models.slowing import MEASURES
from models.summary import DaySummary

pytestmark = pytest.mark.integration
PREVIOUS_RELEASE = 9  # the schema version before day_summaries


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A database with nothing in it, on the test server, dropped afterwards."""
    with db.scratch_database(database_url, "hub_migrate") as url:
        yield url


def _summaries_round_trip(url: str) -> None:
    summary = DaySummary(date(2026, 3, 2), True, 212.5, {"moving_pace": 150.25, "movement": 11.5})
    with psycopg.connect(url, autocommit=True) as conn:
        store.save_day_summaries(conn, [("home-0001", summary)])
        store.save_day_summaries(conn, [("home-0001", DaySummary(summary.day, False, None, {}))])  # kept once
        assert store.day_summaries(conn, ["home-0001"], date(2026, 3, 1)) == {"home-0001": [summary]}


def test_a_new_database_gets_every_migration(empty_database: str) -> None:
    mode, applied = db.migrate(empty_database)

    assert applied[-2:] == ["010_day_summaries", "011_devices_fillfactor"]
    assert len(applied) == len(db.load_migrations(mode))
    assert db.check_schema(empty_database) == mode
    with psycopg.connect(empty_database) as conn:
        columns = {row[0] for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'day_summaries'")}
        assert {m.name for m in MEASURES} <= columns, "a column for each slowing measure a summary keeps"
        assert conn.execute("SELECT reloptions FROM pg_class WHERE relname = 'devices'").fetchone() == (
            ["fillfactor=50"],), "room on each page for the device updates every ingest batch makes"
        conn.execute("INSERT INTO homes (home_id, address) VALUES ('home-0001', '1 Test Street')")
        conn.commit()
    _summaries_round_trip(empty_database)


def test_a_database_of_the_previous_release_keeps_its_data_and_gets_the_new_table(
        empty_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    current = db.load_migrations
    monkeypatch.setattr(db, "load_migrations",
                        lambda mode: [m for m in current(mode) if m.version <= PREVIOUS_RELEASE])
    mode, _ = db.migrate(empty_database)
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT to_regclass('day_summaries')").fetchone() == (None,)
        conn.execute("INSERT INTO homes (home_id, address) VALUES ('home-0001', '1 Test Street')")
        conn.execute("INSERT INTO baselines (home_id, version, params, trained_until, days_used, cold_start) "
                     "VALUES ('home-0001', 1, '{}', %s, 21, false)", (datetime(2026, 3, 1, tzinfo=UTC),))
        conn.commit()
    monkeypatch.setattr(db, "load_migrations", current)

    assert db.migrate(empty_database) == (mode, ["010_day_summaries", "011_devices_fillfactor"])
    assert db.migrate(empty_database) == (mode, []), "applying again changes nothing"
    assert db.check_schema(empty_database) == mode
    with psycopg.connect(empty_database) as conn:
        assert conn.execute("SELECT home_id, version, days_used FROM baselines").fetchall() == [("home-0001", 1, 21)]
    _summaries_round_trip(empty_database)

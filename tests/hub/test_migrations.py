"""The two storage paths' migration sets (hub/db.py `load_migrations`), read without a database."""

from __future__ import annotations

import re

import pytest

from hub.db import Migration, StorageMode, load_migrations

MODES: list[StorageMode] = ["plain", "timescale"]
_EVENTS_TABLE = re.compile(r"CREATE TABLE events\s*\((?P<body>.*?)\n\);", re.S | re.I)
_PRIMARY_KEY = re.compile(r"PRIMARY KEY\s*\((?P<columns>[^)]*)\)", re.I)


def events_primary_key(migrations: list[Migration]) -> list[str]:
    tables = [m for m in migrations if _EVENTS_TABLE.search(m.sql_text)]
    assert len(tables) == 1, "exactly one migration creates the events table"
    table = _EVENTS_TABLE.search(tables[0].sql_text)
    assert table is not None
    key = _PRIMARY_KEY.search(table["body"])
    assert key is not None, "the events table declares a primary key"
    return [column.strip() for column in key["columns"].split(",")]


@pytest.mark.parametrize("mode", MODES)
def test_versions_start_at_one_and_increase_without_gaps(mode: StorageMode) -> None:
    versions = [m.version for m in load_migrations(mode)]

    assert versions == list(range(1, len(versions) + 1))
    assert len(versions) >= 3


@pytest.mark.parametrize("mode", MODES)
def test_only_shared_or_matching_variants_are_chosen(mode: StorageMode) -> None:
    variants = {m.variant for m in load_migrations(mode)}

    assert variants <= {None, mode}
    assert mode in variants


def test_both_paths_share_the_same_core_migration() -> None:
    plain, timescale = load_migrations("plain"), load_migrations("timescale")

    assert plain[0].variant is None
    assert plain[0] == timescale[0]


def test_timescale_path_makes_events_a_hypertable() -> None:
    migrations = load_migrations("timescale")

    assert any("create_hypertable('events'" in m.sql_text for m in migrations)


def test_plain_path_never_calls_timescale_functions() -> None:
    text = "\n".join(m.sql_text for m in load_migrations("plain")).lower()

    assert "create_hypertable" not in text
    assert "timescaledb" not in text
    assert "time_bucket" not in text


def test_timescale_events_key_includes_ts() -> None:
    assert events_primary_key(load_migrations("timescale")) == ["home_id", "device_id", "seq", "ts"]


def test_plain_events_key_is_the_event_identity_without_ts() -> None:
    assert events_primary_key(load_migrations("plain")) == ["home_id", "device_id", "seq"]


def test_timescale_continuous_aggregate_runs_outside_a_transaction() -> None:
    aggregates = [m for m in load_migrations("timescale") if "timescaledb.continuous" in m.sql_text]

    assert len(aggregates) == 1
    assert aggregates[0].runs_in_transaction is False


@pytest.mark.parametrize("mode", MODES)
def test_every_other_migration_runs_in_a_transaction(mode: StorageMode) -> None:
    others = [m for m in load_migrations(mode) if "timescaledb.continuous" not in m.sql_text]

    assert others
    assert all(m.runs_in_transaction for m in others)

"""Connections, versioned migrations, and which storage path (TimescaleDB or plain PostgreSQL) is active.

Migrations are `migrations/NNN_name.sql`, or a pair `NNN_name.timescale.sql` / `NNN_name.plain.sql`
when the two storage paths differ. A file whose first line is `-- hub: no-transaction` runs outside
a transaction (TimescaleDB continuous aggregates require it). Applying is idempotent and guarded by
an advisory lock, so several processes may call `migrate()` at start-up.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool
from psycopg_pool.base import AttemptWithBackoff

log = logging.getLogger(__name__)

StorageMode = Literal["timescale", "plain"]
_MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+?)(?:\.(timescale|plain))?\.sql$")
_MIGRATION_LOCK_KEY = 7_460_001  # any constant shared by every hub process
NO_TRANSACTION_MARK = "-- hub: no-transaction"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    variant: str | None  # None: same for both storage paths
    sql_text: str

    @property
    def runs_in_transaction(self) -> bool:
        return not self.sql_text.lstrip().startswith(NO_TRANSACTION_MARK)


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=autocommit, application_name="telecare-hub")


def steady_pool_reconnects() -> None:
    """Keep psycopg_pool's reconnect delay at about a second instead of doubling it after every failure.

    Doubling has no ceiling short of `reconnect_timeout` (5 minutes): after a few short database outages
    in a row a pool waited 30 s and more before its next try while the database was already back, and
    every console request and live update waited with it (seen in `hub chaos`). One attempt a second
    against a database that is down costs nothing. Applies to every pool in the process; idempotent."""
    AttemptWithBackoff.DELAY_BACKOFF = 1.0


@contextmanager
def scratch_database(admin_url: str, prefix: str = "hub_scratch") -> Iterator[str]:
    """The url of a new, empty database on the server of `admin_url` (for benchmarks, chaos runs and tests),
    dropped afterwards with whatever is still connected to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield psycopg.conninfo.make_conninfo(admin_url, dbname=name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def make_pool(url: str, *, min_size: int = 1, max_size: int = 8, name: str = "hub") -> ConnectionPool:
    """A pool whose connections are checked as they are handed out: after a database restart the idle
    ones are dead, and a caller must get a live one rather than fail."""
    steady_pool_reconnects()
    pool = ConnectionPool(
        url, min_size=min_size, max_size=max_size, name=name, open=False, check=ConnectionPool.check_connection,
        kwargs={"application_name": f"telecare-hub-{name}"},
    )
    pool.open(wait=True, timeout=30)
    return pool


def load_migrations(mode: StorageMode) -> list[Migration]:
    """The migrations that apply to this storage path, in version order."""
    chosen: dict[int, Migration] = {}
    for entry in resources.files("hub.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if not match:
            continue
        version, name, variant = int(match[1]), match[2], match[3]
        if variant is not None and variant != mode:
            continue
        if version in chosen:
            raise RuntimeError(f"two migrations share version {version:03d}: {chosen[version].name}, {name}")
        chosen[version] = Migration(version, name, variant, entry.read_text(encoding="utf-8"))
    return [chosen[v] for v in sorted(chosen)]


def _timescale_enabled(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone() is not None


def _try_enable_timescale(conn: psycopg.Connection) -> bool:
    """CREATE EXTENSION timescaledb if the server offers it; any failure means plain PostgreSQL."""
    if _timescale_enabled(conn):
        return True
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        return True
    except psycopg.Error as exc:
        log.info("TimescaleDB not available (%s); using plain PostgreSQL", str(exc).strip().splitlines()[0])
        return False


def storage_mode(conn: psycopg.Connection) -> StorageMode:
    """Which path the events table was created on (read from the migrations record)."""
    row = conn.execute(
        "SELECT variant FROM schema_migrations WHERE variant IS NOT NULL ORDER BY version LIMIT 1"
    ).fetchone()
    return "timescale" if row and row[0] == "timescale" else "plain"


def migrate(url: str, *, retention_days: int = 730, compress_after_days: int = 7) -> tuple[StorageMode, list[str]]:
    """Apply pending migrations. Returns the storage mode and the names applied in this call."""
    applied_now: list[str] = []
    with connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
        try:
            conn.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version integer PRIMARY KEY, name text NOT NULL, variant text,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            # A database created on one path stays on it; a fresh one uses Timescale when it can.
            mode: StorageMode = storage_mode(conn) if done else (
                "timescale" if _try_enable_timescale(conn) else "plain"
            )
            for migration in load_migrations(mode):
                if migration.version in done:
                    continue
                _apply(conn, migration)
                applied_now.append(f"{migration.version:03d}_{migration.name}")
            if mode == "timescale":
                _apply_timescale_policies(conn, retention_days, compress_after_days)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))
    return mode, applied_now


def _apply(conn: psycopg.Connection, migration: Migration) -> None:
    record = (
        "INSERT INTO schema_migrations (version, name, variant) VALUES (%s, %s, %s)",
        (migration.version, migration.name, migration.variant),
    )
    log.info("applying migration %03d_%s", migration.version, migration.name)
    if migration.runs_in_transaction:
        with conn.transaction():
            conn.execute(migration.sql_text.encode())
            conn.execute(*record)
    else:
        # Statements that refuse a transaction block run one by one, in autocommit.
        for statement in _split_statements(migration.sql_text):
            conn.execute(statement.encode())
        conn.execute(*record)


def _split_statements(text: str) -> list[str]:
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return [part.strip() for part in body.split(";") if part.strip()]


def _apply_timescale_policies(conn: psycopg.Connection, retention_days: int, compress_after_days: int) -> None:
    """Policies follow the settings on every start, so changing a setting takes effect on restart."""
    with conn.transaction():
        conn.execute("SELECT remove_compression_policy('events', if_exists => true)")
        conn.execute(
            "SELECT add_compression_policy('events', %s::interval)", (f"{compress_after_days} days",)
        )
        conn.execute("SELECT remove_retention_policy('events', if_exists => true)")
        conn.execute("SELECT add_retention_policy('events', %s::interval)", (f"{retention_days} days",))


class SchemaMissing(RuntimeError):
    pass


def check_schema(url: str) -> StorageMode:
    """The storage mode of a migrated database; SchemaMissing (saying what to run) if it is not migrated."""
    try:
        with connect(url) as conn:
            if conn.execute("SELECT to_regclass('schema_migrations')").fetchone()[0] is None:
                raise SchemaMissing("the database has no hub schema yet: run `hub migrate` first")
            latest = max(m.version for m in load_migrations(storage_mode(conn)))
            applied = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] or 0
            if applied < latest:
                raise SchemaMissing(f"the database schema is at {applied:03d}, this hub needs {latest:03d}: "
                                    "run `hub migrate`")
            return storage_mode(conn)
    except psycopg.OperationalError as exc:
        raise SchemaMissing(f"cannot reach the database ({str(exc).strip().splitlines()[0]}); "
                            "check DATABASE_URL and that PostgreSQL is running") from exc

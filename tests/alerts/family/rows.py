"""Family rows written straight into the tables of migration 007 (as the care-record import would), and a
worker loop that drives the outbox the way `hub alerts` does, at a chosen time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import psycopg

from alerts import engine, outbox
from hub.settings import Settings

CONSENTED = datetime(2025, 1, 6, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Relative:
    id: int
    resident_id: str


def add_relative(conn: psycopg.Connection, resident_id: str, *, name: str = "Rahima Begum", language: str = "en",
                 consent: bool = True, withdrawn: bool = False, alert_kinds: tuple[str, ...] = (),
                 quiet: tuple[time, time] | None = None, timezone: str = "Europe/London") -> Relative:
    row = conn.execute(
        """INSERT INTO family_members (resident_id, name, language, consent_given_at, consent_recorded_by,
                                       consent_withdrawn_at, alert_kinds, quiet_start, quiet_end, timezone)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id""",
        (resident_id, name, language, CONSENTED if consent else None, "Care record import" if consent else None,
         CONSENTED + timedelta(days=30) if withdrawn else None, list(alert_kinds),
         quiet[0] if quiet else None, quiet[1] if quiet else None, timezone),
    ).fetchone()
    return Relative(row[0], resident_id)


def add_channel(conn: psycopg.Connection, relative: Relative, channel: str, address: str, position: int = 1) -> int:
    return conn.execute(
        "INSERT INTO family_channels (family_member_id, channel, address, position) VALUES (%s, %s, %s, %s)"
        " RETURNING id", (relative.id, channel, address, position)).fetchone()[0]


def raise_alert(conn: psycopg.Connection, home_id: str, kind: str, at: datetime, device_id: str = "") -> int:
    with conn.transaction():
        return engine.trigger(conn, home_id=home_id, kind=kind, device_id=device_id, at=at).alert_id


def run_outbox(conn: psycopg.Connection, settings: Settings, now: datetime, rounds: int = 4) -> None:
    """Deliver what is due at `now`, as many rounds as a fan-out then its messages need."""
    for _ in range(rounds):
        outbox.deliver_due(conn, settings, now)


def notifications(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT family_member_id, status, language FROM family_notifications ORDER BY id").fetchall()

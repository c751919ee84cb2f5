"""Registers homes, residents and devices (the simulator's layouts) so their events are accepted."""

from __future__ import annotations

import psycopg

from simulators.homes import HomeSpec


def register_homes(conn: psycopg.Connection, homes: list[HomeSpec]) -> int:
    """Idempotent: re-running updates names and devices, never duplicates. Returns homes written."""
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """INSERT INTO homes (home_id, address) VALUES (%s, %s)
               ON CONFLICT (home_id) DO UPDATE SET address = EXCLUDED.address""",
            [(h.home_id, h.address) for h in homes],
        )
        cur.executemany(
            """INSERT INTO residents (resident_id, home_id, name, preferred_name) VALUES (%s, %s, %s, %s)
               ON CONFLICT (resident_id) DO UPDATE
               SET home_id = EXCLUDED.home_id, name = EXCLUDED.name, preferred_name = EXCLUDED.preferred_name""",
            [(h.resident_id, h.home_id, h.resident_name, h.preferred_name) for h in homes],
        )
        cur.executemany(
            """INSERT INTO devices (home_id, device_id, kind, room, heartbeat_interval_s) VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (home_id, device_id) DO UPDATE
               SET kind = EXCLUDED.kind, room = EXCLUDED.room, heartbeat_interval_s = EXCLUDED.heartbeat_interval_s""",
            [(h.home_id, d.device_id, d.kind, d.room, d.heartbeat_interval_s) for h in homes for d in h.devices],
        )
    return len(homes)

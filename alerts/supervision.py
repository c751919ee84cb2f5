"""Supervision: a device that has missed `heartbeat_misses` heartbeat intervals raises `device_silent`;
the alert's condition clears when the device is heard again (an operator still resolves it)."""

from __future__ import annotations

from datetime import datetime

import psycopg

from alerts import engine

_SILENT = """
SELECT d.home_id, d.device_id, COALESCE(d.last_seen_at, d.registered_at) AS last_heard, d.heartbeat_interval_s
FROM devices d
WHERE COALESCE(d.last_seen_at, d.registered_at) < %(now)s - make_interval(secs => d.heartbeat_interval_s * %(misses)s)
  AND NOT EXISTS (SELECT 1 FROM alerts a
                  WHERE a.home_id = d.home_id AND a.kind = 'device_silent' AND a.device_id = d.device_id
                    AND a.handling <> 'resolved' AND a.condition = 'active')
ORDER BY last_heard
LIMIT 500
"""

_HEARD_AGAIN = """
SELECT a.home_id, a.device_id, d.last_seen_at
FROM alerts a JOIN devices d USING (home_id, device_id)
WHERE a.kind = 'device_silent' AND a.handling <> 'resolved' AND a.condition = 'active'
  AND d.last_seen_at > a.updated_at
LIMIT 500
"""


def check_devices(conn: psycopg.Connection, now: datetime, misses: int) -> tuple[int, int]:
    """Raise and clear `device_silent` alerts. Returns (raised, cleared). Runs in one transaction."""
    raised = cleared = 0
    with conn.transaction():
        for home_id, device_id, last_heard, interval_s in conn.execute(_SILENT, {"now": now, "misses": misses}):
            minutes = (now - last_heard).total_seconds() / 60
            engine.trigger(
                conn, home_id=home_id, kind="device_silent", device_id=device_id, at=now,
                explanation=(f"Nothing heard from {device_id} for {minutes:.0f} min; it reports every "
                             f"{interval_s / 60:.0f} min (last heard {last_heard.isoformat(timespec='seconds')})"),
            )
            raised += 1
        for home_id, device_id, last_seen in conn.execute(_HEARD_AGAIN).fetchall():
            if engine.clear(conn, home_id=home_id, kind="device_silent", device_id=device_id, at=now,
                            reason=f"heard again at {last_seen.isoformat(timespec='seconds')}"):
                cleared += 1
    return raised, cleared

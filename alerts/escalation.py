"""Escalation: an emergency not acknowledged within `escalate_after_s` is escalated (highlighted on
the console, supervisor and responders notified through the outbox), and again every period after."""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg

from alerts import engine
from alerts.transitions import Escalate, TransitionRefused

_DUE = """
SELECT id FROM alerts
WHERE priority = 1 AND handling = 'new'
  AND COALESCE(escalated_at, raised_at) <= %s
ORDER BY raised_at
LIMIT 200
FOR UPDATE SKIP LOCKED
"""


def escalate_due(conn: psycopg.Connection, now: datetime, after_s: float) -> int:
    """Escalate every emergency that has waited too long. Returns how many were escalated."""
    escalated = 0
    with conn.transaction():
        for (alert_id,) in conn.execute(_DUE, (now - timedelta(seconds=after_s),)).fetchall():
            try:
                engine.act(conn, alert_id, Escalate(at=now))
                escalated += 1
            except TransitionRefused:
                continue  # acknowledged between the query and the lock: nothing to do
    return escalated

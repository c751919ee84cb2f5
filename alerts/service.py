"""The alert engine process (`hub alerts`): escalation, device supervision and outbox delivery on timers.
Several may run at once: each step takes its rows with SKIP LOCKED or relies on the dedup index."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

import psycopg

from alerts import escalation, outbox, supervision
from hub import db
from hub.settings import Settings

log = logging.getLogger(__name__)
SUPERVISION_EVERY_S = 5.0


def run_alert_engine(settings: Settings, database_url: str, stop: threading.Event, tick_s: float = 0.5) -> None:
    conn: psycopg.Connection | None = None
    last_supervision = 0.0
    while not stop.is_set():
        try:
            if conn is None or conn.closed:
                conn = db.connect(database_url, autocommit=True)
            now = datetime.now(UTC)
            if escalated := escalation.escalate_due(conn, now, settings.escalate_after_s):
                log.warning("escalated %d unacknowledged emergencies", escalated)
            if time.monotonic() - last_supervision >= SUPERVISION_EVERY_S:
                raised, cleared = supervision.check_devices(conn, now, settings.heartbeat_misses)
                if raised or cleared:
                    log.info("supervision: %d devices silent, %d heard again", raised, cleared)
                last_supervision = time.monotonic()
            outbox.deliver_due(conn, settings, now)
        except psycopg.OperationalError as exc:
            log.error("database unavailable (%s); retrying", exc)
            conn = None
            stop.wait(2.0)
        stop.wait(tick_s)
    if conn is not None:
        conn.close()

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
from models.service import BehaviourService

log = logging.getLogger(__name__)
SUPERVISION_EVERY_S = 5.0


def _score_behaviour(behaviour: BehaviourService, conn: psycopg.Connection, now: datetime) -> None:
    """Behavioural scoring must never take escalation and supervision down with it."""
    try:
        report = behaviour.score(conn, now)
        if report.raised or report.cleared:
            log.info("behaviour: %d homes scored, %d alerts raised, %d cleared",
                     report.homes, report.raised, report.cleared)
        behaviour.retrain_if_due(conn, now)
    except psycopg.OperationalError:
        raise
    except Exception:
        log.exception("behavioural scoring failed this pass; escalation and supervision carry on")


def run_alert_engine(settings: Settings, database_url: str, stop: threading.Event, tick_s: float = 0.5) -> None:
    conn: psycopg.Connection | None = None
    last_supervision = 0.0
    last_scoring = 0.0
    behaviour = BehaviourService(retrain_hour=settings.retrain_hour)
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
            if time.monotonic() - last_scoring >= settings.score_every_s:
                last_scoring = time.monotonic()
                _score_behaviour(behaviour, conn, now)
            outbox.deliver_due(conn, settings, now)
        except psycopg.OperationalError as exc:
            log.error("database unavailable (%s); retrying", exc)
            conn = None
            behaviour = BehaviourService(retrain_hour=settings.retrain_hour)  # rebuild from the database
            stop.wait(2.0)
        stop.wait(tick_s)
    if conn is not None:
        conn.close()

"""The alert engine process (`hub alerts`): escalation and device supervision, behavioural scoring, and
outbox delivery, each on its own thread with its own connection.

Why separate threads: escalation is safety-critical and fast; a slow webhook or a long scoring pass must
never hold it up. Several engine processes may run at once: each step takes its rows with SKIP LOCKED or
relies on the dedup index.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from alerts import escalation, outbox, supervision
from alerts.family import answers as family_answers
from hub import db
from hub.settings import Settings
from models.service import BehaviourService
from models.training import TrainingPool

log = logging.getLogger(__name__)
SUPERVISION_EVERY_S = 5.0
SCORING_NICENESS = 10  # added to the behavioural scoring thread's nice value (Linux)

Step = Callable[[psycopg.Connection, datetime], None]


def _run_every(name: str, step: Step, every_s: float, database_url: str, stop: threading.Event,
               niceness: int = 0) -> None:
    """Call `step` every `every_s` with a live connection, surviving database outages and its own faults."""
    if niceness:
        _lower_thread_priority(name, niceness)
    conn: psycopg.Connection | None = None
    while not stop.is_set():
        started = time.monotonic()
        try:
            if conn is None or conn.closed:
                conn = db.connect(database_url, autocommit=True)
            step(conn, datetime.now(UTC))
        except psycopg.OperationalError as exc:
            log.error("%s: database unavailable (%s); retrying", name, exc)
            conn = None
            stop.wait(2.0)
        except Exception:
            log.exception("%s: this pass failed; carrying on", name)
            if conn is not None and not conn.closed:
                conn.close()
            conn = None
            stop.wait(1.0)
        stop.wait(max(0.0, every_s - (time.monotonic() - started)))
    if conn is not None:
        conn.close()


def _lower_thread_priority(name: str, niceness: int) -> None:
    """Make the calling thread give way to the hub's other work when the cores are busy (Linux sets a nice
    value per thread; elsewhere this would apply to the whole process, so it is left alone there)."""
    if sys.platform != "linux":
        return
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + niceness)
    except OSError as exc:
        log.warning("%s: could not lower its CPU priority (%s); it runs at the usual priority", name, exc)


def run_alert_engine(settings: Settings, database_url: str, stop: threading.Event, tick_s: float = 0.5) -> None:
    last_supervision = [0.0]
    # Training runs in worker processes of its own: a nightly retrain of every home must never hold up scoring.
    trainer = TrainingPool(database_url, settings.model_train_workers)
    behaviour = BehaviourService(retrain_hour=settings.retrain_hour, trainer=trainer)

    def escalate_and_supervise(conn: psycopg.Connection, now: datetime) -> None:
        if escalated := escalation.escalate_due(conn, now, settings.escalate_after_s):
            log.warning("escalated %d unacknowledged emergencies", escalated)
        if time.monotonic() - last_supervision[0] >= SUPERVISION_EVERY_S:
            raised, cleared = supervision.check_devices(conn, now, settings.heartbeat_misses)
            if raised or cleared:
                log.info("supervision: %d devices silent, %d heard again", raised, cleared)
            last_supervision[0] = time.monotonic()

    def score_behaviour(conn: psycopg.Connection, now: datetime) -> None:
        report = behaviour.score(conn, now)
        if report.raised or report.cleared:
            log.info("behaviour: %d homes scored, %d alerts raised, %d cleared",
                     report.homes, report.raised, report.cleared)
        behaviour.retrain_if_due(conn, now)

    def deliver(conn: psycopg.Connection, now: datetime) -> None:
        outbox.deliver_due(conn, settings, now)

    def requeue_unanswered(conn: psycopg.Connection, now: datetime) -> None:
        # Relatives were asked and nobody answered in time: the alert goes back to the top of the queue.
        if requeued := family_answers.requeue_unanswered(conn, now, settings.family_answer_timeout_s):
            log.warning("%d alerts back in the queue: no family answer in time", requeued)

    workers = [
        threading.Thread(target=_run_every, name=name, daemon=True,
                         args=(name, step, every, database_url, stop, niceness))
        for name, step, every, niceness in (
            ("escalation", escalate_and_supervise, tick_s, 0),
            # A scoring pass keeps a core busy for seconds a minute at tens of thousands of homes; an alarm
            # on its way through ingest and the console must not wait behind it for a core.
            ("behaviour", score_behaviour, settings.score_every_s, SCORING_NICENESS),
            ("outbox", deliver, tick_s, 0),
            ("family-answers", requeue_unanswered, tick_s, 0),
        )
    ]
    if settings.fhir_base_url:  # keep residents in step with the council's care record
        from hub.care_record.fhir_client import sync_step

        workers.append(threading.Thread(target=_run_every, name="fhir-sync", daemon=True, args=(
            "fhir-sync", sync_step(settings.fhir_base_url, settings.fhir_home_identifier_system),
            settings.fhir_sync_every_s, database_url, stop)))
    for worker in workers:
        worker.start()
    stop.wait()
    for worker in workers:
        worker.join(15)
    trainer.close()

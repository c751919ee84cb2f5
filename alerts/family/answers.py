"""A relative's answer to an urgent or wellbeing alert, and what happens when none comes.

An answer is a `family_responses` row plus the FamilyAnswer transition (alerts/transitions.py), written in
the caller's transaction, so the answer, its audit row and the console's NOTIFY commit together. "I can't
help" puts the alert back at the top of the queue at once. When relatives were told and nobody has answered
by `family_answer_due`, `requeue_unanswered` (run by `hub alerts`) applies FamilyTimeout: the alert is new
again, marked requeued, at the top of its priority. A family channel is never a place where an alert waits
unseen.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from alerts import engine
from alerts.transitions import FamilyAnswer, FamilyTimeout, TransitionRefused

_DUE = """
SELECT id FROM alerts
WHERE family_answer_due <= %s AND handling <> 'resolved'
ORDER BY family_answer_due
LIMIT 200
FOR UPDATE SKIP LOCKED
"""


def record_answer(conn: psycopg.Connection, *, member_id: int, alert_id: int, answer: str, note: str,
                  now: datetime) -> engine.Applied:
    """Store the answer and apply it to the alert. Raises TransitionRefused (e.g. resolved, not answerable)."""
    applied = engine.act(conn, alert_id, FamilyAnswer(actor=f"family:{member_id}", at=now, answer=answer,
                                                      note=note))
    conn.execute("INSERT INTO family_responses (alert_id, family_member_id, at, answer, note) "
                 "VALUES (%s, %s, %s, %s, %s)", (alert_id, member_id, now, answer, note))
    return applied


def requeue_unanswered(conn: psycopg.Connection, now: datetime, timeout_s: float) -> int:
    """Put every alert whose relatives' answer is overdue back in the queue. Returns how many."""
    requeued = 0
    with conn.transaction():
        for (alert_id,) in conn.execute(_DUE, (now,)).fetchall():
            try:
                engine.act(conn, alert_id, FamilyTimeout(at=now, waited_s=timeout_s))
                requeued += 1
            except TransitionRefused:
                continue  # answered between the query and the lock
    return requeued

"""Live behavioural scoring against the real database: a labelled anomaly arriving in event time becomes
one explained alert, whatever pace the events arrive at, and an operator's verdict reaches the model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from hub.seed import register_homes
from models.service import BehaviourService
from simulators.history import HomeHistory, generate_history, iter_rows

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def history() -> HomeHistory:
    return next(generate_history(1, 40, seed=5))


COPY_EVENTS = "COPY events (home_id, device_id, seq, ts, type, value, room) FROM STDIN"


def _insert(conn: psycopg.Connection, rows: list[tuple]) -> None:
    with conn.cursor() as cur, cur.copy(COPY_EVENTS) as cp:
        for row in rows:
            cp.write_row(row)


def _live_through(conn: psycopg.Connection, history: HomeHistory, start: datetime, end: datetime,
                  step: timedelta) -> list[tuple]:
    """History before `start` is already there; then events arrive `step` of event time at a time."""
    rows = list(iter_rows(history, with_heartbeats=True))
    register_homes(conn, [history.home])
    _insert(conn, [r for r in rows if r[3] < start])
    service = BehaviourService()
    service.score(conn, datetime.now(UTC))
    cursor = start
    while cursor < end:
        _insert(conn, [r for r in rows if cursor <= r[3] < cursor + step])
        cursor += step
        service.score(conn, datetime.now(UTC))
        service.score(conn, datetime.now(UTC))  # scoring again with nothing new changes nothing
    return conn.execute("SELECT kind, first_event_ts, repeat_count, priority, confidence, explanation, evidence "
                        "FROM alerts ORDER BY id").fetchall()


def test_a_night_door_opening_becomes_one_explained_alert_at_the_event_time_it_happened(conn, history):
    anomaly = next(a for a in history.anomalies if a.kind == "door_open_night")
    alerts = _live_through(conn, history, anomaly.start - timedelta(hours=2), anomaly.end + timedelta(hours=3),
                           timedelta(minutes=10))
    assert len(alerts) == 1, alerts
    kind, onset, repeats, priority, confidence, explanation, evidence = alerts[0]
    assert (kind, repeats, priority) == ("door_open_night", 1, 2)
    assert abs(onset - anomaly.start) < timedelta(minutes=1), "the alert records when the condition arose"
    assert 0 < confidence <= 1 and "Front door opened at" in explanation and "usually" in explanation
    assert evidence and evidence[0][0] == "door-front"
    assert conn.execute("SELECT version FROM baselines").fetchone() == (1,)


def test_the_same_events_arriving_at_another_pace_give_the_same_alert(conn, history):
    anomaly = next(a for a in history.anomalies if a.kind == "door_open_night")
    alerts = _live_through(conn, history, anomaly.start - timedelta(hours=2), anomaly.end + timedelta(hours=3),
                           timedelta(minutes=47))
    assert [(a[0], a[1]) for a in alerts] == [("door_open_night", alerts[0][1])]
    assert abs(alerts[0][1] - anomaly.start) < timedelta(minutes=1)


def test_a_false_alarm_verdict_is_stored_for_the_model(conn, history, api):
    anomaly = next(a for a in history.anomalies if a.kind == "door_open_night")
    _live_through(conn, history, anomaly.start - timedelta(hours=1), anomaly.end + timedelta(minutes=30),
                  timedelta(minutes=30))
    alert_id = conn.execute("SELECT id FROM alerts").fetchone()[0]
    resolved = api.post(f"/api/alerts/{alert_id}/resolve", json={"operator": "ops", "outcome": "false_alarm"})
    assert resolved.status_code == 200
    assert conn.execute("SELECT kind, outcome FROM model_feedback WHERE alert_id = %s", (alert_id,)).fetchone() == (
        "door_open_night", "false_alarm")
    from models import store

    assert store.adjustments(conn, history.home.home_id)["door_open_night"] > 1.0

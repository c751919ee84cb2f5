"""Relatives' answers and their absence, against the real console, database and a local SMS gateway: an answer
shows on the alert and reaches the console live; no answer in time (or "I can't help") puts the alert back at
the top of the queue, from the `hub alerts` service too."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

from alerts import engine
from alerts.family import answers, links
from alerts.service import run_alert_engine
from alerts.transitions import FamilyTold
from hub.settings import Settings
from tests.alerts.family.rows import add_channel, add_relative, raise_alert, run_outbox
from tests.alerts.family.servers import HttpFarEnd

pytestmark = pytest.mark.integration
TIMEOUT_S = 1800.0


@pytest.fixture
def far_end() -> Iterator[HttpFarEnd]:
    with HttpFarEnd() as server:
        yield server


@pytest.fixture
def family_client(console) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=console.base_url, timeout=10, follow_redirects=False) as client:
        yield client


def _delta_for(ws, alert_id: int, timeout: float = 10.0) -> dict:  # type: ignore[no-untyped-def]
    """The next websocket delta about one alert (the snapshot and other alerts' deltas are passed over)."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
        if message["type"] == "alert" and message["alert"]["id"] == alert_id:
            return message["alert"]


def _now() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def _alert(conn, alert_id: int) -> tuple:  # type: ignore[no-untyped-def]
    return conn.execute("SELECT handling, requeued_at, family_answer_due, escalation_level, acknowledged_by "
                        "FROM alerts WHERE id = %s", (alert_id,)).fetchone()


def _told(conn, far_end: HttpFarEnd, home, kind: str = "no_activity_morning") -> tuple[int, int, datetime]:  # type: ignore[no-untyped-def]
    """An urgent alert whose relative was texted; returns the alert, the relative and when the answer is due."""
    relative = add_relative(conn, home.resident_id)
    add_channel(conn, relative, "sms", "+447700900123")
    alert_id = raise_alert(conn, home.home_id, kind, _now())
    run_outbox(conn, Settings(sms_gateway_url=far_end.sms_url, family_answer_timeout_s=TIMEOUT_S), _now())
    assert len(far_end.state.sms_delivered) == 1
    due = _alert(conn, alert_id)[2]
    assert due is not None
    return alert_id, relative.id, due


def test_no_family_answer_in_time_puts_the_alert_back_at_the_top_of_its_priority(conn, homes, far_end, api):
    older = raise_alert(conn, homes[1].home_id, "missed_meal", _now() - timedelta(minutes=20))
    emergency = raise_alert(conn, homes[2].home_id, "pendant_press", _now(), device_id="pendant-1")
    alert_id, _, due = _told(conn, far_end, homes[0])
    assert api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Jo"}).status_code == 200
    queue = [a["id"] for a in api.get("/api/alerts").json()["alerts"]]
    assert queue == [emergency, older, alert_id]

    assert answers.requeue_unanswered(conn, due - timedelta(seconds=1), TIMEOUT_S) == 0
    assert answers.requeue_unanswered(conn, due, TIMEOUT_S) == 1

    handling, requeued_at, answer_due, escalation_level, acknowledged_by = _alert(conn, alert_id)
    assert (handling, requeued_at, answer_due, escalation_level, acknowledged_by) == ("new", due, None, 0, None)
    last = api.get(f"/api/alerts/{alert_id}").json()["audit"][-1]
    assert (last["rule"], last["action"], last["from_handling"], last["to_handling"]) == \
        ("family_timeout", "requeue", "acknowledged", "new")
    assert last["detail"]["reason"] == "no family answer within 30 min; back in the queue"
    queue = [a["id"] for a in api.get("/api/alerts").json()["alerts"]]
    assert queue == [emergency, alert_id, older], "back on top of its priority, never above an emergency"
    assert answers.requeue_unanswered(conn, due + timedelta(hours=1), TIMEOUT_S) == 0, "requeued once"


def test_an_answer_in_time_stops_the_wait(conn, homes, far_end, api, family_client):
    alert_id, relative_id, due = _told(conn, far_end, homes[0], kind="night_wandering")
    api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Jo"})
    token = links.create_link(conn, relative_id, alert_id, _now(), 72)
    assert family_client.get(f"/family/link/{token}").status_code == 303

    answer = family_client.post(f"/family/api/alerts/{alert_id}/answer",
                                json={"answer": "all_fine", "note": "rang her"})

    assert answer.status_code == 200
    assert answers.requeue_unanswered(conn, due + timedelta(minutes=1), TIMEOUT_S) == 0
    assert _alert(conn, alert_id)[:3] == ("acknowledged", None, None)
    last = api.get(f"/api/alerts/{alert_id}").json()["audit"][-1]
    assert (last["rule"], last["detail"]) == ("family_answer", {"answer": "all_fine", "note": "rang her"})


def test_i_cannot_help_puts_the_alert_back_at_once_and_the_console_hears_it_live(conn, homes, far_end, api, console,
                                                                                family_client):
    alert_id, relative_id, _ = _told(conn, far_end, homes[0], kind="prolonged_inactivity")
    api.post(f"/api/alerts/{alert_id}/acknowledge", json={"operator": "Jo"})
    token = links.create_link(conn, relative_id, alert_id, _now(), 72)
    family_client.get(f"/family/link/{token}")
    version = conn.execute("SELECT version FROM alerts WHERE id = %s", (alert_id,)).fetchone()[0]

    signed_in = {"Cookie": api.headers["cookie"]}
    with ws_connect(f"ws://127.0.0.1:{console.port}/ws/alerts", additional_headers=signed_in) as ws:
        answer = family_client.post(f"/family/api/alerts/{alert_id}/answer", json={"answer": "cannot_help"})
        delta = _delta_for(ws, alert_id)

    assert answer.status_code == 200
    assert (delta["version"], delta["handling"]) == (version + 1, "new")
    assert delta["requeued_at"] is not None
    last = api.get(f"/api/alerts/{alert_id}").json()["audit"][-1]
    assert (last["rule"], last["actor"]) == ("family_cannot_help", f"family:{relative_id}")


def test_the_alert_service_requeues_unanswered_alerts_by_itself(conn, db_url, homes):
    alert_id = raise_alert(conn, homes[0].home_id, "cold_home", _now() - timedelta(hours=1))
    with conn.transaction():
        engine.act(conn, alert_id, FamilyTold(at=_now() - timedelta(minutes=40), relative="family:1", channel="sms",
                                              answer_due=_now() - timedelta(minutes=10)))
    stop = threading.Event()
    settings = Settings(score_every_s=3600, family_answer_timeout_s=TIMEOUT_S, notify_webhook_url=None)
    service = threading.Thread(target=run_alert_engine, args=(settings, db_url, stop, 0.2), daemon=True)
    service.start()
    try:
        deadline = time.monotonic() + 60
        while _alert(conn, alert_id)[1] is None:
            assert time.monotonic() < deadline, "the alert service never requeued the alert"
            time.sleep(0.2)
    finally:
        stop.set()
        service.join(30)

    assert _alert(conn, alert_id)[0] == "new"
    rules = [r[0] for r in conn.execute("SELECT rule FROM alert_audit WHERE alert_id = %s ORDER BY id", (alert_id,))]
    assert rules == ["open_new", "family_told", "family_timeout"]

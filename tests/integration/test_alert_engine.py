"""Supervision, escalation and the outbox worker against the real database."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import psycopg
import pytest

from alerts import engine, escalation, outbox, supervision
from alerts.transitions import Acknowledge
from hub.settings import Settings

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)  # outbox rows become due at the real now()


@pytest.fixture(autouse=True)
def _now_is_the_tests_start() -> None:
    """NOW is taken again as each test starts: outbox rows become due at the database's real now(), so a NOW
    from when the module was imported, minutes earlier in a long run, would be in their past."""
    global NOW
    NOW = datetime.now(UTC).replace(microsecond=0)


def _one(conn: psycopg.Connection, query: str, *args: object) -> tuple:
    return conn.execute(query, args).fetchone()


def test_device_missing_three_heartbeats_goes_silent_and_clears_when_heard(conn, homes):
    home = homes[0]
    conn.execute("UPDATE devices SET last_seen_at = %s", (NOW - timedelta(minutes=1),))
    conn.execute("UPDATE devices SET last_seen_at = %s WHERE home_id = %s AND device_id = 'pir-kitchen'",
                 (NOW - timedelta(seconds=3 * 300 + 1), home.home_id))
    assert supervision.check_devices(conn, NOW, misses=3) == (1, 0)
    kind, device, priority, explanation = _one(conn, "SELECT kind, device_id, priority, explanation FROM alerts")
    assert (kind, device, priority) == ("device_silent", "pir-kitchen", 4)
    assert "Nothing heard from pir-kitchen for 15 min" in explanation
    assert supervision.check_devices(conn, NOW, misses=3) == (0, 0), "an open alert is not raised twice"
    conn.execute("UPDATE devices SET last_seen_at = %s WHERE device_id = 'pir-kitchen' AND home_id = %s",
                 (NOW + timedelta(seconds=5), home.home_id))
    assert supervision.check_devices(conn, NOW + timedelta(seconds=10), misses=3) == (0, 1)
    assert _one(conn, "SELECT condition, handling FROM alerts") == ("cleared", "new")


def test_device_just_inside_its_window_is_not_silent(conn, homes):
    conn.execute("UPDATE devices SET last_seen_at = %s", (NOW - timedelta(seconds=3 * 300 - 1),))
    assert supervision.check_devices(conn, NOW, misses=3) == (0, 0)


def _raise_emergency(conn: psycopg.Connection, home_id: str, at: datetime) -> int:
    with conn.transaction():
        return engine.trigger(conn, home_id=home_id, kind="pendant_press", device_id="pendant-1", at=at).alert_id


def test_unacknowledged_emergency_escalates_and_re_escalates_until_acknowledged(conn, homes):
    alert_id = _raise_emergency(conn, homes[0].home_id, NOW)
    assert escalation.escalate_due(conn, NOW + timedelta(seconds=59), 60) == 0
    assert escalation.escalate_due(conn, NOW + timedelta(seconds=60), 60) == 1
    assert escalation.escalate_due(conn, NOW + timedelta(seconds=90), 60) == 0
    assert escalation.escalate_due(conn, NOW + timedelta(seconds=120), 60) == 1
    assert _one(conn, "SELECT escalation_level FROM alerts WHERE id = %s", alert_id) == (2,)
    with conn.transaction():
        engine.act(conn, alert_id, Acknowledge(actor="ops", at=NOW + timedelta(seconds=125)))
    assert escalation.escalate_due(conn, NOW + timedelta(seconds=600), 60) == 0
    topics = [r[0] for r in conn.execute("SELECT topic FROM outbox WHERE alert_id = %s ORDER BY id", (alert_id,))]
    assert topics == ["alert.raised", "alert.escalated", "alert.escalated", "alert.acknowledged"]


class _Webhook:
    """A local HTTP receiver standing in for a pager gateway; answers with the queued status codes."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.received = statuses, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append((self.headers["Idempotency-Key"], json.loads(body)))
                self.send_response(hook.statuses.pop(0) if hook.statuses else 200)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/page"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def webhook() -> Iterator[_Webhook]:
    hook = _Webhook([503])
    yield hook
    hook.server.shutdown()


def test_escalation_is_delivered_after_commit_with_retry_and_one_log_row_per_attempt(conn, homes, webhook):
    settings = Settings(notify_webhook_url=webhook.url)
    alert_id = _raise_emergency(conn, homes[0].home_id, NOW)
    escalation.escalate_due(conn, NOW + timedelta(seconds=60), 60)
    assert outbox.deliver_due(conn, settings, NOW + timedelta(seconds=61)) == 1  # alert.raised: nobody to tell
    assert _one(conn, "SELECT status, attempts FROM outbox WHERE topic = 'alert.escalated'") == ("pending", 1)
    assert outbox.deliver_due(conn, settings, NOW + timedelta(seconds=62)) == 0, "backing off"
    assert outbox.deliver_due(conn, settings, NOW + timedelta(seconds=70)) == 1
    assert _one(conn, "SELECT status, attempts FROM outbox WHERE topic = 'alert.escalated'") == ("done", 2)
    log = conn.execute("SELECT channel, attempt, ok, permanent FROM delivery_log ORDER BY id").fetchall()
    # First attempt: log delivered, webhook 503. Second: only the webhook again, never the log twice.
    assert log == [("log", 1, True, False), ("webhook", 1, False, False), ("webhook", 2, True, False)]
    keys = {key for key, _ in webhook.received}
    assert len(webhook.received) == 2 and len(keys) == 1, "both attempts carry the same idempotency key"
    body = webhook.received[-1][1]
    assert body["alert_id"] == alert_id and body["topic"] == "alert.escalated"
    assert homes[0].resident_name not in json.dumps(body), "no personal data in a pager message"


def test_permanent_refusal_fails_the_row_without_retrying(conn, homes):
    hook = _Webhook([400])
    try:
        settings = Settings(notify_webhook_url=hook.url)
        _raise_emergency(conn, homes[0].home_id, NOW)
        escalation.escalate_due(conn, NOW + timedelta(seconds=60), 60)
        outbox.deliver_due(conn, settings, NOW + timedelta(seconds=61))
        status, error = _one(conn, "SELECT status, last_error FROM outbox WHERE topic = 'alert.escalated'")
        assert status == "failed" and "refused with 400" in error
    finally:
        hook.server.shutdown()


def test_a_worker_that_died_mid_send_gives_its_rows_back(conn, homes):
    _raise_emergency(conn, homes[0].home_id, NOW)
    conn.execute("UPDATE outbox SET status = 'sending', claimed_at = %s", (NOW - timedelta(minutes=6),))
    assert outbox.deliver_due(conn, Settings(), NOW) == 1
    assert _one(conn, "SELECT status FROM outbox") == ("done",)


def test_concurrent_triggers_for_one_key_never_open_two_alerts(db_url, homes):
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def press() -> None:
        try:
            with psycopg.connect(db_url) as own:
                barrier.wait()
                with own.transaction():
                    engine.trigger(own, home_id=homes[0].home_id, kind="fall", device_id="pendant-1", at=NOW)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=press) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with psycopg.connect(db_url) as check:
        assert check.execute("SELECT count(*), max(repeat_count) FROM alerts").fetchone() == (1, 8)

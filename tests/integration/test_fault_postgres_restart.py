"""PostgreSQL stops and starts again while homes are publishing, pendant presses included.

Runs on a private cluster (tests/support/private_postgres.py): the shared server is never restarted.
A real `hub ingest` process and the console run against it. While the database is down nothing is
acked (the homes' acked counts freeze and hold their events), the console reports not ready; once it
is back both reconnect by themselves, the backlog drains, every acked event is stored exactly once,
every press has its alert, and the console's websocket catches up with every alert's latest version.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from websockets.sync.client import connect as ws_connect

from console.app import create_app
from hub import db
from hub.bench import stop_process
from hub.chaos import ConsoleRecorder, start_ingest
from hub.private_postgres import PrivatePostgres, unavailable_reason
from hub.seed import register_homes
from hub.settings import Settings
from simulators.homes import home_specs
from tests.support.accounts import add_user, sign_in
from tests.support.home_stream import HomeStream, wait_until
from tests.support.services import Broker, ConsoleServer

pytestmark = pytest.mark.integration


SPECS = home_specs(3, seed=11, heartbeat_interval_s=3600)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with PrivatePostgres() as server:
        yield server


@pytest.fixture
def hub_database(private_postgres: PrivatePostgres) -> str:
    """The private cluster, migrated, with three registered homes."""
    db.migrate(private_postgres.url)
    with db.connect(private_postgres.url) as conn:
        register_homes(conn, SPECS)
    return private_postgres.url


@pytest.fixture
def ingest_process(hub_database: str, broker: Broker) -> Iterator[subprocess.Popen[str]]:
    """A real `hub ingest` process, with a broker session that does not outlive the test for long."""
    env = {**os.environ, "DATABASE_URL": hub_database, "MQTT_URL": broker.url,
           "MQTT_PROTOCOL": broker.protocol, "MQTT_CLIENT_ID": f"hub-pgfault-{uuid.uuid4().hex[:8]}",
           "MQTT_SESSION_EXPIRY_S": "300", "HUB_ENV": "development", "LOG_LEVEL": "INFO"}
    env.pop("HUB_FAILPOINT", None)
    process = start_ingest(env)
    yield process
    stop_process(process)


@pytest.fixture
def private_console(hub_database: str, broker: Broker, settings: Settings) -> Iterator[ConsoleServer]:
    with ConsoleServer(create_app(settings, hub_database, broker.url)) as server:
        wait_until(lambda: _readiness(server)[0] == 200, 20, "the console to become ready")
        with psycopg.connect(hub_database, autocommit=True) as conn:
            add_user(conn, "ops")
        server.headers = sign_in(server.base_url, "ops").headers
        yield server


def _readiness(console: ConsoleServer) -> tuple[int, dict[str, bool]]:
    response = httpx.get(console.base_url + "/readyz", timeout=15)
    return response.status_code, response.json()["checks"]


def _concurrent_statuses(console: ConsoleServer, requests: int) -> list[int]:
    """Many operator requests at once, so the console's pool has to hand out several connections."""
    def status(_: int) -> int:
        try:
            return client.get("/api/alerts?state=open").status_code
        except httpx.TransportError:
            return 0  # the console dropped the request

    with httpx.Client(base_url=console.base_url, headers=console.headers, timeout=15) as client, \
            ThreadPoolExecutor(requests) as pool:
        return list(pool.map(status, range(requests)))


def _quiet(stream: HomeStream, for_s: float, timeout: float) -> int:
    """Wait until no ack has arrived for `for_s` seconds; returns the acked count then. Acks for what
    was committed just before the database stopped may still be on their way through the broker."""
    deadline = time.monotonic() + timeout
    count, since = stream.acked_count(), time.monotonic()
    while time.monotonic() - since < for_s:
        assert time.monotonic() < deadline, "acks kept arriving while the database was down"
        time.sleep(0.05)
        if (now := stream.acked_count()) != count:
            count, since = now, time.monotonic()
    return count


def test_postgres_restart_mid_stream_acks_nothing_uncommitted_and_recovers(
        private_postgres, hub_database, broker, ingest_process, private_console):
    if broker.protocol != "5":
        pytest.skip("needs Mosquitto: the embedded broker does not keep the hub's session")
    console = private_console
    recorder = ConsoleRecorder(f"ws://127.0.0.1:{console.port}/ws/alerts", console.headers)
    recorder.start()
    # The checks run while the units are still connected: once they go offline, ingest raises
    # unit_offline alerts, which are not what this test is about.
    with HomeStream(SPECS, broker.url, broker.protocol, events_per_s=30, alarm_share=0.15, seed=5) as stream:
        try:
            wait_until(lambda: stream.acked_count() >= 30, 30, "the homes' first acks")

            stopping_at = time.time()
            private_postgres.stop()  # returns once the server has exited: nothing can commit from here
            down_at = time.time()
            wait_until(lambda: _readiness(console) == (503, {"database": False, "broker": True,
                                                               "live_stream": False}),
                       20, "/readyz to report the database and the live stream down")
            frozen = _quiet(stream, for_s=1.0, timeout=20)
            sent_when_frozen = stream.sent_count()
            # The homes keep publishing while the database is away, and every resident presses a pendant...
            presses = stream.press_pendants()
            wait_until(lambda: stream.sent_count() >= sent_when_frozen + 60, 30, "events sent during the outage")
            # ...and not one of them is acked: ingest holds them, unacked, until it can commit.
            assert stream.acked_count() == frozen, "an event was acked while the database was down"
            assert ingest_process.poll() is None, "ingest must ride out a database outage, not exit"
            up_at = time.time()

            private_postgres.start()
            wait_until(lambda: _readiness(console)[0] == 200, 30, "/readyz to report ready again")
            wait_until(lambda: stream.acked_count() >= frozen + 60, 60, "acks to flow again after the restart")
            stream.stop_publishing()
            stream.wait_drained(60)
            sent, acked = stream.sent_count(), stream.acked()

            # An ack that arrived while the database was down can only be for an event sent before it stopped.
            acked_while_down = [e for e in acked if down_at <= e.acked_at < up_at]
            assert all(e.sent_at < stopping_at for e in acked_while_down), acked_while_down
            assert sum(down_at <= e.sent_at < up_at for e in acked) >= 60, "the outage's backlog was acked"
            acked_keys = {e.key for e in acked}
            assert {(home, r.device_id, r.seq) for home, r in presses} <= acked_keys, "the outage's presses acked"
            assert len(acked) == sent, "every event sent must end up acked"

            with db.connect(hub_database) as conn:
                report = stream.verify(conn)
                assert (report.events_lost, report.events_duplicated, report.alarms_without_alert) == ([], [], [])
                assert report.events_rejected == 0 and report.alerts_duplicated == []
                assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == sent, "each event stored once"
                alerts = dict(conn.execute("SELECT id, version FROM alerts WHERE handling <> 'resolved'").fetchall())
            assert alerts, "the presses raised alerts"

            # The LISTEN connection came back: the websocket client (sent back for a fresh snapshot when
            # the listener reconnected) has every alert at its latest version.
            wait_until(lambda: all(recorder.snapshot().get(i, 0) >= v for i, v in alerts.items()), 20,
                       "the console's websocket to catch up with every alert")
        finally:
            recorder.stop()
        _console_survives_a_quick_bounce(private_postgres, console, alerts)


def _console_survives_a_quick_bounce(private_postgres: PrivatePostgres, console: ConsoleServer,
                                     alerts: dict[int, int]) -> None:
    """Connections that sat idle in the console's pools through a restart are never handed out: fill the
    pool, bounce the database, then ask at once, from the REST API and from a new websocket client."""
    assert _concurrent_statuses(console, 12) == [200] * 12
    private_postgres.restart()
    assert _concurrent_statuses(console, 12) == [200] * 12, "an operator's request got a dead connection"
    listed = httpx.get(console.base_url + "/api/alerts", headers=console.headers, timeout=15).json()["alerts"]
    assert {a["id"]: a["version"] for a in listed} == alerts
    with ws_connect(f"ws://127.0.0.1:{console.port}/ws/alerts", open_timeout=10,
                    additional_headers=console.headers) as socket:
        first = json.loads(socket.recv(timeout=15))
    assert first["type"] == "snapshot", "the snapshot after a restart failed on a dead connection"
    assert {a["id"]: a["version"] for a in first["alerts"]} == alerts

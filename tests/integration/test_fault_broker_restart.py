"""The broker restarts while homes are publishing: ingest and the homes reconnect by themselves, the
console says it is not ready while the broker is away, and nothing the homes were acked is lost or
stored twice; everything sent during the outage is acked once the broker is back."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from tests.support.home_stream import HomeStream, wait_until
from tests.support.services import Broker, ConsoleServer

pytestmark = pytest.mark.integration


def _readiness(console: ConsoleServer) -> tuple[int, dict[str, bool]]:
    response = httpx.get(console.base_url + "/readyz", timeout=10)
    return response.status_code, response.json()["checks"]


def _broker_running(broker: Broker) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", broker.port), timeout=1):
            return True
    except OSError:
        return False


def test_broker_restart_mid_stream_loses_nothing_acked_and_the_backlog_drains(conn, homes, broker, ingest, console):
    if broker.protocol != "5":
        pytest.skip("needs Mosquitto: the embedded broker keeps no persistent sessions across a restart")
    stream = HomeStream(homes, broker.url, broker.protocol, events_per_s=30, alarm_share=0.15, seed=3)
    try:
        with stream:
            wait_until(lambda: stream.acked_count() >= 30, 30, "the homes' first acks")
            assert _readiness(console)[0] == 200

            broker.stop()
            down_at = time.time()
            sent_while_up = stream.sent_count()
            wait_until(lambda: not ingest.connected.is_set(), 15, "ingest to notice the broker is gone")
            wait_until(lambda: _readiness(console) == (503, {"database": True, "broker": False, "live_stream": True}),
                       15, "/readyz to report the broker down")
            # The homes keep sending while the broker is away, pendant presses too; their units hold every event.
            presses = stream.press_pendants()
            wait_until(lambda: stream.sent_count() >= sent_while_up + 40, 30, "events sent during the outage")
            acked_before_restart = stream.acked_count()

            up_at = time.time()
            broker.restart()
            wait_until(ingest.connected.is_set, 30, "ingest to reconnect and resubscribe by itself")
            wait_until(lambda: _readiness(console)[0] == 200, 15, "/readyz to report ready again")
            wait_until(lambda: stream.acked_count() >= acked_before_restart + 60, 60,
                       "acks to flow again after the restart")
            stream.stop_publishing()
            stream.wait_drained(60)

            sent, acked = stream.sent_count(), stream.acked()
    finally:
        if not _broker_running(broker):
            broker.restart()  # the broker is shared by the whole session

    assert len(acked) == sent, "every event sent must end up acked exactly once per unit"
    assert sum(down_at <= event.sent_at < up_at for event in acked) >= 40, "the outage's backlog was acked"
    assert {(home, r.device_id, r.seq) for home, r in presses} <= {e.key for e in acked}, "the outage's presses"
    report = stream.verify(conn)
    assert (report.events_lost, report.events_duplicated, report.alarms_without_alert) == ([], [], [])
    # Alarms redelivered or retried after the restart repeat their alert, never open a second one.
    assert report.events_rejected == 0 and report.alerts_duplicated == []
    stored = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    assert stored == sent, "each event sent is stored exactly once, redeliveries and retries included"

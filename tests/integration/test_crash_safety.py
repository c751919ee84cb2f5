"""The ack is never sent before commit: kill ingest between insert and commit, and the event is
redelivered by the broker's persistent session and stored exactly once."""

from __future__ import annotations

import os
import subprocess
import time
import uuid

import pytest

from hub.chaos import start_ingest
from hub.failpoints import CRASH_EXIT_CODE
from tests.support.home import event

pytestmark = pytest.mark.integration


def _start_ingest(db_url: str, broker, client_id: str, failpoint: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "MQTT_URL": broker.url, "MQTT_PROTOCOL": broker.protocol,
           "MQTT_CLIENT_ID": client_id, "HUB_ENV": "development"}
    env.pop("HUB_FAILPOINT", None)
    if failpoint:
        env["HUB_FAILPOINT"] = failpoint
    return start_ingest(env, timeout_s=20)


def test_crash_between_insert_and_commit_loses_nothing_and_stores_once(conn, db_url, broker, homes, unit_factory):
    if broker.protocol != "5":
        pytest.skip("needs Mosquitto: the embedded broker does not redeliver unacked messages to a resumed session")
    home = homes[0]
    pendant = home.find("pendant").device_id
    client_id = f"hub-crash-{uuid.uuid4().hex[:8]}"
    unit = unit_factory(home.home_id)

    press = event(1, "pendant_press")
    doomed = _start_ingest(db_url, broker, client_id, failpoint="ingest.before_commit")
    unit.publish(pendant, press)
    assert doomed.wait(15) == CRASH_EXIT_CODE, "ingest should have died at the failpoint"
    time.sleep(0.3)
    assert unit.acks == [], "nothing may be acked before commit"
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0

    survivor = _start_ingest(db_url, broker, client_id)
    try:
        [ack] = unit.wait_acks(1)  # the broker redelivered the unacked message to the resumed session
        assert ack["status"] == "stored" and ack["seq"] == 1
        unit.publish(pendant, press)  # and the unit's own retry of the identical payload is absorbed
        assert unit.wait_acks(2)[1]["status"] == "duplicate"
    finally:
        survivor.terminate()
        survivor.wait(10)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert conn.execute("SELECT count(*), max(repeat_count) FROM alerts").fetchone() == (1, 1)

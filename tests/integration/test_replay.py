"""`hub replay`: recorded data goes through the real broker and ingest as the home unit would send it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hub.seed import register_homes
from simulators.history import generate_history
from simulators.homes import home_specs
from simulators.replay import replay_csv, write_csv
from tests.support.home import clear_retained_statuses

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _forget_unit_statuses(broker):  # type: ignore[no-untyped-def]
    yield
    clear_retained_statuses(broker.url, broker.protocol, [h.home_id for h in home_specs(3, seed=2)])


def test_a_recording_replays_through_ingest_with_heartbeats_and_is_stored_once(conn, broker, ingest, tmp_path):
    history = next(generate_history(1, 2, seed=2, warmup_days=2))
    register_homes(conn, [history.home])
    recording = tmp_path / "home.csv"
    lines = write_csv(history, recording)
    stats = replay_csv(recording, broker.url, "max", protocol=broker.protocol, heartbeat_interval_s=3600)
    assert stats.complete and stats.rejected == 0 and stats.lines == lines
    recorded = conn.execute("SELECT count(*) FROM events WHERE type <> 'heartbeat'").fetchone()[0]
    heartbeats = conn.execute("SELECT count(*) FROM events WHERE type = 'heartbeat'").fetchone()[0]
    assert recorded == lines
    assert heartbeats == stats.heartbeats_sent > 0, "time moves on through quiet periods"
    first, last = conn.execute("SELECT min(ts), max(ts) FROM events").fetchone()
    assert first == history.readings[0].ts and last >= history.readings[-1].ts


def test_a_bad_recording_is_refused_with_its_line_number_before_anything_is_sent(tmp_path):
    recording = tmp_path / "bad.csv"
    recording.write_text("ts,home_id,device_id,type,value,room\n"
                         "2026-11-23T07:00:00Z,home-0001,pir-kitchen,motion,1,kitchen\n"
                         "2026-11-23T07:05:00,home-0001,pir-kitchen,motion,1,kitchen\n")
    env = {**os.environ, "MQTT_URL": "mqtt://127.0.0.1:9"}
    result = subprocess.run([sys.executable, "-m", "hub", "replay", str(recording)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "bad.csv:3" in result.stderr, result.stderr

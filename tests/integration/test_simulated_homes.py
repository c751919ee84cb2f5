"""Simulated homes against the real hub: every event acked and stored once, every incident an alert,
and a unit that loses power leaves its last will, which raises `unit_offline`."""

from __future__ import annotations

import time

import pytest

from hub.seed import register_homes
from simulators.homes import home_specs
from simulators.run import SimulationConfig, run_simulation
from simulators.unit import HomeUnit
from tests.support.home import clear_retained_statuses

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _forget_unit_statuses(broker):  # type: ignore[no-untyped-def]
    yield
    clear_retained_statuses(broker.url, broker.protocol, [h.home_id for h in home_specs(5, seed=3)])


def test_a_simulated_hour_is_stored_once_and_every_incident_becomes_an_alert(conn, broker, ingest):
    specs = home_specs(5, seed=3, heartbeat_interval_s=300)
    register_homes(conn, specs)
    config = SimulationConfig(mqtt_url=broker.url, homes=5, speed=360.0, seed=3, duration_s=10.0,
                              alarms_per_home_per_day=60.0, heartbeat_interval_s=300, protocol=broker.protocol)
    stats = run_simulation(config)
    assert stats.sent > 100 and stats.pending == 0 and stats.rejected == 0
    assert stats.acked == stats.sent
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == stats.stored
    assert conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 0
    assert stats.incidents, "the seed gives incidents within the hour"
    open_keys = {(h, k, d) for h, k, d in conn.execute("SELECT home_id, kind, device_id FROM alerts")}
    for incident in stats.incidents:
        assert (incident.home_id, incident.type, incident.device_id) in open_keys, incident
    triggers = conn.execute("SELECT sum(repeat_count) FROM alerts WHERE priority = 1").fetchone()[0]
    assert triggers == len(stats.incidents)


def test_a_unit_that_loses_power_raises_unit_offline_and_clears_when_back(conn, broker, homes, ingest):
    home = homes[2]
    unit = HomeUnit(home.home_id, broker.url, protocol=broker.protocol, keepalive_s=5)
    unit.start()
    assert unit.wait_connected(10)
    deadline = time.monotonic() + 10
    while conn.execute("SELECT unit_state FROM homes WHERE home_id = %s", (home.home_id,)).fetchone() != ("online",):
        assert time.monotonic() < deadline, "online status never stored"
        time.sleep(0.1)
    unit.stop(graceful=False)  # the broker publishes the will
    deadline = time.monotonic() + 30
    while not conn.execute("SELECT 1 FROM alerts WHERE kind = 'unit_offline' AND home_id = %s",
                           (home.home_id,)).fetchone():
        assert time.monotonic() < deadline, "no unit_offline alert after the unit vanished"
        time.sleep(0.2)
    back = HomeUnit(home.home_id, broker.url, protocol=broker.protocol)
    back.start()
    try:
        deadline = time.monotonic() + 10
        while conn.execute("SELECT condition FROM alerts WHERE kind = 'unit_offline' AND home_id = %s",
                           (home.home_id,)).fetchone() != ("cleared",):
            assert time.monotonic() < deadline, "unit_offline did not clear when the unit came back"
            time.sleep(0.1)
    finally:
        back.stop()

"""The hub on a clustered broker: three NATS nodes with MQTT and JetStream, the hub's ingest and a home
connected to them, and the node the hub is on killed -9 mid-stream. The hub fails over to another node,
resumes its session there, and nothing the home was acked is lost; alarms included."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid

import pytest

from hub.chaos import _env
from hub.nats_cluster import NatsCluster
from simulators.unit import HomeUnit
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("nats-server") is None, reason="needs nats-server (Debian: nats-server)")]


def test_killing_the_hubs_broker_node_loses_nothing_acked(conn, db_url, homes, tmp_path):
    home = homes[0]
    cluster = NatsCluster()
    url = cluster.start()
    log = (tmp_path / "ingest.log").open("w")
    ingest = subprocess.Popen([sys.executable, "-m", "hub", "ingest"], stdout=log, stderr=subprocess.STDOUT,
                              env=_env(db_url, url, f"hub-cluster-{uuid.uuid4().hex[:6]}", NatsCluster.protocol))
    unit = HomeUnit(home.home_id, url, protocol=NatsCluster.protocol, retry_after_s=2.0, max_retry_after_s=4.0)
    try:
        wait_for(lambda: "ingest ready" in (tmp_path / "ingest.log").read_text(), timeout=60, every=0.1)
        unit.start()
        assert unit.wait_connected(15)
        motion, pendant = home.find("pir"), home.find("pendant")

        def burst(count: int) -> None:
            for _ in range(count):
                unit.send(motion.device_id, "motion", value=1, room=motion.room)
                time.sleep(0.01)

        burst(30)
        wait_for(lambda: unit.pending_count() == 0, timeout=60, every=0.1)
        cluster.kill(0)  # every client starts on the first node listed: the hub and the home both go
        unit.send(pendant.device_id, "pendant_press")
        burst(30)
        try:
            wait_for(lambda: unit.pending_count() == 0, timeout=90, every=0.1)
        except AssertionError:
            print("INGEST LOG", (tmp_path / "ingest.log").read_text()[-4000:])
            print("PENDING", unit.pending_count(), unit.ledger.stats())
            print("STORED", conn.execute("SELECT count(*) FROM events WHERE home_id = %s", (home.home_id,)).fetchone(),
                  "DEAD LETTERS", conn.execute("SELECT count(*) FROM dead_letters").fetchone())
            raise
        assert ingest.poll() is None, "ingest must fail over, not exit"
        assert "trying" in (tmp_path / "ingest.log").read_text(), "the hub moved to another node"
    finally:
        unit.stop()
        ingest.terminate()
        ingest.wait(15)
        cluster.remove()

    stats = unit.ledger.stats()
    assert (stats.sent, stats.acked, stats.rejected, stats.pending) == (61, 61, 0, 0)
    stored = conn.execute("SELECT count(*) FROM events WHERE home_id = %s", (home.home_id,)).fetchone()[0]
    assert stored == 61  # every acked event, once
    assert conn.execute("SELECT count(*) FROM alerts WHERE home_id = %s AND kind = 'pendant_press'",
                        (home.home_id,)).fetchone()[0] == 1

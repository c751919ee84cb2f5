"""The benchmarks themselves work: every figure comes from messages and rows that really went through.
No timing is asserted; only that each path carried everything it was given."""

from __future__ import annotations

import os
import shutil

import psycopg
import pytest

from hub.bench import bench_ingest
from hub.bench_raw import bench_payload, copy_rate, per_message_insert_rate, raw_broker_rate
from tests.support.services import DEFAULT_ADMIN_URL

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("mosquitto_pub") is None or shutil.which("mosquitto") is None,
                                 reason="needs mosquitto and mosquitto-clients")]


@pytest.mark.parametrize("lines_per_pub", [None, 120])
def test_raw_broker_figure_counts_every_message_mosquitto_sub_received(broker, monkeypatch, lines_per_pub) -> None:
    if lines_per_pub:  # a long run is sent by several mosquitto_pub runs in turn (RAW_PUB_LINES a run)
        monkeypatch.setattr("hub.bench_raw.RAW_PUB_LINES", lines_per_pub)
    result = raw_broker_rate(broker.url, [bench_payload(seq, "2026-12-04T10:00:00Z") for seq in range(1, 301)])
    assert result["raw_broker_received"] == 300
    assert result["raw_broker_per_s"] > 0


def test_copy_and_per_message_bridge_store_what_they_are_given(db_url, broker) -> None:
    rows = [("h1", "pir-1", seq, "2026-12-04T10:00:00Z", "2026-12-04T10:00:01Z", "motion", 1.0, "hall")
            for seq in range(1, 501)]
    assert copy_rate(db_url, rows) > 0
    assert per_message_insert_rate(broker.url, db_url, ["h1", "h2"], 60) > 0
    with psycopg.connect(db_url) as conn:  # the bridge's scratch table is gone afterwards
        assert conn.execute("SELECT to_regclass('bridge_bench_events')").fetchone() == (None,)


def test_bench_ingest_with_two_workers_acks_and_stores_every_event(database_url) -> None:
    lines: list[str] = []
    result = bench_ingest(os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL), homes=8, events=400,
                          progress=lines.append, workers=2, bridge_events=100)
    assert (result["acked"], result["stored"], result["lost"]) == (400, 400, 0)
    assert result["raw_broker_received"] == 400
    assert result["ratio"] > 0 and result["per_message_insert_per_s"] > 0 and result["copy_per_s"] > 0
    assert len(result["ingest_peak_rss_mb"]) == 2 and all(mb > 10 for mb in result["ingest_peak_rss_mb"])
    assert result["db_bytes_per_event"] > 0
    assert any("raw broker" in line for line in lines)

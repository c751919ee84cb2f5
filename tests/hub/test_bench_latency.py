"""`hub bench latency` carries what it claims: under a steady load from simulated homes, every press is seen on
the websocket and painted on the page in Chromium, and every event the homes sent is stored. No timing is
asserted; the figures themselves are the benchmark's business."""

from __future__ import annotations

import os
import shutil

import pytest

from hub.bench_latency import bench_latency
from tests.support.services import DEFAULT_ADMIN_URL

pytestmark = [pytest.mark.integration, pytest.mark.browser,
              pytest.mark.skipif(shutil.which("mosquitto") is None or shutil.which("chromium") is None,
                                 reason="needs mosquitto and Debian's chromium")]


def test_every_press_reaches_the_websocket_and_the_page_and_nothing_sent_is_lost(database_url) -> None:
    lines: list[str] = []
    result = bench_latency(os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL), homes=30, presses=6,
                           press_interval_s=0.2, warmup_s=2.0, connections=10, progress=lines.append)

    assert result["presses"] == 6
    assert (result["on_websocket"], result["on_page"]) == (6, 6)
    assert result["alerts_by_kind"]["pendant_press"] == 6
    assert result["events_sent"] > result["presses"], "the homes sent heartbeats besides the presses"
    assert result["events_stored"] == result["events_sent"] == result["events_acked"]
    assert result["lost"] == 0
    assert set(result["press_to_websocket"]) == {"p50_ms", "p95_ms", "p99_ms", "max_ms"}
    assert result["connections"] == 10
    assert result["peak_rss_mb"]["console"] > 10 and result["peak_rss_mb"]["alerts"] > 10
    assert any("pressing 6 pendants" in line for line in lines)

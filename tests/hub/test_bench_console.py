"""`hub bench console` counts what really went through: every websocket client got every change, every
snapshot held every open alert, and the page in Chromium showed every one of them, before and after live
changes. No timing is asserted."""

from __future__ import annotations

import os
import shutil

import pytest

from hub.bench_console import bench_console
from tests.support.services import DEFAULT_ADMIN_URL

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ALERTS = 150  # more than the page draws at once (queue.js FIRST_ROWS), so the rest is added after the first screen
CLIENTS = 7
CHANGES = 12


@pytest.fixture
def chromium() -> None:
    if not (shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")):
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing on CI; .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")


def test_every_client_gets_every_change_and_the_page_shows_every_alert(database_url, chromium) -> None:
    lines: list[str] = []
    result = bench_console(os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL), ALERTS, CLIENTS,
                           changes=CHANGES, changes_per_s=50, loads=2, page_changes=4, progress=lines.append)

    assert result["changes"] == CHANGES
    assert (result["deliveries"], result["expected_deliveries"], result["missing"]) == (
        CLIENTS * CHANGES, CLIENTS * CHANGES, 0)
    assert result["clients_dropped_count"] == 0
    assert result["snapshot_alerts"] == [result["open_alerts_at_fanout"]]  # every client: the whole queue

    assert result["page_loads"] == 2
    assert (result["page_rows"], result["page_open_count"]) == (ALERTS, ALERTS)
    assert result["page_delta_paint_ms"]["changes"] == 4
    assert result["page_rows_match_after_changes"] is True

    assert result["snapshot_bytes"] > result["open_alerts_at_fanout"] * 200
    assert result["console_peak_rss_mb"] > 10 and result["browser_renderer_peak_rss_mb"] > 10
    assert any("first screenful painted" in line for line in lines)

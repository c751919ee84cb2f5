"""Fifty kill -9s of ingest while homes publish: nothing acked is lost, nothing stored or alerted twice,
and the console was sent every alert at its latest version (the long run is `hub chaos`)."""

from __future__ import annotations

import os
import shutil

import pytest

from hub.chaos import ChaosConfig, run_chaos
from hub.private_postgres import unavailable_reason
from tests.support.services import DEFAULT_ADMIN_URL

pytestmark = pytest.mark.integration


@pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs the mosquitto binary for a private broker")
def test_fifty_kills_of_ingest_lose_and_duplicate_nothing(database_url, tmp_path):
    ledger = tmp_path / "acked.jsonl"
    result = run_chaos(os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL),
                       ChaosConfig(kills=50, homes=4, events_per_s=80, seed=7), progress=lambda _line: None,
                       ledger_path=ledger)
    assert result["kills"] == 50
    assert result["still_pending"] == 0, "every event sent must end up acked"
    assert result["events_acked"] == result["events_sent"] > 500
    assert result["alarms_acked"] > 10
    assert (result["events_lost"], result["events_duplicated"], result["alarms_without_alert"]) == (0, 0, 0)
    console = (result["alerts_duplicated"], result["alerts_not_on_console"], result["alerts_stale_on_console"])
    assert console == (0, 0, 0)
    assert result["console_checked"] and result["ok"]
    assert len(ledger.read_text().splitlines()) == result["events_acked"]


@pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs the mosquitto binary for a private broker")
def test_restarts_and_malformed_messages_lose_nothing_and_dead_letter_every_bad_message(database_url):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    lines: list[str] = []
    result = run_chaos(os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL),
                       ChaosConfig(kills=5, homes=3, events_per_s=60, seed=11, malformed=300, broker_restarts=2,
                                   postgres_restarts=2, outage_s=2.0), progress=lines.append)
    assert (result["broker_restarts"], result["postgres_restarts"]) == (2, 2)
    # /readyz said not ready during every outage, and ingest rode each one out.
    assert result["broker_outages_reported_not_ready"] == 2 and result["postgres_outages_reported_not_ready"] == 2
    assert result["ingest_exits_in_outages"] == 0
    assert result["malformed_sent"] == 300 and result["malformed_dead_lettered"] == 300
    assert len(result["malformed_families"]) >= 8
    assert result["still_pending"] == 0 and result["events_acked"] == result["events_sent"]
    assert (result["events_lost"], result["events_duplicated"], result["alarms_without_alert"]) == (0, 0, 0)
    assert (result["alerts_duplicated"], result["alerts_not_on_console"]) == (0, 0)
    assert result["ok"]
    assert any("PostgreSQL restarts" in line for line in lines)


@pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs the mosquitto binary for a private broker")
def test_two_partitioned_workers_share_the_homes_and_a_killed_one_loses_nothing(database_url):
    result = run_chaos(os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL),
                       ChaosConfig(kills=12, homes=6, events_per_s=80, seed=5, workers=2, malformed=100),
                       progress=lambda _line: None)
    assert result["workers"] == 2
    assert result["still_pending"] == 0 and result["events_acked"] == result["events_sent"] > 100
    assert (result["events_lost"], result["events_duplicated"], result["alarms_without_alert"]) == (0, 0, 0)
    console = (result["alerts_duplicated"], result["alerts_not_on_console"], result["alerts_stale_on_console"])
    assert console == (0, 0, 0)
    assert result["malformed_dead_lettered"] == 100
    assert result["ok"]

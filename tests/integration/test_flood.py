"""A flooding home is limited and flagged; its alarms, and every other home, still go through, and
nothing it sent is lost: each event is stored or kept as a dead letter, and each is acked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.settings import Settings
from tests.support.home import event
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def limited_ingest(settings: Settings, db_url: str, broker) -> Iterator[object]:
    from ingest.consumer import IngestService

    service = IngestService(settings.model_copy(update={"ingest_home_rate_per_s": 5.0, "ingest_home_burst": 50}),
                            db_url, broker.url)
    service.start()
    assert service.connected.wait(10), "ingest did not connect to the broker"
    yield service
    service.stop()


def test_flood_is_limited_flagged_and_kept_while_alarms_and_other_homes_pass(conn, homes, limited_ingest,
                                                                            unit_factory):
    flooding, quiet = homes[0], homes[1]
    motion = flooding.find("pir").device_id
    pendant = flooding.find("pendant").device_id
    flood_unit, quiet_unit = unit_factory(flooding.home_id), unit_factory(quiet.home_id)

    flood_size = 400
    for seq in range(1, flood_size + 1):
        flood_unit.publish(motion, event(seq, "motion", value=1, room="lounge"))
        if seq == 200:
            flood_unit.publish(pendant, event(1, "pendant_press"))  # in the middle of its own flood
    quiet_motion = quiet.find("pir").device_id
    quiet_unit.publish(quiet_motion, event(1, "motion", value=1, room="kitchen"))
    quiet_unit.publish(quiet.find("pendant").device_id, event(1, "pendant_press"))

    acks = flood_unit.wait_acks(flood_size + 1, timeout=60)
    assert len(acks) == flood_size + 1  # every message answered: nothing left hanging or lost
    quiet_acks = quiet_unit.wait_acks(2)
    assert {a["status"] for a in quiet_acks} == {"stored"}

    [pendant_ack] = [a for a in acks if a["topic"].endswith(f"/{pendant}/ack")]
    assert pendant_ack["status"] == "stored"  # alarms are never limited
    motion_acks = [a for a in acks if a["topic"].endswith(f"/{motion}/ack")]
    stored = {a["seq"] for a in motion_acks if a["status"] == "stored"}
    refused = [a for a in motion_acks if a["status"] == "rejected"]
    assert stored and refused, "a flood beyond the burst must be partly refused"
    assert len(stored) + len(refused) == flood_size
    assert all("rate limit" in a["reason"] for a in refused)

    kept = conn.execute(
        "SELECT count(*) FROM dead_letters WHERE home_id = %s AND reason LIKE 'rate limit%%'",
        (flooding.home_id,)).fetchone()[0]
    assert kept == len(refused)  # each refused event is kept byte for byte
    in_events = conn.execute("SELECT count(*) FROM events WHERE home_id = %s AND device_id = %s",
                             (flooding.home_id, motion)).fetchone()[0]
    assert in_events == len(stored)

    alarms = dict(conn.execute("SELECT home_id, count(*) FROM alerts WHERE kind = 'pendant_press' GROUP BY 1"))
    assert alarms == {flooding.home_id: 1, quiet.home_id: 1}

    wait_for(lambda: conn.execute(
        "SELECT count(*) FROM alerts WHERE kind = 'home_flooding' AND home_id = %s AND priority = 4",
        (flooding.home_id,)).fetchone()[0] == 1)
    explanation = conn.execute("SELECT explanation FROM alerts WHERE kind = 'home_flooding'").fetchone()[0]
    assert "dead letters" in explanation and "Alarms are still taken" in explanation
    assert conn.execute("SELECT count(*) FROM alerts WHERE kind = 'home_flooding' AND home_id = %s",
                        (quiet.home_id,)).fetchone()[0] == 0

"""An alarm-capable device has a session of its own: a pendant press is stored and acked even while the
main session is stuck behind a flood (here: its network loop paused), and the unit is acked once."""

from __future__ import annotations

import time

import pytest

from ingest.alarm_session import device_filter
from tests.support.home import event
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_press_passes_while_the_main_session_is_stuck_and_is_acked_once(conn, homes, ingest, unit_factory):
    home = homes[0]
    pendant = home.find("pendant").device_id
    motion = home.find("pir").device_id
    session = ingest.alarm_session
    assert session is not None, "the alarm session is on by default"
    wait_for(lambda: session.covers(device_filter(home.home_id, pendant)))
    assert not session.covers(device_filter(home.home_id, motion)), "only alarm-capable devices"

    unit = unit_factory(home.home_id)
    ingest.link.pause_reading()  # the main session hears nothing more, as if buried under a flood
    try:
        unit.publish(motion, event(1, "motion", value=1, room="lounge"))
        unit.publish(pendant, event(1, "heartbeat"))  # not an alarm: left to the main session
        unit.publish(pendant, event(2, "pendant_press"))
        [ack] = unit.wait_acks(1, timeout=10)
        assert ack["topic"].endswith(f"/{pendant}/ack") and ack["seq"] == 2 and ack["status"] == "stored"
        assert conn.execute("SELECT count(*) FROM alerts WHERE home_id = %s AND kind = 'pendant_press'",
                            (home.home_id,)).fetchone()[0] == 1
        time.sleep(0.5)
        assert len(unit.wait_acks(1, timeout=0.1)) == 1, "nothing else can be acked while the main session is stuck"
    finally:
        ingest.link.resume_reading()

    acks = unit.wait_acks(3, timeout=15)
    time.sleep(1.0)  # the main session's copy of the press is a duplicate: it must not be acked again
    acks = unit.wait_acks(3, timeout=0.1)
    assert sorted((a["topic"].rsplit("/", 2)[1], a["seq"], a["status"]) for a in acks) == sorted([
        (motion, 1, "stored"), (pendant, 1, "stored"), (pendant, 2, "stored")])
    assert conn.execute("SELECT count(*) FROM events WHERE home_id = %s", (home.home_id,)).fetchone()[0] == 3
    assert conn.execute("SELECT repeat_count FROM alerts WHERE home_id = %s AND kind = 'pendant_press'",
                        (home.home_id,)).fetchone()[0] == 1, "the second copy is a duplicate, not a repeat"

"""Ingest against the real broker and PostgreSQL: storage, idempotency, alerts, dead letters, acks."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from simulators.homes import HomeSpec
from tests.support.home import event
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


def test_pendant_press_is_stored_acked_and_raises_an_emergency(conn, homes: list[HomeSpec], ingest, unit_factory):
    home = homes[0]
    pendant = home.find("pendant").device_id
    unit = unit_factory(home.home_id)
    unit.publish(pendant, event(41, "pendant_press", battery=90))
    [ack] = unit.wait_acks(1)
    assert ack == {"topic": f"tec/v1/{home.home_id}/{pendant}/ack", "seq": 41, "status": "stored"}
    stored = conn.execute("SELECT type, battery FROM events WHERE home_id = %s AND device_id = %s AND seq = 41",
                          (home.home_id, pendant)).fetchall()
    assert stored == [("pendant_press", 90)]
    alert = conn.execute("SELECT id, kind, priority, handling, condition, repeat_count, resident_id FROM alerts"
                         ).fetchone()
    assert alert[1:] == ("pendant_press", 1, "new", "active", 1, home.resident_id)
    assert conn.execute("SELECT action, rule FROM alert_audit WHERE alert_id = %s", (alert[0],)).fetchall() == [
        ("raise", "open_new")]
    assert conn.execute("SELECT topic FROM outbox WHERE alert_id = %s", (alert[0],)).fetchall() == [
        ("alert.raised",)]


def test_hundred_copies_of_one_event_store_once_alert_once_and_ack_every_copy(conn, homes, ingest, unit_factory):
    home = homes[0]
    pendant = home.find("pendant").device_id
    unit = unit_factory(home.home_id)
    body = event(7, "pendant_press")
    for _ in range(100):
        unit.publish(pendant, body)
    acks = unit.wait_acks(100)
    assert len(acks) == 100
    assert sorted(a["status"] for a in acks) == ["duplicate"] * 99 + ["stored"]
    assert all(a["seq"] == 7 for a in acks)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 1
    assert conn.execute("SELECT count(*), max(repeat_count) FROM alerts").fetchone() == (1, 1)


def test_hundred_presses_while_unresolved_give_one_alert_with_repeat_count_100(conn, homes, ingest, unit_factory):
    home = homes[1]
    pendant = home.find("pendant").device_id
    unit = unit_factory(home.home_id)
    for seq in range(1, 101):
        unit.publish(pendant, event(seq, "pendant_press"))
    acks = unit.wait_acks(100)
    assert {a["status"] for a in acks} == {"stored"}
    assert conn.execute("SELECT count(*), max(repeat_count) FROM alerts").fetchone() == (1, 100)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 100


BAD_INPUTS = [
    ("invalid JSON", b"{not json", "invalid JSON"),
    ("not UTF-8", b'{"v":1,"seq":1,"type":"\xff\xfe"}', "not valid UTF-8"),
    ("not an object", b"[1, 2, 3]", "must be a JSON object"),
    ("missing field", b'{"v":1,"seq":1,"type":"motion"}', "field 'ts' is missing"),
    ("wrong type", b'{"v":1,"seq":"one","ts":"2026-11-23T07:41:12Z","type":"motion"}', "field 'seq'"),
    ("unknown field", b'{"v":1,"seq":1,"ts":"2026-11-23T07:41:12Z","type":"motion","x":1}', "not part of the v1"),
    ("unknown type", b'{"v":1,"seq":1,"ts":"2026-11-23T07:41:12Z","type":"teleport"}', "unknown event type"),
    ("wrong version", b'{"v":2,"seq":1,"ts":"2026-11-23T07:41:12Z","type":"motion"}', "field 'v'"),
    ("naive timestamp", b'{"v":1,"seq":1,"ts":"2026-11-23T07:41:12","type":"motion"}', "timezone"),
    ("oversize", b'{"v":1,"pad":"' + b"x" * 5000 + b'"}', "the limit is 4096"),
    ("NUL in text", b'{"v":1,"seq":1,"ts":"2026-11-23T07:41:12Z","type":"motion","room":"a\\u0000b"}', "NUL"),
]


@pytest.mark.parametrize(("label", "payload", "reason"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_dead_lettered_with_its_reason_and_the_consumer_keeps_going(
    conn, homes, ingest, unit_factory, label, payload, reason
):
    home = homes[0]
    device = home.find("pir", "kitchen").device_id
    unit = unit_factory(home.home_id)
    unit.publish(device, payload)
    unit.publish(device, event(500, "motion", value=1, room="kitchen"))
    first, second = unit.wait_acks(2)
    assert first["status"] == "rejected" and reason in first["reason"], first
    assert second == {"topic": first["topic"], "seq": 500, "status": "stored"}
    row = conn.execute("SELECT topic, payload, reason, home_id, device_id FROM dead_letters").fetchone()
    assert row[0] == f"tec/v1/{home.home_id}/{device}/event"
    assert bytes(row[1]) == payload
    assert reason in row[2] and (row[3], row[4]) == (home.home_id, device)


def test_future_timestamp_unknown_home_and_unknown_device_are_refused(conn, homes, ingest, unit_factory):
    home = homes[0]
    unit = unit_factory(home.home_id)
    unit.publish("pendant-1", event(1, "motion", ts=datetime.now(UTC) + timedelta(hours=25)))
    unit.publish("no-such-device", event(2, "motion"))
    stranger = unit_factory("home-unregistered")
    stranger.publish("pendant-1", event(3, "pendant_press"))
    reasons = [a["reason"] for a in unit.wait_acks(2)] + [a["reason"] for a in stranger.wait_acks(1)]
    assert "more than 24 h ahead" in reasons[0]
    assert reasons[1] == f"device 'no-such-device' is not registered for home '{home.home_id}'"
    assert reasons[2] == "home 'home-unregistered' is not registered"
    assert conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 3
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0


def test_topic_identity_mismatch_and_malformed_topics_are_dead_lettered(conn, homes, ingest, unit_factory):
    home, other = homes[0], homes[1]
    unit = unit_factory(home.home_id)
    body = event(9, "pendant_press", home_id=other.home_id)
    unit.publish("pendant-1", body)
    [ack] = unit.wait_acks(1)
    assert ack["status"] == "rejected" and "does not match the topic" in ack["reason"]
    unit.publish("x", event(1, "motion"), topic=f"tec/v1/{home.home_id}/pir/kitchen/event")
    wait_for(lambda: conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 2, timeout=10)
    reasons = [r[0] for r in conn.execute("SELECT reason FROM dead_letters ORDER BY id")]
    assert "is not tec/v1/{home_id}/{device_id}/event" in reasons[1]


def test_technical_events_raise_and_clear_technical_alerts(conn, homes, ingest, unit_factory):
    home = homes[0]
    unit = unit_factory(home.home_id)
    smoke = home.find("smoke").device_id
    unit.publish(smoke, event(1, "battery_low", battery=8))
    unit.publish("unit", event(1, "mains_fail"))
    unit.wait_acks(2)
    rows = conn.execute("SELECT kind, device_id, priority, condition FROM alerts ORDER BY kind").fetchall()
    assert rows == [("battery_low", smoke, 4, "active"), ("mains_fail", "unit", 4, "active")]
    unit.publish("unit", event(2, "mains_restored"))
    unit.wait_acks(3)
    assert conn.execute("SELECT condition FROM alerts WHERE kind = 'mains_fail'").fetchone() == ("cleared",)
    assert conn.execute("SELECT battery FROM devices WHERE home_id = %s AND device_id = %s",
                        (home.home_id, smoke)).fetchone() == (8,)


def test_unit_offline_status_raises_unit_offline_and_online_clears_it(conn, homes, ingest, unit_factory):
    home = homes[2]
    unit = unit_factory(home.home_id)
    now = datetime.now(UTC)
    status_topic = f"tec/v1/{home.home_id}/status"
    unit.publish("", b'{"state":"offline","ts":"%s"}' % now.isoformat().encode(), topic=status_topic)
    wait_for(lambda: conn.execute("SELECT count(*) FROM alerts WHERE kind = 'unit_offline'").fetchone()[0] == 1,
             timeout=10)
    assert conn.execute("SELECT unit_state FROM homes WHERE home_id = %s", (home.home_id,)).fetchone() == (
        "offline",)
    later = (now + timedelta(seconds=5)).isoformat().encode()
    unit.publish("", b'{"state":"online","ts":"%s"}' % later, topic=status_topic)
    wait_for(lambda: conn.execute("SELECT condition FROM alerts WHERE kind = 'unit_offline'").fetchone()
              == ("cleared",), timeout=10)
    # The same state again (a retained copy seen on resubscribe) changes nothing.
    unit.publish("", b'{"state":"online","ts":"%s"}' % later, topic=status_topic)
    time.sleep(0.5)
    assert conn.execute("SELECT repeat_count, version FROM alerts").fetchone() == (1, 2)


def test_a_last_will_older_than_the_online_status_still_raises_unit_offline(conn, homes, ingest, unit_factory):
    """A unit's will is fixed when it connects, so its ts is older than the online it sent after."""
    home = homes[1]
    unit = unit_factory(home.home_id)
    status_topic = f"tec/v1/{home.home_id}/status"
    connected_at = datetime.now(UTC)
    unit.publish("", b'{"state":"online","ts":"%s"}' % (connected_at + timedelta(seconds=1)).isoformat().encode(),
                 topic=status_topic)
    wait_for(lambda: conn.execute("SELECT unit_state FROM homes WHERE home_id = %s", (home.home_id,)).fetchone()
              == ("online",), timeout=10)
    unit.publish("", b'{"state":"offline","ts":"%s"}' % connected_at.isoformat().encode(), topic=status_topic)
    wait_for(lambda: conn.execute("SELECT count(*) FROM alerts WHERE kind = 'unit_offline'").fetchone()[0] == 1,
             timeout=10)


def test_device_last_seen_is_updated_for_supervision(conn: psycopg.Connection, homes, ingest, unit_factory):
    home = homes[0]
    unit = unit_factory(home.home_id)
    device = home.find("temperature").device_id
    unit.publish(device, event(12, "heartbeat", battery=77))
    unit.wait_acks(1)
    last_seen, last_seq, battery = conn.execute(
        "SELECT last_seen_at, last_seq, battery FROM devices WHERE home_id = %s AND device_id = %s",
        (home.home_id, device)).fetchone()
    assert last_seq == 12 and battery == 77
    assert datetime.now(UTC) - last_seen < timedelta(seconds=30)


def test_a_malformed_alarm_is_dead_lettered_and_still_raises_the_alarm(conn, homes, ingest, unit_factory):
    home = homes[0]
    unit = unit_factory(home.home_id)
    unit.publish("pendant-1", b'{"v":1,"seq":3,"ts":"2026-11-23T07:41:12Z","type":"pendant_press","battery":250}')
    [ack] = unit.wait_acks(1)
    assert ack["status"] == "rejected" and "battery" in ack["reason"]
    assert conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 1
    kind, priority, explanation = conn.execute("SELECT kind, priority, explanation FROM alerts").fetchone()
    assert (kind, priority) == ("pendant_press", 1)
    assert "malformed message" in explanation and "treat it as genuine" in explanation


@pytest.fixture
def poisoned_device(conn, homes):
    """A database trigger that refuses one device's rows stands in for any row the database rejects."""
    conn.execute("""CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$""")
    conn.execute("""CREATE TRIGGER refuse_poison BEFORE INSERT ON events FOR EACH ROW
                    WHEN (NEW.device_id = 'pendant-1') EXECUTE FUNCTION refuse_poison()""")
    yield "pendant-1"
    conn.execute("DROP TRIGGER refuse_poison ON events")
    conn.execute("DROP FUNCTION refuse_poison()")


def test_a_row_the_database_refuses_is_isolated_dead_lettered_and_its_alarm_still_raised(
    conn, homes, ingest, unit_factory, poisoned_device
):
    home = homes[0]
    unit = unit_factory(home.home_id)
    ingest.settings.ingest_batch_wait_ms = 200  # let the good and the poisoned message share a batch
    unit.publish("pir-kitchen", event(1, "motion", value=1, room="kitchen"))
    unit.publish(poisoned_device, event(2, "pendant_press"))
    unit.publish("pir-lounge", event(3, "motion", value=1, room="lounge"))
    acks = {a["topic"].split("/")[3]: a for a in unit.wait_acks(3)}
    assert acks["pir-kitchen"]["status"] == "stored" and acks["pir-lounge"]["status"] == "stored"
    assert acks[poisoned_device]["status"] == "rejected"
    assert "refused by the test trigger" in acks[poisoned_device]["reason"]
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    assert conn.execute("SELECT device_id FROM dead_letters").fetchall() == [(poisoned_device,)]
    kind, explanation = conn.execute("SELECT kind, explanation FROM alerts").fetchone()
    assert kind == "pendant_press" and "treat it as genuine" in explanation


def test_an_alarm_from_an_unregistered_device_is_dead_lettered_and_still_raised(conn, homes, ingest, unit_factory):
    home = homes[0]
    unit = unit_factory(home.home_id)
    unit.publish("new-pendant", event(1, "fall"))
    [ack] = unit.wait_acks(1)
    assert ack["status"] == "rejected" and "not registered" in ack["reason"]
    assert conn.execute("SELECT kind, device_id, priority FROM alerts").fetchall() == [("fall", "new-pendant", 1)]


def test_a_reused_seq_with_different_content_is_refused_not_taken_for_a_retry(conn, homes, ingest, unit_factory):
    """A unit whose counter went back must not have its alarms acked as duplicates and dropped."""
    home = homes[0]
    unit = unit_factory(home.home_id)
    unit.publish("pendant-1", event(5, "heartbeat", ts=datetime(2026, 11, 23, 7, 0, tzinfo=UTC)))
    unit.publish("pendant-1", event(5, "pendant_press", ts=datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))
    first, second = unit.wait_acks(2)
    assert first["status"] == "stored"
    assert second["status"] == "rejected" and "already used for a different event" in second["reason"]
    assert conn.execute("SELECT kind FROM alerts").fetchall() == [("pendant_press",)]
    assert conn.execute("SELECT count(*) FROM dead_letters").fetchone()[0] == 1

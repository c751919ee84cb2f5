"""Hostile MQTT input through the real ingest service (Mosquitto + PostgreSQL), issue 6 §3.

Each hypothesis example publishes a few dozen malformed messages at once: event payloads that break the
v1 contract every way tests/fuzz/hostile.py knows, unreadable unit statuses, and messages on topics that
are not the contract's. Then: every message on an event topic was acked `rejected` with a reason; every
message of any kind has a dead letter holding its exact bytes and a reason; nothing went wrong inside the
writer lanes; and ingest still stores (and acks) a valid pendant press and a valid motion sent last.

Event-topic messages each go to a device of their own (registered home, unregistered device), so each
ack and dead letter can be matched to the one message that caused it.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from hub.settings import Settings
from ingest.contract import (
    EVENT_CLASS,
    Event,
    EventClass,
    Rejection,
    event_topic,
    parse_topic,
    status_topic,
    validate_event,
    validate_status,
)
from ingest.writer import EventWriter, Received
from simulators.homes import HomeSpec
from tests.fuzz.hostile import EVENT_PAYLOADS, STATUS_PAYLOADS, one_wrong_field
from tests.support.home import TestUnit, event, iso
from tests.support.services import Broker

EXAMPLES = itertools.count(1)  # devices, seqs: unique across examples, which share one database and broker


@pytest.fixture
def settings(broker: Broker) -> Settings:
    """The conftest settings, with a rate limit no barrage reaches: limiting has tests of its own."""
    return Settings(
        mqtt_client_id=f"hub-fuzz-{uuid.uuid4().hex[:8]}", mqtt_protocol=broker.protocol,  # type: ignore[arg-type]
        escalate_after_s=60, ingest_batch_wait_ms=2, ingest_home_rate_per_s=100_000, ingest_home_burst=100_000,
    )


@dataclass(frozen=True)
class Message:
    kind: str  # "event": on an event topic of the test's home; "status": its status topic; "stray": elsewhere
    payload: bytes
    topic: str = ""  # set for "stray"; "event" gets a device of its own when published


# Topic levels a broker lets a client publish to: no wildcards, NUL or control characters.
LEVEL = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="+#/"), max_size=16),
    st.sampled_from(["event", "status", "", " ", "-x", ".x", "hóme", "x" * 65, "events", "EVENT", "nobody-home"]),
)
EVENT_BYTES = st.one_of(EVENT_PAYLOADS, st.binary(max_size=300),
                        one_wrong_field().map(lambda case: json.dumps(case[0]).encode()))
STATUS_BYTES = st.one_of(STATUS_PAYLOADS, st.binary(max_size=100)).filter(
    lambda payload: isinstance(validate_status(status_topic("h"), payload, datetime.now(UTC)), Rejection))


def stray_topics(home_id: str) -> st.SearchStrategy[str]:
    """Topics under tec/v1/ (so ingest hears them) that are not this home's event or status topic. Ack
    topics are left out: they are the hub's own output, ignored by design, and the test unit listens there."""
    return st.one_of(
        st.lists(LEVEL, min_size=0, max_size=5).map(lambda levels: "/".join(["tec", "v1", *levels])),
        st.tuples(LEVEL, LEVEL).map(lambda pair: f"tec/v1/{home_id}/{pair[0]}/{pair[1]}"),
        st.tuples(LEVEL, LEVEL).map(lambda pair: f"tec/v1/{pair[0]}/{pair[1]}/event"),
        # Mosquitto disconnects a client publishing to more than 200 levels.
        st.integers(1, 190).map(lambda depth: f"tec/v1/{home_id}/" + "x/" * depth + "event"),
    ).filter(lambda topic: _is_stray(topic, home_id))


def _is_stray(topic: str, home_id: str) -> bool:
    parsed = parse_topic(topic)
    if topic.rsplit("/", 1)[-1] == "ack":
        return False
    return parsed is None or (parsed.leaf == "event" and parsed.home_id != home_id)


def barrages(home_id: str) -> st.SearchStrategy[list[Message]]:
    one = st.one_of(
        EVENT_BYTES.map(lambda payload: Message("event", payload)),
        EVENT_BYTES.map(lambda payload: Message("event", payload)),
        STATUS_BYTES.map(lambda payload: Message("status", payload)),
        st.tuples(stray_topics(home_id), EVENT_BYTES).map(lambda pair: Message("stray", pair[1], pair[0])),
    )
    return st.lists(one, min_size=40, max_size=80)


def wait_for(condition, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def named_alarm(verdict: Event | Rejection) -> str | None:
    if isinstance(verdict, Event):
        return verdict.type if verdict.event_class is EventClass.ALARM else None
    return verdict.alarm_type


DeadLetter = tuple[str, bytes, str, str | None, str | None]  # topic, payload, reason, home_id, device_id


def dead_letters_after(conn: psycopg.Connection, watermark: int) -> list[DeadLetter]:
    return [(topic, bytes(payload), reason, home, device) for topic, payload, reason, home, device in conn.execute(
        "SELECT topic, payload, reason, home_id, device_id FROM dead_letters WHERE id > %s ORDER BY id",
        (watermark,))]


# No shrinking: each step would replay a whole barrage through the broker. A failure shows the barrage as drawn.
@hypothesis_settings(max_examples=5, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_malformed_message_is_dead_lettered_and_ingest_keeps_storing(
        data: st.DataObject, ingest, homes: list[HomeSpec], unit_factory, conn: psycopg.Connection,
        caplog: pytest.LogCaptureFixture) -> None:
    home = homes[0]
    unit: TestUnit = unit_factory(home.home_id)
    batch = data.draw(barrages(home.home_id), label="barrage")
    run = next(EXAMPLES)
    rejected_before = ingest.counts["rejected"]
    watermark = conn.execute("SELECT COALESCE(max(id), 0) FROM dead_letters").fetchone()[0]
    expected: Counter[tuple[str, bytes]] = Counter()
    device_of: dict[str, bytes] = {}
    for i, message in enumerate(batch):
        if message.kind == "event":
            device = f"fz{run}-{i}"
            topic = event_topic(home.home_id, device)
            device_of[device] = message.payload
        else:
            topic = status_topic(home.home_id) if message.kind == "status" else message.topic
        unit.publish("", message.payload, topic=topic)
        expected[(topic, message.payload)] += 1

    def acks_of_this_run() -> dict[str, list[dict]]:
        by_device: dict[str, list[dict]] = {}
        for ack in list(unit.acks):
            device = ack["topic"].split("/")[3]
            if device in device_of:
                by_device.setdefault(device, []).append(ack)
        return by_device

    wait_for(lambda: len(acks_of_this_run()) == len(device_of), f"acks for {len(device_of)} event messages")
    wait_for(lambda: len(dead_letters_after(conn, watermark)) >= len(batch), f"{len(batch)} dead letters")
    wait_for(lambda: ingest.counts["rejected"] - rejected_before >= len(batch), "the service to count them")

    letters = dead_letters_after(conn, watermark)
    assert Counter((topic, payload) for topic, payload, *_ in letters) == expected
    for topic, _payload, reason, home_id, device_id in letters:
        assert reason.strip(), f"dead letter on {topic!r} has no reason"
        assert not reason.startswith("could not be stored"), f"the writer failed on {topic!r}: {reason}"
        parsed = parse_topic(topic)
        if parsed is not None and parsed.leaf == "event":
            assert (home_id, device_id) == (parsed.home_id, parsed.device_id)
    reason_of = {device_id: reason for _t, _p, reason, _h, device_id in letters if device_id in device_of}
    for device, acks in acks_of_this_run().items():
        assert len(acks) == 1, f"{device} was acked {len(acks)} times"
        assert acks[0]["status"] == "rejected" and acks[0]["reason"].strip()
        assert acks[0]["reason"].replace("\x00", "\\0") == reason_of[device]

    # An alarm from an unregistered device, or in a malformed message, is still raised: nothing silences a press.
    alarms = {(device, alarm) for device, payload in device_of.items()
              if (alarm := named_alarm(validate_event(event_topic(home.home_id, device), payload, datetime.now(UTC))))}
    raised = set(conn.execute("SELECT device_id, kind FROM alerts WHERE home_id = %s AND device_id LIKE %s",
                              (home.home_id, f"fz{run}-%")).fetchall())
    assert raised == alarms

    # Still alive: both writer lanes store, commit and ack a valid message sent after the barrage.
    pendant, pir = home.find("pendant").device_id, home.find("pir").device_id
    before = len(unit.acks)
    unit.publish(pendant, event(run, "pendant_press"))
    unit.publish(pir, event(run, "motion", value=1))
    wait_for(lambda: {a["topic"].split("/")[3]: a for a in unit.acks[before:] if a.get("seq") == run}.keys()
             >= {pendant, pir}, "acks for the valid pendant press and motion")
    stored = {(a["topic"].split("/")[3], a["status"]) for a in unit.acks[before:] if a.get("seq") == run}
    assert stored == {(pendant, "stored"), (pir, "stored")}
    assert conn.execute("SELECT count(*) FROM events WHERE home_id = %s AND seq = %s AND device_id IN (%s, %s)",
                        (home.home_id, run, pendant, pir)).fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM alerts WHERE home_id = %s AND kind = 'pendant_press' "
                        "AND device_id = %s AND handling <> 'resolved'", (home.home_id, pendant)).fetchone()[0] == 1
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("ingest")]
    assert not failures, [r.getMessage() for r in failures]
    assert ingest.counts["rejected"] - rejected_before == len(batch)


def test_a_malformed_alarm_naming_a_field_with_nul_is_dead_lettered_with_its_reason_and_raised(
        conn: psycopg.Connection, homes: list[HomeSpec]) -> None:
    """Found by the fuzzing: the reason quoted the field's name, NUL and all, into the alarm's explanation,
    PostgreSQL refused it and the whole batch failed."""
    home, device = homes[0].home_id, homes[0].find("pendant").device_id
    payload = b'{"v":1,"seq":5,"ts":"%s","type":"pendant_press","a\\u0000b":1}' % iso().encode()

    outcomes = EventWriter().store(conn, [Received(event_topic(home, device), payload)])

    reason = "field 'a\\x00b' is not part of the v1 contract"
    assert [(o.status, o.reason) for o in outcomes] == [("rejected", reason)]
    assert conn.execute("SELECT reason, payload FROM dead_letters").fetchall() == [(reason, payload)]
    explanation = conn.execute("SELECT explanation FROM alerts WHERE home_id = %s AND kind = 'pendant_press' "
                               "AND device_id = %s", (home, device)).fetchone()[0]
    assert reason in explanation


EXTREME_ZONES = st.sampled_from([timedelta(0), timedelta(hours=14), timedelta(hours=-12), timedelta(minutes=-1)])
EXTREME_EVENTS = st.fixed_dictionaries(
    {"v": st.just(1),
     "seq": st.one_of(st.sampled_from([0, 1, 2**63 - 1]), st.integers(0, 2**63 - 1)),
     "ts": st.builds(lambda moment, zone: moment.replace(tzinfo=timezone(zone)).isoformat(),
                     st.datetimes(max_value=datetime(2026, 1, 1)), EXTREME_ZONES),
     "type": st.sampled_from(sorted(EVENT_CLASS))},
    optional={"value": st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from([-0.0, 5e-324, 1.7e308]),
              "room": st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=64),
              "battery": st.integers(0, 100)},
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(st.tuples(st.integers(0, 15), EXTREME_EVENTS), min_size=1, max_size=20))
def test_valid_events_with_extreme_fields_from_registered_devices_are_stored_as_sent(
        docs: list[tuple[int, dict]], conn: psycopg.Connection, homes: list[HomeSpec]) -> None:
    """The writer, straight on PostgreSQL: seqs at both ends of their range, the first representable
    instants, subnormal and huge values, any printable or control text in `room`."""
    home = homes[1]
    batch = [Received(event_topic(home.home_id, home.devices[i % len(home.devices)].device_id),
                      json.dumps(doc).encode()) for i, doc in docs]

    outcomes = EventWriter().store(conn, batch)

    for outcome in outcomes:
        assert outcome.status in ("stored", "duplicate") or outcome.reason.startswith(("seq ", "ts ")), outcome
        if outcome.status == "stored":
            e = outcome.event
            row = conn.execute("SELECT ts, type, value, room, battery FROM events WHERE home_id = %s AND "
                               "device_id = %s AND seq = %s", (e.home_id, e.device_id, e.seq)).fetchone()
            assert row == (e.ts, e.type, e.value, e.room, e.battery)

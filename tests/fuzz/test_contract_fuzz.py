"""The v1 contract's pure functions under hostile input (issue 6 §3): `parse_topic`, `peek_type`,
`validate_event` and `validate_status` never raise, and every verdict is an Event / UnitStatus or a
Rejection whose reason can be stored and sent back to the unit.

tests/ingest/test_contract_status_and_topics.py already feeds them random bytes and json.dumps output;
this module adds what json.dumps cannot write (huge integers, 1e999, NaN, -0.0, lone surrogate escapes,
duplicate keys, nesting deeper than the parser allows, broken encodings), one field at a time of the
wrong type, and the rule that a payload the fast lane reads as an alarm is never rejected without its
alarm type.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest.contract import (
    ALARM_TYPES,
    EVENT_CLASS,
    MAX_PAYLOAD_BYTES,
    Event,
    Rejection,
    UnitStatus,
    ack_topic,
    event_topic,
    parse_topic,
    peek_type,
    status_topic,
    validate_event,
    validate_status,
)
from tests.fuzz.hostile import (
    ANY_JSON,
    EVENT_PAYLOADS,
    NOT_DIGIT_LED,
    STATUS_PAYLOADS,
    TOPICS,
    VALID_FIELDS,
    one_wrong_field,
)
from tests.ingest.payloads import DEVICE, HOME, NOW, TOPIC

STATUS_TOPIC = status_topic(HOME)
MANY = settings(max_examples=300, deadline=None)

# topics ----------------------------------------------------------------------------------------


@MANY
@given(topic=TOPICS)
def test_parse_topic_never_raises_and_reads_only_what_the_builders_write(topic: str) -> None:
    parsed = parse_topic(topic)

    if parsed is not None:
        rebuilt = {"event": event_topic, "ack": ack_topic}.get(parsed.leaf)
        assert topic == (rebuilt(parsed.home_id, parsed.device_id) if rebuilt else status_topic(parsed.home_id))


# hostile payloads ------------------------------------------------------------------------------


def assert_storable_rejection(result: Rejection, home_id: str | None, device_id: str | None) -> None:
    """A rejection goes into dead_letters.reason, into the explanation of the alarm it may raise and into the
    JSON ack: it must say something, in printable text (no NUL, no lone surrogate), and name the home and
    device of its topic."""
    assert isinstance(result.reason, str) and result.reason.strip()
    assert result.reason.isprintable(), f"{result.reason!r} would carry control characters into text columns"
    assert (result.home_id, result.device_id) == (home_id, device_id)
    assert result.seq is None or 0 <= result.seq < 2**63
    assert result.alarm_type is None or result.alarm_type in ALARM_TYPES


def assert_sane_event(event: Event) -> None:
    assert (event.home_id, event.device_id) == (HOME, DEVICE)
    assert event.type in EVENT_CLASS
    assert 0 <= event.seq < 2**63
    assert event.ts.utcoffset() == timedelta(0) and event.ts - NOW <= timedelta(hours=24)
    assert event.value is None or math.isfinite(event.value)
    assert event.battery is None or 0 <= event.battery <= 100
    if event.room is not None:
        assert len(event.room) <= 64 and "\x00" not in event.room
        event.room.encode("utf-8")


@MANY
@example(b'{"v":1,"seq":1,"ts":"2026-11-23T07:00:00Z","type":"fall","value":NaN}')
@example(b'\xef\xbb\xbf{"v":1,"seq":1,"ts":"2026-11-23T07:00:00Z","type":"pendant_press"}')
@example('{"v":1,"seq":1,"ts":"2026-11-23T07:00:00Z","type":"pull_cord"}'.encode("utf-16"))
@example(b'{"v":1,"seq":1,"ts":"2026-11-23T07:00:00Z","type":"smoke","type":"motion","room":"\\ud800"}')
@example(b'{"v":1,"seq":1,"ts":"2026-11-23T07:00:00Z","type":"motion","home_id":' + b"[" * 900 + b"]" * 900 + b"}")
@given(payload=EVENT_PAYLOADS)
def test_validate_event_never_raises_and_never_loses_an_alarm_the_fast_lane_saw(payload: bytes) -> None:
    result = validate_event(TOPIC, payload, NOW)

    if isinstance(result, Event):
        assert_sane_event(result)
    else:
        assert isinstance(result, Rejection)
        assert_storable_rejection(result, HOME, DEVICE)
    named = peek_type(payload)
    if named in ALARM_TYPES:
        assert result.type == named if isinstance(result, Event) else result.alarm_type == named


PRESS = '{"v":1,"seq":9,"ts":"2026-11-23T07:00:00Z","type":"pendant_press"%s}'


@pytest.mark.parametrize("payload", [
    pytest.param((PRESS % ',"value":NaN').encode(), id="nan-value"),
    pytest.param(b"\xef\xbb\xbf" + (PRESS % "").encode(), id="byte-order-mark"),
    pytest.param((PRESS % "").encode("utf-16"), id="utf-16"),
    pytest.param((PRESS % ',"room":"k\xe4che"').encode("latin-1"), id="latin-1-byte"),
])
def test_an_unreadable_payload_naming_an_alarm_is_rejected_with_its_alarm_type(payload: bytes) -> None:
    result = validate_event(TOPIC, payload, NOW)

    assert isinstance(result, Rejection)
    assert result.alarm_type == "pendant_press"
    assert (result.home_id, result.device_id) == (HOME, DEVICE)


@MANY
@given(payload=STATUS_PAYLOADS)
def test_validate_status_never_raises_on_hostile_json(payload: bytes) -> None:
    result = validate_status(STATUS_TOPIC, payload, NOW)

    if isinstance(result, UnitStatus):
        assert result.home_id == HOME and result.state in ("online", "offline")
        assert result.ts.utcoffset() == timedelta(0) and result.ts - NOW <= timedelta(hours=24)
    else:
        assert isinstance(result, Rejection)
        assert_storable_rejection(result, HOME, None)


@MANY
@given(topic=TOPICS, payload=st.one_of(EVENT_PAYLOADS, st.binary(max_size=300)))
def test_on_any_topic_a_verdict_names_only_the_topics_own_home_and_device(topic: str, payload: bytes) -> None:
    parsed = parse_topic(topic)
    event_ids = (parsed.home_id, parsed.device_id) if parsed and parsed.leaf == "event" else (None, None)
    status_home = parsed.home_id if parsed and parsed.leaf == "status" else None

    event = validate_event(topic, payload, NOW)
    status = validate_status(topic, payload, NOW)

    if isinstance(event, Rejection):
        # Without an event topic there is nobody to ack and no alarm to raise.
        assert_storable_rejection(event, *(event_ids if event_ids[0] else (None, None)))
        assert event_ids[0] is not None or event.alarm_type is None
    else:
        assert isinstance(event, Event) and (event.home_id, event.device_id) == event_ids
    if isinstance(status, Rejection):
        assert_storable_rejection(status, status_home, None)
    else:
        assert isinstance(status, UnitStatus) and status.home_id == status_home


@MANY
@given(payload=st.one_of(st.binary(max_size=5000), EVENT_PAYLOADS, STATUS_PAYLOADS))
def test_peek_type_never_raises_and_reads_nothing_past_the_size_limit(payload: bytes) -> None:
    named = peek_type(payload)

    assert named is None or isinstance(named, str)
    if len(payload) > MAX_PAYLOAD_BYTES:
        assert named is None


# one field of the wrong type -------------------------------------------------------------------


@MANY
@given(case=one_wrong_field())
def test_one_field_of_the_wrong_type_is_rejected_by_name_and_an_alarm_keeps_its_type(
        case: tuple[dict[str, object], str]) -> None:
    doc, field = case

    result = validate_event(TOPIC, json.dumps(doc).encode(), NOW)

    assert isinstance(result, Rejection), f"accepted {doc!r}"
    assert field in result.reason or "NUL" in result.reason, result.reason
    assert_storable_rejection(result, HOME, DEVICE)
    if field != "type" and doc["type"] in ALARM_TYPES:
        assert result.alarm_type == doc["type"]


@MANY
@given(valid_type=st.sampled_from(sorted(EVENT_CLASS)),
       extra=st.text(min_size=1, max_size=30).filter(lambda name: name not in [*VALID_FIELDS, "home_id", "device_id"]),
       value=ANY_JSON)
def test_a_field_outside_the_contract_is_rejected_by_name(valid_type: str, extra: str, value: object) -> None:
    doc = {"v": 1, "seq": 7, "ts": "2026-11-23T07:41:12Z", "type": valid_type, extra: value}

    result = validate_event(TOPIC, json.dumps(doc).encode(), NOW)

    assert isinstance(result, Rejection)
    assert result.reason == f"field '{extra}' is not part of the v1 contract" or not extra.isprintable()
    assert "is not part of the v1 contract" in result.reason
    assert_storable_rejection(result, HOME, DEVICE)


@MANY
@given(state=ANY_JSON.filter(lambda s: s not in ("online", "offline")),
       ts=st.one_of(st.integers(), st.none(), NOT_DIGIT_LED, st.datetimes().map(datetime.isoformat)))
def test_a_status_with_a_wrong_state_or_ts_is_rejected(state: object, ts: object) -> None:
    good_ts = datetime(2026, 11, 23, 7, tzinfo=UTC).isoformat()
    for doc in ({"state": state, "ts": good_ts}, {"state": "online", "ts": ts}):
        result = validate_status(STATUS_TOPIC, json.dumps(doc).encode(), NOW)

        assert isinstance(result, Rejection), f"accepted {doc!r}"
        assert_storable_rejection(result, HOME, None)

"""The v1 contract's unit status messages and topics, and validation that never crashes on any input."""


from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.contract import (
    Event,
    Rejection,
    Topic,
    UnitStatus,
    ack_topic,
    event_topic,
    parse_topic,
    status_topic,
    validate_event,
    validate_status,
)
from tests.ingest.payloads import (
    DESIGN_TYPES,
    DEVICE,
    HOME,
    NOW,
    TOPIC,
    encoded,
)

# unit status -----------------------------------------------------------------------------------

STATUS_TOPIC = f"tec/v1/{HOME}/status"


@pytest.mark.parametrize("state", ["online", "offline"])
def test_a_valid_status_is_read(state: str) -> None:
    result = validate_status(STATUS_TOPIC, encoded({"state": state, "ts": "2026-11-23T07:00:00Z"}), NOW)

    assert result == UnitStatus(HOME, state, datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(b"{oops", "invalid JSON", id="bad-json"),
        pytest.param(b"\xff", "not valid UTF-8", id="not-utf8"),
        pytest.param(b"[]", "payload", id="not-an-object"),
        pytest.param(encoded({"state": "asleep", "ts": "2026-11-23T07:00:00Z"}), "field 'state'", id="bad-state"),
        pytest.param(encoded({"state": "online"}), "field 'ts' is missing", id="missing-ts"),
        pytest.param(encoded({"state": "online", "ts": "2026-11-23T07:00:00"}), "field 'ts'", id="naive-ts"),
        pytest.param(encoded({"state": "online", "ts": "2026-11-23T07:00:00Z", "x": 1}), "not part of the v1",
                     id="unknown-field"),
        pytest.param(b" " * 4097, "limit is 4096", id="oversize"),
    ],
)
def test_a_bad_status_is_rejected_with_its_reason_and_home(payload: bytes, reason: str) -> None:
    result = validate_status(STATUS_TOPIC, payload, NOW)

    assert isinstance(result, Rejection)
    assert reason in result.reason
    assert result.home_id == HOME


def test_a_status_dated_far_in_the_future_is_rejected() -> None:
    result = validate_status(STATUS_TOPIC, encoded({"state": "online", "ts": "2099-01-01T00:00:00Z"}), NOW)

    assert isinstance(result, Rejection)
    assert "ts" in result.reason


def test_a_status_ts_before_the_first_representable_utc_instant_is_rejected() -> None:
    result = validate_status(STATUS_TOPIC, encoded({"state": "offline", "ts": "0001-01-01T00:00:00+14:00"}), NOW)

    assert isinstance(result, Rejection)


def test_a_status_on_an_event_topic_is_rejected() -> None:
    result = validate_status(TOPIC, encoded({"state": "online", "ts": "2026-11-23T07:00:00Z"}), NOW)

    assert isinstance(result, Rejection)
    assert "is not tec/v1/{home_id}/status" in result.reason


# topics ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        (f"tec/v1/{HOME}/status", Topic(HOME, None, "status")),
        (f"tec/v1/{HOME}/{DEVICE}/event", Topic(HOME, DEVICE, "event")),
        (f"tec/v1/{HOME}/{DEVICE}/ack", Topic(HOME, DEVICE, "ack")),
        ("tec/v1/H.1_a-b/D.9_z-y/event", Topic("H.1_a-b", "D.9_z-y", "event")),
    ],
)
def test_parse_topic_reads_status_event_and_ack_topics(topic: str, expected: Topic) -> None:
    assert parse_topic(topic) == expected


def test_topic_builders_round_trip_through_parse_topic() -> None:
    assert parse_topic(event_topic(HOME, DEVICE)) == Topic(HOME, DEVICE, "event")
    assert parse_topic(ack_topic(HOME, DEVICE)) == Topic(HOME, DEVICE, "ack")
    assert parse_topic(status_topic(HOME)) == Topic(HOME, None, "status")


@pytest.mark.parametrize(
    "topic",
    [
        pytest.param("", id="empty"),
        pytest.param(f"tele/v1/{HOME}/{DEVICE}/event", id="wrong-root"),
        pytest.param(f"tec/v2/{HOME}/{DEVICE}/event", id="wrong-version"),
        pytest.param(f"/tec/v1/{HOME}/{DEVICE}/event", id="leading-slash"),
        pytest.param(f"tec/v1/{HOME}/{DEVICE}/event/", id="trailing-slash"),
        pytest.param(f"tec/v1/{HOME}/{DEVICE}/event/more", id="extra-level"),
        pytest.param(f"tec/v1/{HOME}/{DEVICE}/status", id="status-with-device"),
        pytest.param(f"tec/v1/{HOME}/{DEVICE}", id="device-without-leaf"),
        pytest.param(f"tec/v1/{HOME}/event", id="event-without-device"),
        pytest.param(f"tec/v1/{HOME}/{DEVICE}/telemetry", id="unknown-leaf"),
        pytest.param(f"tec/v1//{DEVICE}/event", id="empty-home"),
        pytest.param(f"tec/v1/{HOME}//event", id="empty-device"),
        pytest.param("tec/v1//status", id="empty-home-status"),
        pytest.param(f"tec/v1/+/{DEVICE}/event", id="wildcard-home"),
        pytest.param(f"tec/v1/{HOME}/#", id="multi-level-wildcard"),
        pytest.param(f"tec/v1/home 42/{DEVICE}/event", id="space-in-home"),
        pytest.param(f"tec/v1/{HOME}/pir$1/event", id="dollar-in-device"),
        pytest.param(f"tec/v1/-home/{DEVICE}/event", id="home-starts-with-dash"),
        pytest.param(f"tec/v1/.home/{DEVICE}/event", id="home-starts-with-dot"),
        pytest.param(f"tec/v1/h{'x' * 64}/{DEVICE}/event", id="home-too-long"),
        pytest.param("tec/v1/hóme/dev/event", id="non-ascii-home"),
    ],
)
def test_parse_topic_refuses_malformed_topics(topic: str) -> None:
    assert parse_topic(topic) is None


def test_a_64_character_slug_is_the_longest_accepted() -> None:
    longest = "h" * 64

    assert parse_topic(f"tec/v1/{longest}/status") == Topic(longest, None, "status")
    assert parse_topic(f"tec/v1/{longest}x/status") is None


# never crashes ---------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
EXTREME_ZONES = [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]
AWARE_TIMESTAMPS = st.datetimes(timezones=st.sampled_from(EXTREME_ZONES)).map(datetime.isoformat)
CONTRACT_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "v": JSON_VALUES, "seq": JSON_VALUES,
        "ts": st.one_of(JSON_VALUES, AWARE_TIMESTAMPS, st.datetimes().map(datetime.isoformat)),
        "type": st.one_of(st.sampled_from([t for types in DESIGN_TYPES.values() for t in types]), JSON_VALUES),
        "value": JSON_VALUES, "room": JSON_VALUES, "battery": JSON_VALUES, "home_id": JSON_VALUES,
        "device_id": JSON_VALUES,
    },
)
PLAUSIBLE_EVENTS = st.fixed_dictionaries(
    {
        "v": st.just(1),
        "seq": st.integers(min_value=0, max_value=2**63 - 1),
        "ts": st.datetimes(
            min_value=datetime(2026, 10, 1), max_value=datetime(2027, 1, 1), timezones=st.sampled_from(EXTREME_ZONES)
        ).map(datetime.isoformat),
        "type": st.sampled_from([t for types in DESIGN_TYPES.values() for t in types]),
    },
    optional={
        "value": st.one_of(st.integers(min_value=-(10**6), max_value=10**6), st.floats()),
        "room": st.text(max_size=64),
        "battery": st.integers(min_value=-5, max_value=105),
    },
)
TOPICS = st.one_of(
    st.text(max_size=80),
    st.builds("/".join, st.lists(st.sampled_from(["tec", "v1", HOME, DEVICE, "event", "status", "", "+"]),
                                 max_size=6)),
)


@given(topic=TOPICS, payload=st.binary(max_size=5000))
def test_validate_event_never_raises_on_arbitrary_bytes(topic: str, payload: bytes) -> None:
    assert isinstance(validate_event(topic, payload, NOW), Event | Rejection)


@given(doc=st.one_of(PLAUSIBLE_EVENTS, CONTRACT_FIELDS, JSON_VALUES))
def test_validate_event_never_raises_on_arbitrary_json_and_accepts_only_sane_events(doc: object) -> None:
    result = validate_event(TOPIC, json.dumps(doc).encode(), NOW)

    assert isinstance(result, Event | Rejection)
    if isinstance(result, Event):
        assert result.ts - NOW <= timedelta(hours=24)
        assert result.ts.utcoffset() == timedelta(0)
        assert result.value is None or math.isfinite(result.value)
        assert result.battery is None or 0 <= result.battery <= 100


@given(topic=TOPICS, payload=st.binary(max_size=200))
def test_validate_status_never_raises_on_arbitrary_bytes(topic: str, payload: bytes) -> None:
    assert isinstance(validate_status(topic, payload, NOW), UnitStatus | Rejection)

"""The v1 MQTT contract (ingest/contract.py, design.md §2): topics, event and status validation."""


from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.contract import (
    MAX_PAYLOAD_BYTES,
    Event,
    EventClass,
)
from tests.ingest.payloads import (
    DESIGN_TYPES,
    DEVICE,
    HOME,
    NOW,
    VALID,
    accepted,
    body,
    encoded,
    padded_to,
    rejected,
)

# accepted events -------------------------------------------------------------------------------


def test_a_valid_event_keeps_every_field() -> None:
    event = accepted(encoded(VALID))

    assert event == Event(
        home_id=HOME, device_id=DEVICE, seq=1042, ts=datetime(2026, 11, 23, 7, 41, 12, 345000, tzinfo=UTC),
        type="motion", value=1.0, room="kitchen", battery=87,
    )
    assert event.key == (HOME, DEVICE, 1042)
    assert event.event_class is EventClass.ACTIVITY


def test_optional_fields_may_be_left_out() -> None:
    event = accepted(encoded(body(omit=("value", "room", "battery"), type="heartbeat")))

    assert (event.value, event.room, event.battery) == (None, None, None)


def test_a_non_utc_zone_is_kept_as_the_same_instant() -> None:
    event = accepted(encoded(body(ts="2026-11-23T08:41:12.345+01:00")))

    assert event.ts == datetime(2026, 11, 23, 7, 41, 12, 345000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event_type", "event_class"),
    [(t, cls) for cls, types in DESIGN_TYPES.items() for t in types],
)
def test_every_event_type_in_the_design_is_accepted_with_its_class(event_type: str, event_class: EventClass) -> None:
    event = accepted(encoded(body(type=event_type)))

    assert event.type == event_type
    assert event.event_class is event_class


def test_a_payload_of_exactly_the_size_limit_is_accepted() -> None:
    assert MAX_PAYLOAD_BYTES == 4096
    assert accepted(padded_to(VALID, 4096)).seq == 1042


def test_ts_exactly_24_hours_ahead_is_accepted() -> None:
    ts = (NOW + timedelta(hours=24)).isoformat()

    assert accepted(encoded(body(ts=ts))).ts == NOW + timedelta(hours=24)


@pytest.mark.parametrize(("field", "value"), [("seq", 0), ("seq", 2**63 - 1), ("battery", 0), ("battery", 100)])
def test_boundary_numbers_are_accepted(field: str, value: int) -> None:
    event = accepted(encoded(body(**{field: value})))

    assert getattr(event, field) == value


def test_home_and_device_ids_in_the_payload_are_accepted_when_they_match_the_topic() -> None:
    event = accepted(encoded(body(home_id=HOME, device_id=DEVICE)))

    assert (event.home_id, event.device_id) == (HOME, DEVICE)


# rejected events -------------------------------------------------------------------------------

REJECTIONS = [
    pytest.param(b'{"v": 1, "seq": ', "invalid JSON", id="bad-json"),
    pytest.param(b"", "empty payload", id="empty"),
    pytest.param(b'{"room": "k\xe4che"}', "not valid UTF-8", id="latin-1"),
    pytest.param(b"[1, 2]", "JSON object", id="array"),
    pytest.param(b'"motion"', "JSON object", id="string"),
    pytest.param(b"42", "JSON object", id="number"),
    pytest.param(b"null", "JSON object", id="null"),
    pytest.param(encoded(body(omit=("v",))), "field 'v' is missing", id="missing-v"),
    pytest.param(encoded(body(omit=("seq",))), "field 'seq' is missing", id="missing-seq"),
    pytest.param(encoded(body(omit=("ts",))), "field 'ts' is missing", id="missing-ts"),
    pytest.param(encoded(body(omit=("type",))), "field 'type' is missing", id="missing-type"),
    pytest.param(encoded(body(seq=True)), "field 'seq'", id="seq-bool"),
    pytest.param(encoded(body(seq="1042")), "field 'seq'", id="seq-string"),
    pytest.param(encoded(body(seq=1042.0)), "field 'seq'", id="seq-float"),
    pytest.param(encoded(body(seq=-1)), "field 'seq'", id="seq-negative"),
    pytest.param(encoded(body(seq=2**63)), "field 'seq'", id="seq-too-big"),
    pytest.param(encoded(body(value="1")), "field 'value'", id="value-string"),
    pytest.param(encoded(body(value=True)), "field 'value'", id="value-bool"),
    pytest.param(encoded(body(battery=True)), "field 'battery'", id="battery-bool"),
    pytest.param(encoded(body(battery=87.5)), "field 'battery'", id="battery-float"),
    pytest.param(encoded(body(battery=-1)), "field 'battery'", id="battery-negative"),
    pytest.param(encoded(body(battery=101)), "field 'battery'", id="battery-over-100"),
    pytest.param(encoded(body(type=7)), "field 'type'", id="type-number"),
    pytest.param(encoded(body(type="x" * 33)), "field 'type'", id="type-too-long"),
    pytest.param(encoded(body(room=3)), "field 'room'", id="room-number"),
    pytest.param(encoded(body(room="r" * 65)), "field 'room'", id="room-too-long"),
    pytest.param(encoded(body(ts=1763883672)), "field 'ts'", id="ts-number"),
    pytest.param(encoded(body(ts="yesterday")), "field 'ts'", id="ts-unparseable"),
    pytest.param(encoded(body(ts="2026-11-23T07:41:12.345")), "field 'ts'", id="ts-naive"),
    pytest.param(encoded(body(v=2)), "field 'v'", id="v-2"),
    pytest.param(encoded(body(v=0)), "field 'v'", id="v-0"),
    pytest.param(encoded(body(v="1")), "field 'v'", id="v-string"),
    pytest.param(encoded(body(colour="red")), "field 'colour' is not part of the v1 contract", id="unknown-field"),
    pytest.param(encoded(body(type="teleport")), "unknown event type 'teleport'", id="unknown-type"),
    pytest.param(encoded(body(type="Motion")), "unknown event type 'Motion'", id="type-wrong-case"),
    pytest.param(encoded(body(room="kit\x00chen")), "NUL", id="nul-in-room"),
    pytest.param(encoded(body(type="mot\x00ion")), "NUL", id="nul-in-type"),
    pytest.param(encoded(body(home_id="home-0043")), "home_id 'home-0043' does not match", id="home-mismatch"),
    pytest.param(encoded(body(device_id="pir-hall")), "device_id 'pir-hall' does not match", id="device-mismatch"),
]


@pytest.mark.parametrize(("payload", "reason"), REJECTIONS)
def test_each_contract_violation_is_rejected_with_its_reason(payload: bytes, reason: str) -> None:
    rejection = rejected(payload)

    assert reason in rejection.reason


@pytest.mark.parametrize(("payload", "reason"), REJECTIONS)
def test_a_rejection_names_the_home_and_device_from_the_topic(payload: bytes, reason: str) -> None:
    rejection = rejected(payload)

    assert (rejection.home_id, rejection.device_id) == (HOME, DEVICE)


def test_a_payload_one_byte_over_the_limit_is_rejected_even_if_otherwise_valid() -> None:
    rejection = rejected(padded_to(VALID, 4097))

    assert "4097" in rejection.reason and "4096" in rejection.reason
    assert (rejection.home_id, rejection.device_id) == (HOME, DEVICE)


def test_ts_more_than_24_hours_ahead_is_rejected() -> None:
    ts = (NOW + timedelta(hours=24, milliseconds=1)).isoformat()

    rejection = rejected(encoded(body(ts=ts)))

    assert "24 h ahead" in rejection.reason
    assert rejection.seq == 1042


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(encoded(body(type="teleport")), id="unknown-type"),
        pytest.param(encoded(body(colour="red")), id="unknown-field"),
        pytest.param(encoded(body(value="1")), id="wrong-value-type"),
        pytest.param(encoded(body(home_id="home-0043")), id="home-mismatch"),
        pytest.param(encoded(body(room="kit\x00chen")), id="nul"),
    ],
)
def test_a_rejection_echoes_seq_when_the_payload_had_a_readable_one(payload: bytes) -> None:
    assert rejected(payload).seq == 1042


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"{not json", id="bad-json"),
        pytest.param(b"[1042]", id="not-an-object"),
        pytest.param(encoded(body(seq=True)), id="seq-bool"),
        pytest.param(encoded(body(seq="1042")), id="seq-string"),
        pytest.param(encoded(body(seq=-1)), id="seq-negative"),
        pytest.param(encoded(body(omit=("seq",))), id="seq-missing"),
    ],
)
def test_a_rejection_has_no_seq_when_none_was_readable(payload: bytes) -> None:
    assert rejected(payload).seq is None


@pytest.mark.parametrize(
    "topic",
    [
        pytest.param(f"tec/v1/{HOME}/status", id="status-topic"),
        pytest.param(f"tec/v1/{HOME}/{DEVICE}/ack", id="ack-topic"),
        pytest.param(f"tec/v2/{HOME}/{DEVICE}/event", id="wrong-version"),
        pytest.param(f"tec/v1/{HOME}/{DEVICE}/event/extra", id="extra-level"),
        pytest.param(f"tec/v1/{HOME}/+/event", id="wildcard-device"),
    ],
)
def test_an_event_on_a_topic_that_is_not_an_event_topic_is_rejected_without_identity(topic: str) -> None:
    rejection = rejected(encoded(VALID), topic=topic)

    assert "is not tec/v1/{home_id}/{device_id}/event" in rejection.reason
    assert (rejection.home_id, rejection.device_id, rejection.seq) == (None, None, None)


@pytest.mark.parametrize("version", [True, 1.0], ids=["true", "1.0"])
def test_version_must_be_the_integer_1(version: object) -> None:
    rejection = rejected(encoded(body(v=version)))

    assert "field 'v'" in rejection.reason
    assert rejection.seq == 1042


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400"])
def test_non_finite_values_are_rejected(literal: bytes) -> None:
    payload = encoded(body(value=0)).replace(b'"value": 0', b'"value": ' + literal)
    assert literal in payload

    rejection = rejected(payload)

    assert (rejection.home_id, rejection.device_id) == (HOME, DEVICE)


def test_a_ts_before_the_first_representable_utc_instant_is_rejected() -> None:
    rejection = rejected(encoded(body(ts="0001-01-01T00:00:00+14:00")))

    assert "ts" in rejection.reason
    assert rejection.seq == 1042


def test_an_accepted_ts_is_normalised_to_utc() -> None:
    event = accepted(encoded(body(ts="2026-11-23T08:41:12+01:00")))

    assert event.ts.utcoffset() == timedelta(0)
    assert event.ts == datetime(2026, 11, 23, 7, 41, 12, tzinfo=UTC)


# alarms in malformed messages ------------------------------------------------------------------


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(body(type="pendant_press", seq="1042"), id="seq-string"),
        pytest.param(body(type="fall", colour="red"), id="unknown-field"),
        pytest.param(body(type="smoke", omit=("ts",)), id="missing-ts"),
        pytest.param(body(type="co", battery=300), id="battery-out-of-range"),
        pytest.param(body(type="pull_cord", device_id="someone-else"), id="device-mismatch"),
    ],
)
def test_a_malformed_message_naming_an_alarm_still_carries_the_alarm_type(doc: dict[str, object]) -> None:
    rejection = rejected(encoded(doc))

    assert rejection.alarm_type == doc["type"]
    assert (rejection.home_id, rejection.device_id) == (HOME, DEVICE)


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(body(type="motion", seq="1042"), id="activity-type"),
        pytest.param(body(type="heartbeat", colour="red"), id="technical-type"),
        pytest.param(body(type="teleport"), id="unknown-type"),
        pytest.param(body(type=["fall"]), id="type-not-a-string"),
        pytest.param(body(type="Fall", seq="x"), id="alarm-type-wrong-case"),
    ],
)
def test_a_malformed_message_not_naming_an_alarm_carries_no_alarm_type(doc: dict[str, object]) -> None:
    assert rejected(encoded(doc)).alarm_type is None


def test_an_alarm_on_a_malformed_topic_carries_no_alarm_type() -> None:
    rejection = rejected(encoded(body(type="fall")), topic=f"tec/v1/{HOME}/+/event")

    assert rejection.alarm_type is None
    assert rejection.home_id is None



"""The hand-checked path for well-formed events accepts only what the contract's model accepts, with the
same values, and the usual payloads do take it."""

from __future__ import annotations

import copy
import json
import math

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ingest import contract
from ingest.contract import Rejection, _checked_fields, _plain_event, names_alarm, peek_type

_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=2) | st.dictionaries(st.text(max_size=3), children, max_size=2),
    max_leaves=4,
)
_INTS = st.integers(min_value=-(2**70), max_value=2**70) | st.sampled_from([0, 1, 100, 101, 2**53, 2**53 + 1, 2**63])
_TIMES = st.sampled_from([
    "2026-12-04T10:00:00Z", "2026-12-04T10:00:00.123+01:00", "2026-12-04T10:00:00", "2026-12-04",
    "yesterday", "2026-12-04T10:00:00.123456-05:30", "9999-12-31T23:59:59+14:00", "",
])
_FIELD_VALUES = {
    "v": st.sampled_from([1, 1.0, True, "1", 2, None]),
    "seq": _INTS | st.sampled_from([True, 1.0, "3", None]),
    "ts": _TIMES | _ANY_JSON,
    "type": st.sampled_from([*sorted(contract.EVENT_CLASS), "", "x" * 33, "motion\x00", "Motion"]) | _ANY_JSON,
    "value": _INTS | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([True, None, "1"]),
    "room": st.text(max_size=70)
    | st.sampled_from(["kitchen", "k\x00", "é" * 64, "é" * 65, "\ud800", "a\udfff", None, 3]),
    "battery": _INTS | st.sampled_from([True, 5.0, None, "9"]),
    "home_id": st.sampled_from(["h1", "h2", None]),
    "extra": _ANY_JSON,
}


_GOOD_VALUES = {
    "v": st.just(1),
    "seq": st.integers(min_value=0, max_value=2**63 - 1),
    "ts": st.sampled_from(["2026-12-04T10:00:00Z", "2026-12-04T10:00:00.5+01:00", "2026-12-04T10:00:00.123456Z"]),
    "type": st.sampled_from(sorted(contract.EVENT_CLASS)),
    "value": st.integers(min_value=-(2**53), max_value=2**53) | st.floats(allow_nan=False, allow_infinity=False),
    "room": st.text(max_size=64).filter(lambda r: "\x00" not in r),
    "battery": st.integers(min_value=0, max_value=100),
}


@st.composite
def documents(draw: st.DrawFn) -> dict:
    """Mostly well-formed fields, so that about one document in five is a valid event and the rest differ
    from one in a field or two."""
    doc = {}
    for field, values in _FIELD_VALUES.items():
        # Required fields are usually there, optional ones half the time, unknown ones seldom.
        chance = {"v": 0.95, "seq": 0.95, "ts": 0.95, "type": 0.95, "home_id": 0.1, "extra": 0.05}.get(field, 0.5)
        if draw(st.floats(min_value=0, max_value=1)) < chance:
            good = field in _GOOD_VALUES and draw(st.floats(min_value=0, max_value=1)) < 0.8
            doc[field] = draw(_GOOD_VALUES[field] if good else values)
    return doc


def _model_says(doc: dict) -> object:
    return _checked_fields(copy.deepcopy(doc), "h1", "dev-1", lambda reason: Rejection(reason))


@settings(max_examples=500, deadline=None)  # a busy machine must not fail it on time
@given(documents())
def test_the_fast_path_accepts_only_what_the_model_accepts_with_the_same_values(doc: dict) -> None:
    fast = _plain_event(copy.deepcopy(doc))
    event(f"fast path: {fast is not None}")
    if fast is None:
        return
    model = _model_says(doc)
    assert not isinstance(model, Rejection), f"fast path took {doc!r}; the model refused it: {model}"
    assert fast == model
    assert all(type(a) is type(b) for a, b in zip(fast, model, strict=True))


@pytest.mark.parametrize("doc", [
    {"v": 1, "seq": 7, "ts": "2026-12-04T10:00:00.123Z", "type": "heartbeat", "battery": 87},
    {"v": 1, "seq": 8, "ts": "2026-12-04T10:00:00Z", "type": "motion", "value": 1, "room": "kitchen"},
    {"v": 1, "seq": 9, "ts": "2026-12-04T10:00:00+00:00", "type": "temperature", "value": 19.5, "room": "lounge"},
    {"v": 1, "seq": 10, "ts": "2026-12-04T10:00:00Z", "type": "pendant_press"},
])
def test_well_formed_events_take_the_fast_path(doc: dict) -> None:
    fast = _plain_event(dict(doc))
    assert fast is not None
    assert fast == _model_says(doc)


@pytest.mark.parametrize("doc", [
    {"v": 1, "seq": 1, "ts": "2026-12-04T10:00:00Z", "type": "motion", "value": math.inf},
    {"v": 1, "seq": 1, "ts": "2026-12-04T10:00:00", "type": "motion"},  # no zone
    {"v": 1, "seq": True, "ts": "2026-12-04T10:00:00Z", "type": "motion"},
    {"v": 1, "seq": 1, "ts": "2026-12-04T10:00:00Z", "type": "motion", "battery": 101},
    {"v": 1, "seq": 1, "ts": "2026-12-04T10:00:00Z", "type": "motion", "home_id": "h1"},  # checked by the model
])
def test_anything_unusual_goes_to_the_model(doc: dict) -> None:
    assert _plain_event(dict(doc)) is None


@settings(deadline=None)
@given(documents())
def test_names_alarm_agrees_with_reading_the_json(doc: dict) -> None:
    payload = json.dumps(doc, ensure_ascii=bool(doc.get("seq", 0) == 1)).encode("utf-8", "surrogatepass")
    assert names_alarm(payload) == (peek_type(payload) in contract.ALARM_TYPES)


@pytest.mark.parametrize("payload", [
    b'{"v":1,"seq":1,"ts":"2026-12-04T10:00:00Z","type":"pendant_press"}',
    b'{"type": "co"}',
    b'{"type":"pendant\\u005fpress"}',  # an escape spells the name without its bytes
])
def test_names_alarm_finds_alarms_however_written(payload: bytes) -> None:
    assert names_alarm(payload)

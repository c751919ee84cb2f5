"""Hypothesis strategies for hostile MQTT input: topics, and payloads json.dumps cannot write (huge
integers, 1e999, NaN, -0.0, lone surrogate escapes, duplicate keys, nesting deeper than the parser
allows) in broken encodings; and valid events with one field of the wrong type."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import strategies as st

from ingest.contract import ALARM_TYPES, EVENT_CLASS, MAX_PAYLOAD_BYTES
from tests.ingest.payloads import DEVICE, HOME

SEGMENTS = st.one_of(
    st.sampled_from(["tec", "v1", "v2", HOME, DEVICE, "event", "status", "ack", "+", "#", "", "\x00", " ",
                     "h" * 64, "h" * 65, "hóme", "-x", ".x", "\ud800"]),
    st.text(max_size=12),
)
TOPICS = st.one_of(
    st.text(max_size=300),
    st.lists(SEGMENTS, max_size=8).map("/".join),
    st.lists(SEGMENTS, max_size=3).map(lambda tail: "/".join(["tec", "v1", *tail])),
    st.integers(min_value=1, max_value=20_000).map(lambda n: "tec/v1/" + "a/" * n + "event"),
)


NUMBERS = st.one_of(
    st.integers().map(str),
    st.integers(min_value=2**63 - 2, max_value=2**64).map(str),
    st.integers(min_value=1, max_value=4000).map(lambda digits: "9" * digits),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e999", "-1e999", "-0.0", "0e0", "1E-400", "5e-324", "NaN", "Infinity", "-Infinity", "01"]),
)
STRINGS = st.one_of(
    st.text(max_size=40).map(json.dumps),
    st.text(max_size=40).map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.sampled_from(['"\\ud800"', '"\\udfff\\ud800"', '"k\\u0000"', '"\\"', '"pendant_press"', '"fall"', '"motion"',
                     '"2026-11-23T07:00:00Z"', '"9999-12-31T23:59:59-23:59"', '"0001-01-01T00:00:00+14:00"']),
)
SCALARS = st.one_of(NUMBERS, STRINGS, st.sampled_from(["true", "false", "null"]))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(STRINGS, inner), max_size=4).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"),
    ),
    max_leaves=10,
)
DEEP = st.integers(min_value=1, max_value=3000).flatmap(lambda depth: st.sampled_from(
    ["[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth]))
FIELD_VALUES = st.one_of(VALUES, DEEP)
EVENT_FIELDS = ["v", "seq", "ts", "type", "value", "room", "battery", "home_id", "device_id"]
VALID_FIELDS = {"v": "1", "seq": "1042", "ts": '"2026-11-23T07:41:12Z"', "type": '"pendant_press"', "value": "1",
                "room": '"kitchen"', "battery": "87"}


@st.composite
def hostile_objects(draw: st.DrawFn, fields: list[str], valid: dict[str, str]) -> str:
    """A JSON object text: some contract fields valid, some hostile, some missing, maybe extra or repeated keys."""
    members = []
    for name in fields:
        choice = draw(st.sampled_from(["valid", "hostile", "missing"]))
        if choice == "valid" and name in valid:
            members.append((json.dumps(name), valid[name]))
        elif choice == "hostile":
            members.append((json.dumps(name), draw(FIELD_VALUES)))
    members += draw(st.lists(st.tuples(STRINGS, FIELD_VALUES), max_size=2))
    members = draw(st.permutations(members))
    return "{" + ",".join(f"{k}:{v}" for k, v in members) + "}"


def corrupted(text: str, how: str, where: int) -> bytes:
    raw = text.encode("utf-8", "surrogatepass")
    where %= len(raw) + 1
    return {
        "none": raw,
        "bad-byte": raw[:where] + b"\xff" + raw[where:],
        "truncated": raw[:where],
        "bom": b"\xef\xbb\xbf" + raw,
        "utf-16": text.encode("utf-16", "surrogatepass"),
        "overlong": raw[:where] + b"\xc0\xaf" + raw[where:],
        "cesu-surrogate": raw[:where] + b"\xed\xa0\x80" + raw[where:],
        "padded": raw + b" " * (MAX_PAYLOAD_BYTES + 1 - len(raw)),
    }[how]


HOW = st.sampled_from(["none", "none", "none", "bad-byte", "truncated", "bom", "utf-16", "overlong",
                       "cesu-surrogate", "padded"])
EVENT_PAYLOADS = st.builds(corrupted, st.one_of(hostile_objects(EVENT_FIELDS, VALID_FIELDS), VALUES, DEEP), HOW,
                           st.integers(min_value=0))
STATUS_PAYLOADS = st.builds(
    corrupted, st.one_of(hostile_objects(["state", "ts"], {"state": '"online"', "ts": '"2026-11-23T07:00:00Z"'}),
                         VALUES, DEEP), HOW, st.integers(min_value=0))


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
# json.dumps writes NaN and Infinity, which the contract refuses as invalid JSON before any field is read.
FINITE = st.floats(allow_nan=False, allow_infinity=False)
NOT_DIGIT_LED = st.text(max_size=30).filter(lambda s: not s[:1].isdigit())
WRONG = {
    "v": ANY_JSON.filter(lambda v: not (type(v) is int and v == 1)),
    "seq": st.one_of(st.integers(max_value=-1), st.integers(min_value=2**63), st.booleans(), FINITE,
                     st.text(max_size=10), st.none(), st.lists(st.integers(), max_size=2)),
    "ts": st.one_of(st.integers(), FINITE, st.booleans(), st.none(), NOT_DIGIT_LED,
                    st.datetimes().map(datetime.isoformat), st.lists(st.text(max_size=3), max_size=2)),
    "type": st.one_of(st.text(max_size=40).filter(lambda t: t not in EVENT_CLASS), st.integers(), st.booleans(),
                      st.none(), st.lists(st.sampled_from(sorted(ALARM_TYPES)), max_size=2)),
    "value": st.one_of(st.text(max_size=10), st.booleans(), st.lists(FINITE, max_size=2),
                       st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)),
    "room": st.one_of(st.text(min_size=65, max_size=80), st.integers(), st.booleans(), st.lists(st.text(), max_size=2),
                      st.text(max_size=10).map(lambda r: r + "\x00")),
    "battery": st.one_of(st.integers(max_value=-1), st.integers(min_value=101), FINITE,
                         st.booleans(), st.text(max_size=5)),
    "home_id": ANY_JSON.filter(lambda v: v is not None and v != HOME),
    "device_id": ANY_JSON.filter(lambda v: v is not None and v != DEVICE),
}


@st.composite
def one_wrong_field(draw: st.DrawFn) -> tuple[dict[str, object], str]:
    doc: dict[str, object] = {"v": 1, "seq": draw(st.integers(0, 2**63 - 1)), "ts": "2026-11-23T07:41:12Z",
                              "type": draw(st.sampled_from(sorted(EVENT_CLASS))), "value": 1.5, "room": "kitchen",
                              "battery": 50}
    field = draw(st.sampled_from(sorted(WRONG)))
    doc[field] = draw(WRONG[field])
    return doc, field

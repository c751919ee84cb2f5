"""The v1 MQTT contract (design.md §2): topics, event payloads, and validation with a reason.

Pure: no I/O. `validate_event()` turns raw bytes into an `Event` or a `Rejection` whose reason is
written for the person who has to fix the home unit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

MAX_PAYLOAD_BYTES = 4096
MAX_FUTURE = timedelta(hours=24)
TOPIC_ROOT = "tec/v1"
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class EventClass(StrEnum):
    ALARM = "alarm"
    ACTIVITY = "activity"
    TECHNICAL = "technical"


ALARM_TYPES = frozenset(
    {"pendant_press", "pull_cord", "fall", "smoke", "co", "flood", "heat_high", "bogus_caller"}
)
ACTIVITY_TYPES = frozenset(
    {"motion", "door", "bed", "chair", "fridge", "power", "temperature", "toilet"}
)
TECHNICAL_TYPES = frozenset({"heartbeat", "battery_low", "tamper", "mains_fail", "mains_restored"})
EVENT_CLASS: dict[str, EventClass] = {
    **{t: EventClass.ALARM for t in ALARM_TYPES},
    **{t: EventClass.ACTIVITY for t in ACTIVITY_TYPES},
    **{t: EventClass.TECHNICAL for t in TECHNICAL_TYPES},
}


class EventPayload(BaseModel):
    """The event JSON a home unit publishes. Unknown fields are refused: v1 is a closed contract."""

    model_config = ConfigDict(extra="forbid", strict=True)

    v: Literal[1]
    seq: int = Field(ge=0, lt=2**63)
    ts: AwareDatetime
    type: str = Field(min_length=1, max_length=32)
    value: float | None = None
    room: str | None = Field(None, max_length=64)
    battery: int | None = Field(None, ge=0, le=100)


class StatusPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    state: Literal["online", "offline"]
    ts: AwareDatetime


@dataclass(frozen=True)
class Topic:
    home_id: str
    device_id: str | None  # None for the unit's status topic
    leaf: Literal["event", "status", "ack"]


class Event(NamedTuple):  # one per message: a tuple is cheaper to make than a frozen dataclass
    home_id: str
    device_id: str
    seq: int
    ts: datetime
    type: str
    value: float | None
    room: str | None
    battery: int | None

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.home_id, self.device_id, self.seq)

    @property
    def event_class(self) -> EventClass:
        return EVENT_CLASS[self.type]


@dataclass(frozen=True)
class UnitStatus:
    home_id: str
    state: Literal["online", "offline"]
    ts: datetime


@dataclass(frozen=True)
class Rejection:
    reason: str
    home_id: str | None = None
    device_id: str | None = None
    seq: int | None = None  # echoed in the ack when the payload was readable enough to have one
    # Set when a malformed payload still names an alarm type: the hub raises the alarm anyway,
    # because a firmware fault must never turn a pendant press into silence.
    alarm_type: str | None = None


def event_topic(home_id: str, device_id: str) -> str:
    return f"{TOPIC_ROOT}/{home_id}/{device_id}/event"


def ack_topic(home_id: str, device_id: str) -> str:
    return f"{TOPIC_ROOT}/{home_id}/{device_id}/ack"


def status_topic(home_id: str) -> str:
    return f"{TOPIC_ROOT}/{home_id}/status"


def parse_topic(topic: str) -> Topic | None:
    parts = topic.split("/")
    if len(parts) < 4 or "/".join(parts[:2]) != TOPIC_ROOT:
        return None
    home_id = parts[2]
    if not _SLUG.match(home_id):
        return None
    if len(parts) == 4 and parts[3] == "status":
        return Topic(home_id, None, "status")
    if len(parts) == 5 and parts[4] in ("event", "ack") and _SLUG.match(parts[3]):
        return Topic(home_id, parts[3], parts[4])  # type: ignore[arg-type]
    return None


def _printable(text: str) -> str:
    """Text taken from a payload, with control characters written as escapes: a reason is stored as text
    (which cannot hold NUL), goes into alert explanations, and is read by someone fixing a unit."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = _printable(".".join(str(p) for p in err["loc"])) or "payload"
    if err["type"] == "extra_forbidden":
        return f"field '{where}' is not part of the v1 contract"
    if err["type"] == "missing":
        return f"field '{where}' is missing"
    return f"field '{where}': {err['msg']}"


def _decode_json(payload: bytes) -> tuple[object | None, str | None]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None, f"payload is {len(payload)} bytes; the limit is {MAX_PAYLOAD_BYTES}"
    if not payload:
        return None, "empty payload"
    try:
        return _DECODER.decode(payload.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, "payload is not valid UTF-8"
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"invalid JSON: {exc}"


def _refuse_constant(name: str) -> float:
    raise json.JSONDecodeError(f"{name} is not a JSON number", name, 0)


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)  # made once: json.loads(..., kw) builds one a call


def _readable_seq(doc: object) -> int | None:
    if isinstance(doc, dict):
        seq = doc.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2**63:
            return seq
    return None


def peek_type(payload: bytes) -> str | None:
    """The event type a payload names, without validating it: cheap enough for the MQTT network thread,
    where it sorts alarms into the fast lane. None when the payload cannot be read."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    named = doc.get("type") if isinstance(doc, dict) else None
    return named if isinstance(named, str) else None


# An alarm type, as a JSON string, shows its name in quotes in the bytes unless an escape spells it.
_ALARM_NAME_BYTES = re.compile(b"|".join(b'"' + re.escape(name.encode()) + b'"' for name in sorted(ALARM_TYPES)))


def names_alarm(payload: bytes) -> bool:
    """Whether a payload names an alarm type, as `peek_type` reads it, without parsing the JSON of the
    nearly every message that cannot: one whose bytes show no alarm name in quotes and no escape."""
    if b"\\u" not in payload and _ALARM_NAME_BYTES.search(payload) is None:
        return False
    return peek_type(payload) in ALARM_TYPES


def _alarm_named_leniently(payload: bytes) -> str | None:
    """The alarm type a payload the contract cannot read still names: a NaN value, a byte-order mark, UTF-16
    or one bad byte is a firmware fault, and must not silence the pendant press it carries. Read as the fast
    lane reads it (`peek_type`), then once more with undecodable bytes replaced."""
    named = peek_type(payload) or peek_type(payload.decode("utf-8", "replace").encode("utf-8"))
    return named if named in ALARM_TYPES else None


def validate_event(topic: str, payload: bytes, now: datetime, parsed: Topic | None = None) -> Event | Rejection:
    """Check one message against the v1 event contract (`parsed`: its topic, if the caller parsed it)."""
    parsed = parsed or parse_topic(topic)
    if parsed is None or parsed.leaf != "event" or parsed.device_id is None:
        return Rejection(f"topic {topic[:200]!r} is not tec/v1/{{home_id}}/{{device_id}}/event")
    home_id, device_id = parsed.home_id, parsed.device_id
    doc, problem = _decode_json(payload)
    if problem:
        return Rejection(problem, home_id, device_id, alarm_type=_alarm_named_leniently(payload))
    if not isinstance(doc, dict):
        return Rejection("payload must be a JSON object", home_id, device_id)
    named_type = doc.get("type")
    alarm_type = named_type if isinstance(named_type, str) and named_type in ALARM_TYPES else None

    def reject(reason: str) -> Rejection:
        return Rejection(reason, home_id, device_id, _readable_seq(doc), alarm_type)

    fast = _plain_event(doc)
    if fast is not None:
        ts, seq, type_, value, room, battery = fast
    else:
        checked = _checked_fields(doc, home_id, device_id, reject)
        if isinstance(checked, Rejection):
            return checked
        ts, seq, type_, value, room, battery = checked
    try:
        ts = ts.astimezone(UTC)
    except OverflowError:
        return reject(f"ts {ts.isoformat()} is out of range")
    if ts - now > MAX_FUTURE:
        return reject(f"ts {ts.isoformat()} is more than 24 h ahead of the hub's clock; check the unit's clock")
    return Event(home_id, device_id, seq, ts, type_, value, room, battery)


_Fields = tuple[datetime, int, str, float | None, str | None, int | None]
_PLAIN_KEYS = frozenset({"v", "seq", "ts", "type", "value", "room", "battery"})
_MAX_EXACT_INT = 2**53


def _plain_event(doc: dict) -> _Fields | None:
    """The fields of a well-formed event, checked by hand, or None to let the model check it and say why.

    Nearly every message is well-formed, and the model's validation was a large share of ingest's time. This
    accepts only what `EventPayload` accepts (tests/ingest/test_contract_fast_path.py compares the two on
    generated payloads); anything unusual, including payloads that repeat the topic's ids, goes the long way.
    """
    if not doc.keys() <= _PLAIN_KEYS:
        return None
    v, seq, raw_ts, type_ = doc.get("v"), doc.get("seq"), doc.get("ts"), doc.get("type")
    value, room, battery = doc.get("value"), doc.get("room"), doc.get("battery")
    if type(v) is not int or v != 1 or type(seq) is not int or not 0 <= seq < 2**63:
        return None
    if type(type_) is not str or type_ not in EVENT_CLASS or type(raw_ts) is not str:
        return None
    if value is not None:
        if type(value) is int and -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT:
            value = float(value)
        elif type(value) is not float or not math.isfinite(value):
            return None
    if room is not None and (type(room) is not str or len(room) > 64 or "\x00" in room
                             or not (room.isascii() or _utf8_encodable(room))):
        return None
    if battery is not None and (type(battery) is not int or not 0 <= battery <= 100):
        return None
    try:
        ts = datetime.fromisoformat(raw_ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    if ts.tzinfo is None or ts.utcoffset() is None:
        return None
    return ts, seq, type_, value, room, battery


def _utf8_encodable(text: str) -> bool:
    """False for a lone surrogate (JSON can spell one): the model refuses it, and the database could not store it."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _checked_fields(doc: dict, home_id: str, device_id: str,
                    reject: Callable[[str], Rejection]) -> _Fields | Rejection:
    """The model's validation, with the reason written for whoever fixes the unit."""
    for field, expected in (("home_id", home_id), ("device_id", device_id)):
        claimed = doc.pop(field, None)
        if claimed is not None and claimed != expected:
            return reject(f"payload {field} {str(claimed)[:64]!r} does not match the topic's {expected!r}")
    if "v" in doc and type(doc["v"]) is not int:  # strict Literal[1] would still let true and 1.0 through
        return reject("field 'v': must be the integer 1")
    try:
        body = EventPayload.model_validate(_parse_ts(doc))
    except ValidationError as exc:
        return reject(_first_error(exc))
    if "\x00" in body.type or (body.room and "\x00" in body.room):
        return reject("text fields must not contain NUL characters")
    if body.type not in EVENT_CLASS:
        return reject(f"unknown event type {body.type!r}")
    if body.value is not None and not math.isfinite(body.value):
        return reject("field 'value': must be a finite number")
    return body.ts, body.seq, body.type, body.value, body.room, body.battery


def validate_status(topic: str, payload: bytes, now: datetime) -> UnitStatus | Rejection:
    parsed = parse_topic(topic)
    if parsed is None or parsed.leaf != "status":
        return Rejection(f"topic {topic[:200]!r} is not tec/v1/{{home_id}}/status")
    doc, problem = _decode_json(payload)
    if problem:
        return Rejection(problem, parsed.home_id)
    try:
        body = StatusPayload.model_validate(_parse_ts(doc))
        ts = body.ts.astimezone(UTC)
    except ValidationError as exc:
        return Rejection(_first_error(exc), parsed.home_id)
    except OverflowError:
        return Rejection("ts is out of range", parsed.home_id)
    if ts - now > MAX_FUTURE:
        return Rejection(f"ts {ts.isoformat()} is more than 24 h ahead of the hub's clock; check the unit's clock",
                         parsed.home_id)
    return UnitStatus(parsed.home_id, body.state, ts)


def _parse_ts(doc: object) -> object:
    """Strict mode refuses strings for datetimes; JSON carries them as strings, so parse `ts` here.

    Everything else stays strict: "1" is not a number and true is not a seq.
    """
    if isinstance(doc, dict) and isinstance(doc.get("ts"), str):
        raw = doc["ts"]
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return doc  # strict validation reports it as not a datetime
        return {**doc, "ts": parsed}
    return doc

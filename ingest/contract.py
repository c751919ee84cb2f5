"""The v1 MQTT contract (design.md §2): topics, event payloads, and validation with a reason.

Pure: no I/O. `validate_event()` turns raw bytes into an `Event` or a `Rejection` whose reason is
written for the person who has to fix the home unit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

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


@dataclass(frozen=True)
class Event:
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


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "payload"
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
        return json.loads(payload.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, "payload is not valid UTF-8"
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"invalid JSON: {exc}"


def _readable_seq(doc: object) -> int | None:
    if isinstance(doc, dict):
        seq = doc.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2**63:
            return seq
    return None


def validate_event(topic: str, payload: bytes, now: datetime) -> Event | Rejection:
    """Check one message against the v1 event contract."""
    parsed = parse_topic(topic)
    if parsed is None or parsed.leaf != "event" or parsed.device_id is None:
        return Rejection(f"topic {topic[:200]!r} is not tec/v1/{{home_id}}/{{device_id}}/event")
    home_id, device_id = parsed.home_id, parsed.device_id
    doc, problem = _decode_json(payload)
    if problem:
        return Rejection(problem, home_id, device_id)
    seq = _readable_seq(doc)
    if not isinstance(doc, dict):
        return Rejection("payload must be a JSON object", home_id, device_id)
    for field in ("home_id", "device_id"):
        claimed = doc.get(field)
        expected = home_id if field == "home_id" else device_id
        if claimed is not None and claimed != expected:
            return Rejection(
                f"payload {field} {str(claimed)[:64]!r} does not match the topic's {expected!r}",
                home_id, device_id, seq,
            )
        doc.pop(field, None)
    try:
        body = EventPayload.model_validate(_parse_ts(doc))
    except ValidationError as exc:
        return Rejection(_first_error(exc), home_id, device_id, seq)
    if "\x00" in body.type or (body.room and "\x00" in body.room):
        return Rejection("text fields must not contain NUL characters", home_id, device_id, seq)
    if body.type not in EVENT_CLASS:
        return Rejection(f"unknown event type {body.type!r}", home_id, device_id, seq)
    if body.ts - now > MAX_FUTURE:
        return Rejection(
            f"ts {body.ts.isoformat()} is more than 24 h ahead of the hub's clock; check the unit's clock",
            home_id, device_id, seq,
        )
    return Event(home_id, device_id, body.seq, body.ts, body.type, body.value, body.room, body.battery)


def validate_status(topic: str, payload: bytes) -> UnitStatus | Rejection:
    parsed = parse_topic(topic)
    if parsed is None or parsed.leaf != "status":
        return Rejection(f"topic {topic[:200]!r} is not tec/v1/{{home_id}}/status")
    doc, problem = _decode_json(payload)
    if problem:
        return Rejection(problem, parsed.home_id)
    try:
        body = StatusPayload.model_validate(_parse_ts(doc))
    except ValidationError as exc:
        return Rejection(_first_error(exc), parsed.home_id)
    return UnitStatus(parsed.home_id, body.state, body.ts)


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

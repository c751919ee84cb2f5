"""Payload builders shared by the contract tests."""


from __future__ import annotations

import json
from datetime import UTC, datetime

from ingest.contract import (
    Event,
    EventClass,
    Rejection,
    validate_event,
)

NOW = datetime(2026, 11, 23, 8, 0, 0, tzinfo=UTC)
HOME, DEVICE = "home-0042", "pir-kitchen"
TOPIC = f"tec/v1/{HOME}/{DEVICE}/event"
VALID: dict[str, object] = {
    "v": 1, "seq": 1042, "ts": "2026-11-23T07:41:12.345Z", "type": "motion", "value": 1, "room": "kitchen",
    "battery": 87,
}

DESIGN_TYPES = {
    EventClass.ALARM: ["pendant_press", "pull_cord", "fall", "smoke", "co", "flood", "heat_high", "bogus_caller"],
    EventClass.ACTIVITY: ["motion", "door", "bed", "chair", "fridge", "power", "temperature", "toilet"],
    EventClass.TECHNICAL: ["heartbeat", "battery_low", "tamper", "mains_fail", "mains_restored"],
}


def body(*, omit: tuple[str, ...] = (), **changes: object) -> dict[str, object]:
    doc = {k: v for k, v in VALID.items() if k not in omit}
    doc.update(changes)
    return doc


def encoded(doc: object) -> bytes:
    return json.dumps(doc).encode()


def rejected(payload: bytes, topic: str = TOPIC, now: datetime = NOW) -> Rejection:
    result = validate_event(topic, payload, now)
    assert isinstance(result, Rejection), f"expected a rejection, got {result!r}"
    return result


def accepted(payload: bytes, topic: str = TOPIC, now: datetime = NOW) -> Event:
    result = validate_event(topic, payload, now)
    assert isinstance(result, Event), f"expected an event, got {result!r}"
    return result


def padded_to(doc: dict[str, object], size: int) -> bytes:
    """Valid JSON of exactly `size` bytes (trailing whitespace is legal JSON)."""
    raw = encoded(doc)
    assert len(raw) <= size
    return raw + b" " * (size - len(raw))



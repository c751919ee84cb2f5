"""The faults `hub chaos` injects besides killing ingest: broker restarts, PostgreSQL restarts and a
barrage of malformed MQTT messages. Each returns what it did, so the run's JSON line records it.

Malformed messages are drawn with `random` (a chaos run must not need the test dependencies), in the
families the fuzz tests cover with hypothesis: bytes that are not UTF-8, truncated or deeply nested
JSON, numbers no field can hold, fields of the wrong type, missing and unknown fields, payloads over
the size limit, and topics that are not the contract's. Every one must end as a dead letter with a
reason; each goes to a device id (or stray topic) of its own so its dead letter can be told apart.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

import httpx
import paho.mqtt.client as mqtt
import psycopg

from ingest.contract import MAX_PAYLOAD_BYTES, event_topic

VALID = {"v": 1, "seq": 1, "ts": "2026-11-23T07:41:12Z", "type": "motion", "value": 1, "room": "kitchen"}
WRONG_VALUES: dict[str, list[object]] = {
    "v": [2, "1", None, [1], 1.5],
    "seq": [-1, 2**64, "12", True, 1.5, None, [1]],
    "ts": [12, "yesterday", "2026-13-40T99:99:99Z", None, True, "2026-11-23T07:41:12"],
    "type": [42, "", "not_a_type", None, ["pendant_press"]],
    "value": ["high", [1], {"a": 1}, True],
    "room": ["r" * 100, 7, ["kitchen"], "kit\u0000chen"],
    "battery": [-1, 101, "full", 50.5],
}
FAMILIES = ("not_utf8", "truncated", "deep", "huge_number", "wrong_type", "missing_field", "unknown_field",
            "oversize", "not_json", "bad_utf8_in_string")


def malformed_payload(rng: random.Random) -> tuple[str, bytes]:
    """(family, payload): an event payload the v1 contract must refuse."""
    family = rng.choice(FAMILIES)
    doc: dict[str, object] = dict(VALID, seq=rng.randint(1, 2**40))
    if family == "not_utf8":
        return family, b"\xff" + rng.randbytes(rng.randint(0, 200))
    if family == "truncated":
        raw = json.dumps(doc).encode()
        return family, raw[: rng.randint(1, len(raw) - 1)]
    if family == "deep":
        depth = rng.randint(100, 1500)
        return family, (b"[" * depth + b"]" * depth) if rng.random() < 0.5 else (b'{"a":' * depth + b"1" + b"}" * depth)
    if family == "huge_number":
        huge = "9" * rng.randint(20, 3000)
        return family, json.dumps(dict(doc, seq=0)).replace('"seq": 0', f'"seq": {huge}').encode()
    if family == "wrong_type":
        name = rng.choice(sorted(WRONG_VALUES))
        return family, json.dumps(dict(doc, **{name: rng.choice(WRONG_VALUES[name])})).encode()
    if family == "missing_field":
        del doc[rng.choice(["v", "seq", "ts", "type"])]
        return family, json.dumps(doc).encode()
    if family == "unknown_field":
        return family, json.dumps(dict(doc, **{f"x_{rng.randint(0, 999)}": rng.random()})).encode()
    if family == "oversize":
        return family, json.dumps(doc).encode() + b" " * (MAX_PAYLOAD_BYTES + rng.randint(1, 5000))
    if family == "not_json":
        return family, rng.choice([b"", b"null", b"[]", b"true", b"1e999", b"NaN", b"{'v': 1}", b"{", b'"motion"'])
    return family, json.dumps(dict(doc, room="ROOM")).encode().replace(b"ROOM", b"kit\xc0\xafchen")


def stray_topic(rng: random.Random, home_id: str, device_id: str, under_home: bool = False) -> str:
    """A topic under tec/v1/ that ingest hears but that is no event or status topic of the contract;
    `under_home`: only under the home's own prefix (partitioned workers hear registered homes only)."""
    choices = [f"tec/v1/{home_id}/{device_id}", f"tec/v1/{home_id}/{device_id}/events",
               f"tec/v1/{home_id}/{device_id}/event/extra", f"tec/v1/{home_id}/{device_id}/EVENT"]
    if not under_home:
        choices.append(f"tec/v1/{device_id}/" + "x/" * rng.randint(3, 150) + "event")
    return rng.choice(choices)


@dataclass
class MalformedResult:
    sent: int = 0
    families: dict[str, int] = field(default_factory=dict)
    device_ids: set[str] = field(default_factory=set)  # each event-topic message's own device
    stray_topics: set[str] = field(default_factory=set)


def publish_malformed(broker_url: str, home_ids: list[str], count: int, rng: random.Random,
                      per_s: float = 250.0, under_home: bool = False) -> MalformedResult:
    """Publish `count` malformed messages at QoS 1, spread over the homes; returns once the broker has
    accepted them all."""
    host, port = broker_url.removeprefix("mqtt://").rsplit(":", 1)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"chaos-hostile-{uuid.uuid4().hex[:6]}",
                         protocol=mqtt.MQTTv5)
    client.connect(host, int(port))
    client.loop_start()
    result, pending, run = MalformedResult(), [], uuid.uuid4().hex[:6]
    try:
        for index in range(count):
            home_id, device_id = rng.choice(home_ids), f"hostile-{run}-{index}"
            if rng.random() < 0.15:
                family, payload = "stray_topic", json.dumps(dict(VALID, seq=index + 1)).encode()
                topic = stray_topic(rng, home_id, device_id, under_home)
                result.stray_topics.add(topic)
            else:
                family, payload = malformed_payload(rng)
                topic = event_topic(home_id, device_id)
                result.device_ids.add(device_id)
            result.families[family] = result.families.get(family, 0) + 1
            pending.append(client.publish(topic, payload, qos=1))
            result.sent += 1
            time.sleep(1.0 / per_s)
        for info in pending:
            info.wait_for_publish(30)
    finally:
        client.loop_stop()
        client.disconnect()
    return result


def dead_lettered(conn: psycopg.Connection, malformed: MalformedResult, since_id: int) -> int:
    """How many of the malformed messages have a dead letter with a reason."""
    rows = conn.execute("SELECT topic, device_id, reason FROM dead_letters WHERE id > %s AND reason <> ''",
                        (since_id,)).fetchall()
    return sum(1 for topic, device, _ in rows if device in malformed.device_ids or topic in malformed.stray_topics)


@dataclass
class Restarts:
    done: int = 0
    not_ready_seen: int = 0  # outages during which the console's /readyz answered 503
    outages_s: list[float] = field(default_factory=list)


def _not_ready_during(console_url: str, outage_s: float, give_up_s: float = 20.0) -> bool:
    """Keep the dependency down for `outage_s`, and longer (up to `give_up_s`) until the console's
    /readyz has said 503: whether it ever did is the answer."""
    began, seen = time.monotonic(), False
    while (elapsed := time.monotonic() - began) < outage_s or (not seen and elapsed < give_up_s):
        with suppress(httpx.HTTPError):
            seen = seen or httpx.get(console_url + "/readyz", timeout=5).status_code == 503
        time.sleep(0.2)
    return seen


def restart_repeatedly(stop: Callable[[], None], start: Callable[[], object], *, times: int, console_url: str,
                       rng: random.Random, outage_s: float, what: str, progress: Callable[[str], None],
                       still_alive: Callable[[], None]) -> Restarts:
    """Stop and start a dependency `times` times, up a random 1 to 3 s in between; `still_alive` raises
    if ingest gave up instead of riding the outage out."""
    result = Restarts()
    for index in range(1, times + 1):
        time.sleep(rng.uniform(1.0, 3.0))
        stop()
        began = time.monotonic()
        result.not_ready_seen += _not_ready_during(console_url, outage_s)
        start()
        result.outages_s.append(round(time.monotonic() - began, 2))
        still_alive()
        result.done += 1
        if index % 5 == 0 or index == times:
            progress(f"  {index}/{times} {what} restarts")
    return result

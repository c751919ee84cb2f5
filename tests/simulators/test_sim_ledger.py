import json
from datetime import UTC, datetime

import pytest

from simulators.ledger import EventLedger, event_payload, format_ts
from simulators.unit import HomeUnit

TS = datetime(2026, 11, 23, 7, 41, 12, 345678, tzinfo=UTC)


def test_payload_matches_the_contract_and_omits_none() -> None:
    body = json.loads(event_payload(1042, TS, "motion", 1, "kitchen", 87))
    assert body == {"v": 1, "seq": 1042, "ts": "2026-11-23T07:41:12.345Z", "type": "motion",
                    "value": 1, "room": "kitchen", "battery": 87}
    assert json.loads(event_payload(1, TS, "heartbeat")) == {"v": 1, "seq": 1, "ts": format_ts(TS),
                                                            "type": "heartbeat"}


def test_seq_is_per_device_and_strictly_increasing() -> None:
    ledger = EventLedger("home-x", seq_start=100)
    seqs: dict[str, list[int]] = {"a": [], "b": []}
    for i in range(10):
        device = "a" if i % 3 else "b"
        seqs[device].append(ledger.new_event(device, TS, "motion", now=0.0, value=1).seq)
    assert seqs["a"] == list(range(100, 100 + len(seqs["a"])))
    assert seqs["b"] == list(range(100, 100 + len(seqs["b"])))
    assert ledger.last_seq("a") == seqs["a"][-1]


def test_pending_until_acked_then_resent_identically_with_backoff() -> None:
    ledger = EventLedger("home-x", retry_after_s=5.0, max_retry_after_s=12.0, backoff=2.0)
    record = ledger.new_event("pir-kitchen", TS, "motion", now=1000.0, value=1, room="kitchen")
    original = record.payload
    assert record.topic == "tec/v1/home-x/pir-kitchen/event"
    assert ledger.pending_count() == 1

    assert ledger.due_for_retry(1004.9) == []
    (retry,) = ledger.due_for_retry(1005.0)
    assert retry.payload == original and retry.seq == record.seq and retry.attempts == 2
    assert ledger.due_for_retry(1014.9) == []            # second wait doubles to 10 s
    assert len(ledger.due_for_retry(1015.0)) == 1
    assert ledger.due_for_retry(1026.9) == []            # capped at 12 s
    assert len(ledger.due_for_retry(1027.0)) == 1

    settled = ledger.on_ack("pir-kitchen", record.seq, "stored", None, now=1027.5)
    assert settled is record and record.status == "stored" and record.latency_s == pytest.approx(27.5)
    assert ledger.pending_count() == 0
    assert ledger.due_for_retry(2000.0) == []
    stats = ledger.stats()
    assert (stats.sent, stats.acked, stats.stored, stats.retries, stats.pending) == (1, 1, 1, 3, 0)
    assert ledger.latencies() == [pytest.approx(27.5)]


def test_second_ack_for_the_same_event_is_counted_not_applied() -> None:
    ledger = EventLedger("home-x")
    record = ledger.new_event("bed-1", TS, "bed", now=0.0, value=0)
    ledger.on_ack("bed-1", record.seq, "duplicate", None, now=1.0)
    assert ledger.on_ack("bed-1", record.seq, "stored", None, now=2.0) is None
    stats = ledger.stats()
    assert (stats.acked, stats.duplicates, stats.stored, stats.late_acks) == (1, 1, 0, 1)


def test_rejected_is_settled_with_its_reason() -> None:
    ledger = EventLedger("home-x")
    record = ledger.new_event("bed-1", TS, "nonsense", now=0.0)
    ledger.on_ack("bed-1", record.seq, "rejected", "unknown type", now=0.2)
    assert record.reason == "unknown type" and ledger.pending_count() == 0 and ledger.stats().rejected == 1
    with pytest.raises(ValueError):
        ledger.on_ack("bed-1", record.seq, "maybe", None, now=0.3)


def test_postpone_after_reconnect() -> None:
    ledger = EventLedger("home-x", retry_after_s=5.0)
    ledger.new_event("a", TS, "motion", now=0.0)
    ledger.postpone_all(now=4.0)
    assert ledger.due_for_retry(5.0) == []
    assert len(ledger.due_for_retry(9.0)) == 1


def test_home_unit_assigns_seqs_without_a_broker() -> None:
    """`send` never needs the network: paho queues until connected, the ledger holds the event."""
    unit = HomeUnit("home-offline", "mqtt://127.0.0.1:1", seq_start=1, retry_thread=False)
    records = [unit.send("pir-hallway", "motion", 1, "hallway", ts=TS) for _ in range(5)]
    records.append(unit.send("door-front", "door", 1, "front_door", ts=TS))
    assert [r.seq for r in records] == [1, 2, 3, 4, 5, 1]
    assert unit.pending_count() == 6
    assert unit.resend_due() == 0  # not connected: nothing to resend over
    body = json.loads(records[-1].payload)
    assert body["type"] == "door" and body["room"] == "front_door" and "battery" not in body

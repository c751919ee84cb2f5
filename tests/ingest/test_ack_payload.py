"""The app-level ack a home unit receives after commit (ingest/writer.py `ack_payload`, design.md §2)."""

from __future__ import annotations

import json

import pytest

from ingest.writer import Outcome, Received, ack_payload

TOPIC = "tec/v1/home-0042/pir-kitchen/event"
MESSAGE = Received(TOPIC, b'{"v": 1}')


def decoded(outcome: Outcome) -> object:
    raw = ack_payload(outcome)
    assert isinstance(raw, bytes)
    return json.loads(raw.decode("utf-8"))


@pytest.mark.parametrize("status", ["stored", "duplicate"])
def test_a_stored_or_duplicate_ack_has_only_seq_and_status(status: str) -> None:
    outcome = Outcome(MESSAGE, status, "home-0042", "pir-kitchen", 1042)  # type: ignore[arg-type]

    assert decoded(outcome) == {"seq": 1042, "status": status}


def test_a_rejected_ack_carries_the_reason() -> None:
    outcome = Outcome(MESSAGE, "rejected", "home-0042", "pir-kitchen", 1042, "unknown event type 'teleport'")

    assert decoded(outcome) == {"seq": 1042, "status": "rejected", "reason": "unknown event type 'teleport'"}


def test_a_rejected_ack_without_a_readable_seq_sends_null() -> None:
    outcome = Outcome(MESSAGE, "rejected", "home-0042", "pir-kitchen", None, "invalid JSON")

    assert decoded(outcome) == {"seq": None, "status": "rejected", "reason": "invalid JSON"}


def test_the_ack_is_compact_json() -> None:
    outcome = Outcome(MESSAGE, "stored", "home-0042", "pir-kitchen", 7)

    assert ack_payload(outcome) == b'{"seq":7,"status":"stored"}'


def test_a_non_ascii_reason_survives_the_round_trip() -> None:
    reason = "room 'küche' is not known"
    outcome = Outcome(MESSAGE, "rejected", "home-0042", "pir-kitchen", 3, reason)

    assert decoded(outcome) == {"seq": 3, "status": "rejected", "reason": reason}

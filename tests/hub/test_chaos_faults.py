"""The malformed messages `hub chaos` throws are each refused by the v1 contract (so each must end as a
dead letter), cover every family, and are the same for the same seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from hub.chaos_faults import FAMILIES, malformed_payload, stray_topic
from ingest.contract import Rejection, event_topic, parse_topic, validate_event


def test_every_malformed_payload_is_refused_by_the_contract() -> None:
    rng, seen = random.Random(3), set()
    for _ in range(3000):
        family, payload = malformed_payload(rng)
        seen.add(family)
        verdict = validate_event(event_topic("home-0001", "hostile-1"), payload, datetime.now(UTC))
        assert isinstance(verdict, Rejection) and verdict.reason, (family, payload[:120])
    assert seen == set(FAMILIES)


def test_stray_topics_are_heard_by_ingest_but_are_no_contract_topic() -> None:
    rng = random.Random(5)
    for index in range(500):
        topic = stray_topic(rng, "home-0001", f"hostile-{index}")
        assert topic.startswith("tec/v1/") and "+" not in topic and "#" not in topic
        assert parse_topic(topic) is None, topic


def test_the_same_seed_draws_the_same_barrage() -> None:
    first, second = random.Random(9), random.Random(9)
    assert [malformed_payload(first) for _ in range(50)] == [malformed_payload(second) for _ in range(50)]

"""The per-home token bucket: bursts pass, sustained floods are limited, homes are independent,
floods are reported at a bounded rate and clear once calm."""

from __future__ import annotations

from ingest.contract import peek_type
from ingest.ratelimit import HomeRateLimiter


def test_a_burst_up_to_the_limit_passes_then_the_excess_is_refused() -> None:
    limiter = HomeRateLimiter(rate_per_s=10, burst=50)
    admitted = [limiter.admit("h1", now=0.0) for _ in range(80)]
    assert admitted.count(True) == 50
    assert admitted[50:] == [False] * 30


def test_tokens_refill_at_the_rate() -> None:
    limiter = HomeRateLimiter(rate_per_s=10, burst=5)
    for _ in range(5):
        assert limiter.admit("h1", now=0.0)
    assert not limiter.admit("h1", now=0.0)
    assert limiter.admit("h1", now=0.1)  # one token back after 0.1 s at 10/s
    assert not limiter.admit("h1", now=0.1)
    assert [limiter.admit("h1", now=10.0) for _ in range(6)].count(True) == 5  # never above the burst


def test_one_flooding_home_does_not_use_up_another_homes_allowance() -> None:
    limiter = HomeRateLimiter(rate_per_s=1, burst=3)
    for _ in range(100):
        limiter.admit("flood", now=0.0)
    assert [limiter.admit("quiet", now=0.0) for _ in range(3)] == [True, True, True]


def test_floods_are_reported_once_per_interval_with_the_count_then_clear_when_calm() -> None:
    limiter = HomeRateLimiter(rate_per_s=1, burst=1, report_every_s=60, quiet_after_s=600)
    for _ in range(11):
        limiter.admit("h1", now=0.0)
    [report] = limiter.due_reports(now=0.0)
    assert (report.home_id, report.throttled, report.throttled_total) == ("h1", 10, 10)
    limiter.admit("h1", now=0.0)
    assert limiter.due_reports(now=30.0) == []  # reported a moment ago
    [again] = limiter.due_reports(now=61.0)
    assert (again.throttled, again.throttled_total) == (1, 11)
    assert limiter.recovered(now=300.0) == []  # limited 300 s ago: not calm yet
    assert limiter.recovered(now=601.0) == ["h1"]
    assert limiter.recovered(now=700.0) == []  # cleared once


def test_idle_buckets_are_forgotten_but_flagged_ones_kept() -> None:
    limiter = HomeRateLimiter(rate_per_s=10, burst=10)
    limiter.admit("idle", now=0.0)
    for _ in range(20):
        limiter.admit("flagged", now=0.0)
    limiter.due_reports(now=0.0)
    limiter.forget_idle(now=5.0)
    assert set(limiter._buckets) == {"flagged"}


def test_peek_type_reads_the_named_type_cheaply_and_never_raises() -> None:
    assert peek_type(b'{"type": "pendant_press", "seq": 1}') == "pendant_press"
    assert peek_type(b'{"type": 5}') is None
    assert peek_type(b"\xff\xfe") is None
    assert peek_type(b"[1, 2]") is None
    assert peek_type(b"[" * 100_000) is None

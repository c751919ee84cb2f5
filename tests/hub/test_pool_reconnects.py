"""After database outages the pools must try again about every second, not after ever longer waits."""

from __future__ import annotations

from psycopg_pool.base import AttemptWithBackoff

from hub import db


def test_reconnect_delay_stays_near_a_second_however_many_attempts_fail() -> None:
    db.steady_pool_reconnects()
    attempt = AttemptWithBackoff(timeout=300.0)
    delays = []
    for second in range(20):  # twenty failed attempts in a row, as during a long outage
        attempt.update_delay(float(second))
        delays.append(attempt.delay)
    assert max(delays) <= AttemptWithBackoff.INITIAL_DELAY * (1 + AttemptWithBackoff.DELAY_JITTER)
    assert min(delays) > 0

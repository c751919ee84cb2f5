"""A start warms scorers up from the day summaries stored as days closed, and finds exactly what a warm-up on
35 days of events finds (models.warmup), on simulated history lived through the service."""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from hub.seed import register_homes
from models import store
from models.readings import Reading
from models.service import BehaviourService
from simulators.history import DEFAULT_START, HomeHistory, generate_history, iter_rows
from simulators.localtime import LocalDay

pytestmark = pytest.mark.integration
COPY_EVENTS = "COPY events (home_id, device_id, seq, ts, type, value, room) FROM STDIN"
COPY_EVENTS_RECEIVED = "COPY events (home_id, device_id, seq, ts, type, value, room, received_at) FROM STDIN"


@pytest.fixture(scope="module")
def history() -> HomeHistory:
    # A resident who starts slowing down on day 21 (activity_decline reads the stored days), no device outages:
    # heartbeats older than a day are not replayed, so an outage is judged from its stored day, not a replay.
    found = next(generate_history(1, 44, seed=8))
    assert [a.kind for a in found.anomalies][:1] == ["activity_decline"] and not found.heartbeat_gaps
    return found


def _at(day: int, hour: float) -> datetime:
    return datetime.fromtimestamp(LocalDay(DEFAULT_START + timedelta(days=day)).at(hour), UTC)


def test_a_start_from_stored_days_finds_what_a_start_from_35_days_of_events_finds(conn: psycopg.Connection,
                                                                                    history: HomeHistory) -> None:
    rows = list(iter_rows(history, with_heartbeats=True))
    times = [row[3] for row in rows]
    register_homes(conn, [history.home])
    home = history.home.home_id

    received = datetime.now(UTC) - timedelta(days=1)

    def arrive(since: datetime, until: datetime) -> None:
        # Each batch received a minute after the last: a pass reads only its own batch again.
        nonlocal received
        received += timedelta(minutes=1)
        with conn.cursor() as cur, cur.copy(COPY_EVENTS_RECEIVED) as copy:
            for row in rows[bisect_left(times, since):bisect_left(times, until)]:
                copy.write_row((*row, received))

    # The service starts on day 21 with three weeks of events there, and scores every hour for ten days.
    started, restarted = _at(21, 8), _at(31, 11)
    arrive(times[0], started)
    live = BehaviourService()
    first = live.score(conn, received)
    assert first.warmed_from_events == 1 and first.warmed_from_summaries == 0
    cursor = started
    while cursor < restarted:
        arrive(cursor, cursor + timedelta(hours=1))
        cursor += timedelta(hours=1)
        live.score(conn, received)
    stored = store.day_summaries(conn, [home], DEFAULT_START)[home]
    assert [d.day for d in stored] == [stored[0].day + timedelta(days=i) for i in range(len(stored))]
    assert stored[-1].day == restarted.date() - timedelta(days=1), "each day is stored as it closes"
    assert list(live.scorers[home].tracker.history)[-len(stored) + 1:] == stored[1:]

    # The restart: one service reads the stored days back, the other replays 35 days of events.
    until = conn.execute("SELECT max(ts) FROM events").fetchone()[0] - timedelta(seconds=1)
    from_days, from_events = BehaviourService(), BehaviourService()
    from_days.warm_up(conn, {home: until})
    from_events.warm_up(conn, {home: until}, summaries=False)
    quick, slow = from_days.scorers[home], from_events.scorers[home]
    assert list(quick.tracker.history) == list(slow.tracker.history)[-len(quick.tracker.history):]

    # Two more days of events, the findings compared every ten minutes.
    later = [Reading(row[3], row[1], row[4], row[5], row[6]) for row in rows[bisect_left(times, until):]]
    now, index, kinds = until, 0, set()
    while now < until + timedelta(days=2):
        now += timedelta(minutes=10)
        upto = bisect_left([r.ts for r in later], now, lo=index)
        for scorer in (quick, slow):
            scorer.observe(later[index:upto])
        index = upto
        found = quick.findings(now)
        assert found == slow.findings(now), now
        kinds.update(f.kind for f in found)
    assert "activity_decline" in kinds, "a finding that reads the finished days was compared"


def test_a_start_reads_a_day_or_two_of_events_where_days_are_stored(conn: psycopg.Connection,
                                                                    history: HomeHistory) -> None:
    register_homes(conn, [history.home])
    home = history.home.home_id
    with conn.cursor() as cur, cur.copy(COPY_EVENTS) as copy:
        for row in iter_rows(history, with_heartbeats=True):
            if row[3] < _at(30, 9):
                copy.write_row(row)
    first, second = BehaviourService(), BehaviourService()
    events = first.score(conn, datetime.now(UTC))
    days = second.score(conn, datetime.now(UTC))
    assert (events.warmed_from_events, days.warmed_from_summaries) == (1, 1)
    assert 0 < days.warmup_readings < events.warmup_readings / 2
    assert first.scorers[home].findings(_at(30, 9)) == second.scorers[home].findings(_at(30, 9))

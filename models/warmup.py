"""Building homes' live scorers after a start, a batch of homes from one set of queries.

A live scorer is its baseline, the live view of the home (where the resident is, whether they are in bed or
out, how long nothing has moved, the day so far) and the summaries of up to 35 finished days that day-level
detectors read (models.summary). The service stores each day's summary as the day closes (`day_summaries`), so
a restart reads those back and replays only the events from the start of the latest stored day: that day's
evening holds the start of the night in progress, and the live view never depends on anything older. Replaying
35 days of events gives the same findings (tests/models/test_warmup.py) at twenty times the reading.

A home with no stored days in the last 35 (new to this version, or the service was down that long) is warmed up
on 35 days of its events instead, and the days that replay finished are stored for the next start.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import psycopg

from models import store
from models.baselines import Baseline
from models.clock import DAY_START_MIN, at_care_minute, care_day
from models.detectors import DETECTORS
from models.feedback import Adjustments
from models.readings import Absence, Reading
from models.score import HomeScorer
from models.summary import DaySummary

LIVE_KINDS = tuple(kind for kind in DETECTORS if kind not in ("device_silent", "unit_offline"))
HISTORY_DAYS = 35
BEATS = timedelta(days=1)  # heartbeats older than this say nothing the live view still needs
# Homes per query for their events, so that a query's rows (held in memory until decoded) stay some 500,000:
READ_BACK_HOMES = 100  # a day or two of events each, heartbeats included
EVENT_HOMES = 20  # 35 days of events each


def new_scorer(home_id: str, baseline: Baseline, absences: Sequence[Absence], adjustments: Adjustments) -> HomeScorer:
    """A home's live scorer, before its warm-up: without the full daily features only training reads."""
    return HomeScorer(home_id, baseline, absences, adjustments, history_days=HISTORY_DAYS, kinds=LIVE_KINDS,
                      keep_days=False)


@dataclass
class Warmed:
    scorers: dict[str, HomeScorer] = field(default_factory=dict)
    new_days: list[tuple[str, DaySummary]] = field(default_factory=list)  # finished by the replay, not yet stored
    from_summaries: int = 0  # homes whose finished days were read back
    from_events: int = 0  # homes warmed up on 35 days of events
    readings: int = 0  # events replayed


@dataclass(frozen=True, slots=True)
class _Plan:
    stored: list[DaySummary]  # finished days read back, oldest first
    since: datetime  # replay events from here...
    beats_since: datetime  # ...with heartbeats from here on
    first_whole: date  # the oldest day a replay from `until` less HISTORY_DAYS sees whole


def _reading_ts(reading: Reading) -> datetime:
    return reading.ts


def plan(until: datetime, stored: Sequence[DaySummary]) -> _Plan:
    """Which stored days to use and which events to replay to warm a home up at event time `until`."""
    first_whole = care_day(until - timedelta(days=HISTORY_DAYS)) + timedelta(days=1)
    today = care_day(until)
    kept = [summary for summary in stored if first_whole <= summary.day < today]
    beats_since = until - BEATS
    if not kept:
        return _Plan([], until - timedelta(days=HISTORY_DAYS), beats_since, first_whole)
    return _Plan(kept, min(at_care_minute(kept[-1].day, DAY_START_MIN), beats_since), beats_since, first_whole)


def warm_up(conn: psycopg.Connection, homes: Mapping[str, datetime], baselines: Mapping[str, Baseline], *,
            summaries: bool = True) -> Warmed:
    """Scorers for `homes` (home -> the event time to warm up to), with these baselines. `summaries=False`
    ignores stored days and replays 35 days of events for every home."""
    ids = list(homes)
    absences = store.absences_of(conn, ids)
    adjustments = store.adjustments_of(conn, ids)
    oldest = min(care_day(until - timedelta(days=HISTORY_DAYS)) for until in homes.values())
    stored = store.day_summaries(conn, ids, oldest) if summaries else {}
    plans = {home_id: plan(until, stored.get(home_id, ())) for home_id, until in homes.items()}
    short = [home_id for home_id in ids if plans[home_id].stored]
    long = [home_id for home_id in ids if not plans[home_id].stored]
    warmed = Warmed(from_summaries=len(short), from_events=len(long))
    batches = [short[i:i + READ_BACK_HOMES] for i in range(0, len(short), READ_BACK_HOMES)]
    batches += [long[i:i + EVENT_HOMES] for i in range(0, len(long), EVENT_HOMES)]
    for batch in batches:
        readings = store.readings_of(conn, [(home_id, plans[home_id].since, plans[home_id].beats_since,
                                             homes[home_id]) for home_id in batch])
        for home_id in batch:
            own, scorer_plan = readings.get(home_id, []), plans[home_id]
            scorer = new_scorer(home_id, baselines[home_id], absences.get(home_id, ()), adjustments.get(home_id, {}))
            scorer.restore_days(scorer_plan.stored)
            beats_from = bisect_left(own, scorer_plan.beats_since, key=_reading_ts)
            scorer.observe(own[:beats_from])
            scorer.tracker.supervise_afresh()
            scorer.observe(own[beats_from:])
            warmed.scorers[home_id] = scorer
            warmed.readings += len(own)
            # What the replay finished beyond the stored days, less a first day it saw only part of.
            after = scorer_plan.stored[-1].day + timedelta(days=1) if scorer_plan.stored else scorer_plan.first_whole
            warmed.new_days += [(home_id, day) for day in scorer.tracker.history.since(after.toordinal())]
    return warmed

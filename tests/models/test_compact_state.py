"""The live service's compact per-home state finds exactly what the full state does: the summaries kept of
finished days, the packed kitchen stays, the decline series carried from day to day, the local clock
worked out without zoneinfo."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models import clock
from models.baselines import Baseline
from models.detectors import activity_decline
from models.readings import Absence, Finding, Reading
from models.score import HomeScorer
from models.spans import Spans
from models.summary import DayHistory, DaySummary
from models.train import train
from tests.models.builder import START, at, history, normal_day
from tests.models.conftest import HOME, TRAINED_DAYS

DAY = START + timedelta(days=TRAINED_DAYS)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def seated_past() -> list[Reading]:
    return history(TRAINED_DAYS, chair=True)


@pytest.fixture(scope="module")
def seated(seated_past: list[Reading]) -> Baseline:
    return train(HOME, seated_past, at(DAY, "00:00"))


def slowing_days(days: int, seed: int = 700) -> list[Reading]:
    """A resident slowing by 3 % a day; the home unit is down for most of the fourth (a day not usable)."""
    readings: list[Reading] = []
    down = (at(DAY + timedelta(days=3), "09:00"), at(DAY + timedelta(days=3), "16:00"))
    for offset in range(days):
        readings += normal_day(DAY + timedelta(days=offset), seed=seed + offset, pace=1 + 0.03 * offset, chair=True)
    return [r for r in readings if not down[0] <= r.ts < down[1]]


def stream(scorers: list[HomeScorer], readings: list[Reading], start: datetime, end: datetime, step: timedelta,
           before: Callable[[HomeScorer, datetime], None] | None = None,
           after: Callable[[HomeScorer, datetime], None] | None = None) -> list[list[list[Finding]]]:
    """Every scorer's findings at every step, fed the same readings, with hooks around each findings()."""
    seen: list[list[list[Finding]]] = [[] for _ in scorers]
    now, index = start, 0
    while now < end:
        now += step
        upto = index
        while upto < len(readings) and readings[upto].ts <= now:
            upto += 1
        for scorer, found in zip(scorers, seen, strict=True):
            scorer.observe(readings[index:upto])
            if before is not None:
                before(scorer, now)
            found.append(scorer.findings(now))
            if after is not None:
                after(scorer, now)
        index = upto
    return seen


def test_a_lean_scorer_finds_exactly_what_a_full_one_does(seated: Baseline, seated_past: list[Reading]) -> None:
    away = (Absence(at(DAY + timedelta(days=6), "10:00"), at(DAY + timedelta(days=7), "12:00")),)
    full = HomeScorer(HOME, seated, away, history_days=12)
    lean = HomeScorer(HOME, seated, away, history_days=12, keep_days=False)
    for scorer in (full, lean):
        scorer.observe(seated_past)
    readings = [r for r in slowing_days(12) if not away[0].start <= r.ts < away[0].end]  # type: ignore[operator]
    found_full, found_lean = stream([full, lean], readings, at(DAY, "00:00"), at(DAY + timedelta(days=12), "00:00"),
                                    timedelta(minutes=20))
    assert found_lean == found_full
    assert any(f.kind == "activity_decline" for step in found_full for f in step), "the decline must be found"
    assert lean.days == [] and len(full.days) == 12
    assert list(lean.tracker.history) == list(full.tracker.history)
    assert not all(day.usable for day in lean.tracker.history)


def test_the_decline_series_carried_between_days_is_the_one_worked_out_afresh(
        seated: Baseline, seated_past: list[Reading]) -> None:
    scorer = HomeScorer(HOME, seated, history_days=8, keep_days=False)
    scorer.observe(seated_past)
    # An absence registered after the days it covers were judged, then a retrained baseline: each must
    # start the series again; and the oldest days leave it as they leave the 8 days kept.
    away = (Absence(at(DAY + timedelta(days=1), "11:00"), at(DAY + timedelta(days=2), "18:00")),)
    retrained = train(HOME, seated_past + slowing_days(3), at(DAY + timedelta(days=3), "00:00"))
    checked = []

    def change(scorer: HomeScorer, now: datetime) -> None:
        if now == at(DAY + timedelta(days=4), "06:00"):
            scorer.set_absences(away)
        if now == at(DAY + timedelta(days=6), "06:00"):
            scorer.set_baseline(retrained)

    def same_as_afresh(scorer: HomeScorer, now: datetime) -> None:
        carried = activity_decline._memo[scorer.tracker][2]
        afresh = activity_decline._finished(scorer.baseline, scorer.tracker, scorer.absences, None)
        assert (carried.zs, carried.days_closed) == (afresh.zs, afresh.days_closed), now
        checked.append(len(carried.zs) // 2)

    stream([scorer], slowing_days(14), at(DAY, "00:00"), at(DAY + timedelta(days=14), "00:00"),
           timedelta(minutes=30), change, same_as_afresh)
    assert max(checked) >= 5, "the series must have days in it"


def test_day_history_keeps_the_latest_summaries_exactly() -> None:
    kept = DayHistory(3)
    summaries = [
        DaySummary(date(2026, 1, 1), True, 123.456789, {"seated_pauses": 300.1, "movement": 27.000000001}),
        DaySummary(date(2026, 1, 2), False, None, {}),
        DaySummary(date(2026, 1, 3), True, 1 / 3, {"seated_pace": 0.1 + 0.2, "sit_length": 45.0}),
        DaySummary(date(2026, 1, 4), True, 2.5e-7, {"moving_pace": 142.195, "movement": 1e300}),
        DaySummary(date(2026, 1, 6), False, 90.0, {"seated_pauses": 1.0, "seated_pace": 2.0, "moving_pace": 3.0,
                                                   "sit_length": 4.0, "movement": 5.0}),
    ]
    assert kept.oldest_ordinal() == float("inf")
    for summary in summaries:
        kept.append(summary)
    assert len(kept) == 3
    assert list(kept) == summaries[2:]
    assert list(reversed(kept)) == summaries[:1:-1]
    assert kept.last(2) == summaries[3:] and kept.last(10) == summaries[2:]
    assert kept.oldest_ordinal() == date(2026, 1, 3).toordinal()
    assert list(next(iter(kept)).measures) == ["seated_pace", "sit_length"]  # in the measures' own order


def test_spans_add_up_to_the_same_minutes_as_datetimes() -> None:
    rng = random.Random(3)
    base = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)
    for _ in range(200):
        spans = Spans()
        pairs = []
        for _ in range(rng.randint(0, 12)):
            a = base + timedelta(microseconds=rng.randint(0, 86_400_000_000))
            b = a + timedelta(microseconds=rng.randint(0, 3_600_000_000))
            spans.append(a, b)
            pairs.append((a, b))
        start = base + timedelta(microseconds=rng.randint(0, 86_400_000_000))
        end = start + timedelta(microseconds=rng.randint(0, 36_000_000_000))
        ongoing = base + timedelta(microseconds=rng.randint(0, 86_400_000_000)) if rng.random() < 0.5 else None
        expected = 0.0
        for a, b in pairs + ([(ongoing, end)] if ongoing is not None else []):
            expected += max((min(b, end) - max(a, start)).total_seconds() / 60, 0.0)
        assert spans.minutes_within(start, end, ongoing) == expected
        assert list(spans) == pairs


def test_the_local_clock_agrees_with_zoneinfo_across_the_clock_changes() -> None:
    rng = random.Random(5)
    changes = [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)]
    for _ in range(20_000):
        ts = rng.choice(changes) + timedelta(seconds=rng.uniform(-30 * 3600, 30 * 3600))
        if rng.random() < 0.5:
            ts = ts.astimezone(ZoneInfo("Etc/UTC"))  # as psycopg returns them in a session on Etc/UTC
        local = ts.astimezone(LONDON).replace(tzinfo=None)
        assert clock.wall(ts) == local
        assert clock.local_hour(ts) == local.hour
        assert clock.minute_of_day(ts) == local.hour * 60 + local.minute + local.second / 60
        assert clock.care_day(ts) == (local - timedelta(hours=4)).date()

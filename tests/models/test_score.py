"""The live scorer: stable episodes, incremental equals batch, bounded memory, plain explanations."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from models.baselines import Baseline
from models.detectors import BEHAVIOURAL_KINDS, DETECTORS, PRIORITY, TECHNICAL_KINDS
from models.features import daily_features
from models.readings import Reading
from models.score import HomeScorer
from tests.models.builder import Day, at, normal_day
from tests.models.conftest import DAY, HOME, day_after


def fallen_at_two(seed: int = 1) -> list[Reading]:
    d = Day(DAY, random.Random(seed))
    d.stay("lounge", at(DAY, "14:00"), 3)
    d.walk(at(DAY, "18:00"))
    ordinary = normal_day(DAY, seed=12)
    return sorted([r for r in ordinary if r.ts < at(DAY, "14:00") or r.type == "temperature"] + d.readings,
                  key=lambda r: r.ts)


def test_every_kind_has_a_design_priority() -> None:
    assert set(PRIORITY) == set(DETECTORS)
    assert {kind for kind, p in PRIORITY.items() if p == 2} == BEHAVIOURAL_KINDS - {"activity_decline"}
    assert PRIORITY["activity_decline"] == 3
    assert {"device_silent", "unit_offline"} == TECHNICAL_KINDS


def test_the_same_episode_keeps_its_key_minute_by_minute(baseline: Baseline, past: list[Reading]) -> None:
    scorer = HomeScorer(HOME, baseline)
    scorer.observe(past)
    scorer.observe(r for r in fallen_at_two() if r.ts <= at(DAY, "17:00"))
    episodes = set()
    now = at(DAY, "15:00")
    while now <= at(DAY, "17:00"):
        episodes |= {f.episode for f in scorer.findings(now) if f.kind == "prolonged_inactivity"}
        now += timedelta(minutes=1)
    assert len(episodes) == 1
    again = HomeScorer(HOME, baseline)  # a restarted hub scoring the same data agrees on the key
    again.observe(past)
    again.observe(r for r in fallen_at_two() if r.ts <= at(DAY, "17:00"))
    assert {f.episode for f in again.findings(at(DAY, "16:00"))} == episodes


def test_incremental_scoring_equals_batch(baseline: Baseline, past: list[Reading]) -> None:
    readings = fallen_at_two() + normal_day(day_after(1), skip=["lunch"], seed=13)
    checkpoints = [at(DAY, "15:30"), at(day_after(1), "14:00"), at(day_after(2), "05:00")]
    incremental = HomeScorer(HOME, baseline)
    incremental.observe(past)
    done = 0
    for checkpoint in checkpoints:
        batch = HomeScorer(HOME, baseline)
        batch.observe(past + [r for r in readings if r.ts <= checkpoint])
        while done < len(readings) and readings[done].ts <= checkpoint:
            incremental.observe(readings[done:done + 7])  # small chunks, scored in between
            done = min(done + 7, len(readings))
            incremental.findings(min(readings[done - 1].ts, checkpoint))
        assert incremental.findings(checkpoint) == batch.findings(checkpoint)
        assert incremental.days == batch.days
    expected = daily_features(past + readings, baseline.tracker_params(), until=checkpoints[-1])
    assert [d.to_dict() for d in incremental.days][-3:] == [d.to_dict() for d in expected][-3:]


def test_memory_is_a_rolling_window(baseline: Baseline, past: list[Reading]) -> None:
    scorer = HomeScorer(HOME, baseline, history_days=10)
    scorer.observe(past)
    scorer.findings(at(DAY, "05:00"))  # event time moves past 04:00: yesterday is complete
    assert len(scorer.days) == 10
    assert scorer.days[-1].day == DAY - timedelta(days=1)


def test_explanations_carry_the_numbers(baseline: Baseline, past: list[Reading]) -> None:
    scorer = HomeScorer(HOME, baseline)
    scorer.observe(past)
    scorer.observe(normal_day(DAY, wake="12:00", lunch="13:30", exact=True))
    [finding] = scorer.findings(at(DAY, "10:40"))
    text = finding.explanation
    assert "Not up by 10:40" in text
    usual = f"{round(baseline.wake.median) // 60:02d}:{round(baseline.wake.median) % 60:02d}"
    assert f"Usually up {usual} ± {baseline.wake.spread:.0f} min" in text
    assert f"(last {baseline.days_used} days)" in text
    assert finding.evidence and all(isinstance(device, str) for device, _ in finding.evidence)


def test_findings_need_no_wall_clock(baseline: Baseline, past: list[Reading]) -> None:
    # Scoring a past moment now, or again later, gives the same answer: event time only.
    scorer = HomeScorer(HOME, baseline)
    scorer.observe(past)
    scorer.observe(normal_day(DAY, wake="12:00", lunch="13:30", exact=True))
    first = scorer.findings(at(DAY, "10:40"))
    assert [replace(f) for f in scorer.findings(at(DAY, "10:40"))] == first

"""Learning a resident's routine: their own after two weeks, population priors before."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from models.baselines import FORMAT_VERSION, Baseline, priors
from models.readings import Reading
from models.train import train
from tests.models.builder import START, at, history, normal_day
from tests.models.conftest import DAY, HOME, kinds, scored


def test_learned_routine_has_the_residents_numbers(baseline: Baseline) -> None:
    assert not baseline.cold_start and baseline.days_used >= 14
    assert 7 * 60 <= baseline.wake.median <= 8 * 60  # up around 07:30
    assert baseline.wake.early < baseline.wake.median < baseline.wake.late
    assert {meal.name for meal in baseline.meals} == {"breakfast", "lunch", "dinner"}
    assert baseline.solo and baseline.night_door_rate == 0
    assert 5 <= baseline.bathroom_p95 <= 20


def test_baseline_round_trips_through_json(baseline: Baseline) -> None:
    body = json.loads(json.dumps(baseline.to_dict()))
    assert body["version"] == FORMAT_VERSION
    assert Baseline.from_dict(body) == baseline


def test_an_unknown_format_is_refused(baseline: Baseline) -> None:
    body = baseline.to_dict() | {"version": FORMAT_VERSION + 1}
    with pytest.raises(ValueError, match="format"):
        Baseline.from_dict(body)


def test_cold_start_uses_population_priors_and_says_so() -> None:
    week = history(7)
    young = train(HOME, week, at(START + timedelta(days=7), "00:00"))
    assert young.cold_start and young.days_used < 14
    assert young.wake.spread == priors(HOME).wake.spread  # the population's width, not one week's
    lie_in_day = START + timedelta(days=7)
    found = scored(young, week, normal_day(lie_in_day, wake="13:00", lunch="14:00", exact=True),
                   at(lie_in_day, "00:00"), at(lie_in_day, "13:30"))
    assert kinds(found) == ["no_activity_morning"]
    finding = next(iter(found.values()))
    assert finding.cold_start
    assert "cold start: population priors" in finding.explanation
    assert f"only {young.days_used} days of own history" in finding.explanation


def test_cold_start_is_patient_with_an_ordinary_late_morning() -> None:
    week = history(7)
    young = train(HOME, week, at(START + timedelta(days=7), "00:00"))
    day = START + timedelta(days=7)
    assert scored(young, week, normal_day(day, wake="09:00", exact=True), at(day, "00:00"), at(day, "12:00")) == {}


def test_absence_days_are_left_out_of_training(past: list[Reading]) -> None:
    from models.readings import Absence

    away = Absence(at(START + timedelta(days=2), "00:00"), at(START + timedelta(days=12), "00:00"))
    learned = train(HOME, past, at(DAY, "00:00"), absences=[away])
    assert learned.cold_start  # ten days in hospital leave too few of the last three weeks

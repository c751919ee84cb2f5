"""The daily evidence of slowing down, and the decline detector built on it, on small hand-made scenarios."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from models.baselines import Baseline
from models.day import DayFeatures
from models.detectors import activity_decline
from models.features import daily_features
from models.readings import Absence, Reading
from models.slowing import MEASURES, PRIOR_DAYS, Level, evidence, learn_levels, measures
from models.train import train
from tests.models.builder import START, at, history, normal_day
from tests.models.conftest import HOME, TRAINED_DAYS, scored

DAY = START + timedelta(days=TRAINED_DAYS)


@pytest.fixture(scope="module")
def seated_past() -> list[Reading]:
    return history(TRAINED_DAYS, chair=True)


@pytest.fixture(scope="module")
def seated(seated_past: list[Reading]) -> Baseline:
    return train(HOME, seated_past, at(DAY, "00:00"))


def days_of(paces: list[float], seed: int = 300, **kwargs: object) -> list[Reading]:
    readings: list[Reading] = []
    for offset, pace in enumerate(paces):
        readings += normal_day(DAY + timedelta(days=offset), seed=seed + offset, pace=pace, chair=True,
                               **kwargs)  # type: ignore[arg-type]
    return readings


def test_the_chair_pad_splits_seated_pauses_from_moving_about() -> None:
    day = daily_features(normal_day(DAY, seed=1, chair=True), until=at(DAY, "30:00"))[-1]
    assert len(day.sits) >= 3 and all(20 <= minutes <= 61 for minutes in day.sits)
    assert day.seated_gaps and all(day.seated_gaps)
    # The chair's stirrings are 4-12 min apart (the first settles in at 30 s); moving about, 1-5 min.
    assert 240 <= sorted(day.seated_gaps)[len(day.seated_gaps) // 2] <= 720
    found = measures(day)
    assert set(found) == {m.name for m in MEASURES}
    assert found["seated_pace"] > found["moving_pace"]
    assert found["seated_pauses"] > found["seated_pace"]


def test_a_stand_up_lost_on_the_radio_drops_the_sit() -> None:
    readings = [r for r in normal_day(DAY, seed=2, chair=True) if not (r.type == "chair" and r.value == 0)]
    day = daily_features(readings, until=at(DAY, "30:00"))[-1]
    assert day.sits == []  # each sit's end is unknown: moving in another room ended it unheard
    heard = daily_features(normal_day(DAY, seed=2, chair=True), until=at(DAY, "30:00"))[-1]
    # Still seated until the next movement elsewhere: each sit's last stir-to-stand gap counts as seated too.
    assert len(day.seated_gaps) == len(heard.seated_gaps) + len(heard.sits)


def test_without_a_chair_every_gap_is_moving_about() -> None:
    day = daily_features(normal_day(DAY, seed=3), until=at(DAY, "30:00"))[-1]
    assert set(measures(day)) == {"moving_pace", "movement"}
    assert measures(day)["moving_pace"] == pytest.approx(day.pace_sum / day.pace_n)


def test_levels_temper_a_narrow_spread_with_the_population_prior() -> None:
    same = DayFeatures(date(2026, 1, 5), wake_min=450, bedtime_min=1350, active_minutes=300,
                       seated_gaps=[400.0] * 30, sits=[40.0] * 5, pace_sum=400.0 * 30 + 120.0 * 40, pace_n=70)
    levels = learn_levels([same] * 10)
    assert set(levels) == {m.name for m in MEASURES}
    assert levels["movement"].median == pytest.approx(20.0)  # 300 minutes with movement in 15 waking hours
    fallen = DayFeatures(date(2026, 1, 5), wake_min=450, bedtime_min=1350, still_min=120.0,
                         seated_gaps=[400.0] * 30, pace_sum=400.0 * 30, pace_n=30)
    # An hour-long still spell (a fall) leaves the day without a movement measure; its gaps still count.
    assert set(learn_levels([fallen] * 10)) == {"seated_pauses", "seated_pace"}
    prior = next(m.prior_spread for m in MEASURES if m.name == "seated_pace")
    assert levels["seated_pace"].median == pytest.approx(400.0)
    assert levels["seated_pace"].spread == pytest.approx(prior * math.sqrt(PRIOR_DAYS / (10 + PRIOR_DAYS)), rel=1e-3)
    assert learn_levels([same] * 6) == {}  # too few days to know anyone's usual


def test_evidence_is_the_steadier_measures_slowdown() -> None:
    levels = {"seated_pace": Level(400.0, 0.04, 20), "moving_pace": Level(120.0, 0.09, 20)}
    slow = DayFeatures(date(2026, 1, 5), seated_gaps=[440.0] * 30, pace_sum=440.0 * 30 + 132.0 * 40, pace_n=70)
    found = evidence(levels, slow)
    assert found is not None
    assert found.slowdown == pytest.approx(math.log(1.1), rel=1e-6)  # both 10 % slower
    assert found.z > 1 and found.spread < 0.04 * 1.6
    odd = DayFeatures(date(2026, 1, 5), seated_gaps=[1600.0] * 30, pace_sum=1600.0 * 30 + 120.0 * 40, pace_n=70)
    clipped = evidence(levels, odd)
    assert clipped is not None and clipped.slowdown < 3 * 0.04  # one far-off measure counts as 3 spreads at most
    assert evidence({}, slow) is None


def test_seated_baseline_knows_every_measure(seated: Baseline) -> None:
    assert set(seated.levels) == {m.name for m in MEASURES}
    assert seated.levels_until == seated.trained_until  # three weeks: nothing older to hold back
    assert 240 <= seated.levels["seated_pace"].median <= 720


def test_a_slow_decline_is_found_within_a_week(seated: Baseline, seated_past: list[Reading]) -> None:
    # Two and a half percent slower each day: 15 % by day six.
    readings = days_of([1 + 0.025 * k for k in range(10)])
    found = scored(seated, seated_past, readings, at(DAY, "00:00"), at(DAY + timedelta(days=10), "00:00"),
                   step_min=30)
    assert [f.kind for f in found.values()] == ["activity_decline"]
    finding = next(iter(found.values()))
    assert finding.detected_at - at(DAY, "00:00") <= timedelta(days=7)
    assert finding.onset >= at(DAY, "00:00") - timedelta(hours=1)
    text = finding.explanation
    assert "slower than usual" in text and "min at a time" in text and "minutes with movement" in text
    assert "(usual from 20 days before Mon 26 Jan)" in text


def test_ordinary_weeks_raise_nothing(seated: Baseline, seated_past: list[Reading]) -> None:
    readings = days_of([1.0] * 14, seed=400)
    assert scored(seated, seated_past, readings, at(DAY, "00:00"), at(DAY + timedelta(days=14), "00:00"),
                  step_min=60) == {}


def test_days_in_hospital_are_left_out_not_taken_for_slowing(seated: Baseline, seated_past: list[Reading]) -> None:
    away = Absence(at(DAY + timedelta(days=1), "10:00"), at(DAY + timedelta(days=5), "15:00"))
    paces = [1.0] * 10
    readings = [r for r in days_of(paces, seed=500) if not away.start <= r.ts < away.end]  # type: ignore[operator]
    found = scored(seated, seated_past, readings, at(DAY, "00:00"), at(DAY + timedelta(days=10), "00:00"),
                   absences=(away,), step_min=60)
    assert [f for f in found.values() if f.kind == "activity_decline"] == []
    # and a slowing that goes on after the stay is judged on the days at home either side of it
    slowing = [r for r in days_of([1 + 0.03 * k for k in range(10)], seed=500)
               if not away.start <= r.ts < away.end]  # type: ignore[operator]
    found = scored(seated, seated_past, slowing, at(DAY, "00:00"), at(DAY + timedelta(days=10), "00:00"),
                   absences=(away,), step_min=60)
    decline = [f for f in found.values() if f.kind == "activity_decline"]
    assert decline and decline[0].detected_at >= away.end  # type: ignore[operator]


def test_feedback_makes_the_detector_more_patient(seated: Baseline, seated_past: list[Reading]) -> None:
    readings = days_of([1 + 0.025 * k for k in range(10)])
    end = at(DAY + timedelta(days=10), "00:00")
    first = min(f.detected_at for f in scored(seated, seated_past, readings, at(DAY, "00:00"), end,
                                              step_min=30).values())
    patient = scored(seated, seated_past, readings, at(DAY, "00:00"), end, step_min=30,
                     adjustments={"activity_decline": 2.0})
    assert all(f.detected_at > first for f in patient.values())


def test_older_weeks_give_the_usual_levels_when_there_are_enough() -> None:
    past = history(TRAINED_DAYS + 21, chair=True)
    until = at(START + timedelta(days=TRAINED_DAYS + 21), "00:00")
    learned = train(HOME, past, until)
    assert learned.levels_until is not None and learned.trained_until == until
    assert until - learned.levels_until == timedelta(days=14, hours=20)  # 04:00 fourteen care days before
    assert all(level.days >= 14 for level in learned.levels.values())
    assert activity_decline.WINDOW_DAYS >= 14  # the held-back fortnight is what the detector judges

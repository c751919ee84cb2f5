"""Care days, local time across the clock changes, and the day's numbers."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models.clock import at_care_minute, care_day, care_minute, hhmm
from models.features import activity_of, daily_features, usable
from models.readings import Reading
from models.score import HomeScorer
from models.train import train
from tests.models.builder import at, history, normal_day
from tests.models.conftest import HOME, kinds, scored

SPRING = date(2026, 3, 29)  # clocks go forward at 01:00 UTC
AUTUMN = date(2026, 10, 25)  # and back


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_wall_clock_times_survive_the_clock_change(day: date) -> None:
    wake = at(day, "07:30")
    assert care_minute(wake) == 450
    assert at_care_minute(day, 450) == wake
    assert care_day(at(day, "25:30")) == day  # 01:30 the next morning is still the same care day
    assert hhmm(1470) == "00:30"


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_features_of_a_clock_change_day(day: date) -> None:
    readings = normal_day(day - timedelta(days=1), exact=True) + normal_day(day, exact=True) + normal_day(
        day + timedelta(days=1), exact=True)
    days = {d.day: d for d in daily_features(readings, until=at(day, "52:00"))}
    today = days[day]
    assert today.wake_min == pytest.approx(450, abs=1)
    assert today.bedtime_min is not None and 22 * 60 <= today.bedtime_min <= 23 * 60
    assert usable(today) and activity_of(today) is not None


@pytest.mark.parametrize("day", [SPRING, AUTUMN])
def test_no_alerts_on_an_ordinary_clock_change_day(day: date) -> None:
    start = day - timedelta(days=21)
    past = history(21, start)
    learned = train(HOME, past, at(day, "00:00"))
    readings = normal_day(day, seed=40) + normal_day(day + timedelta(days=1), seed=41)
    assert scored(learned, past, readings, at(day, "00:00"), at(day, "40:00"), step_min=10) == {}
    late = normal_day(day, wake="12:00", lunch="13:30", exact=True)
    found = scored(learned, past, late, at(day, "00:00"), at(day, "11:00"), step_min=10)
    assert kinds(found) == ["no_activity_morning"]
    assert "Usually up 07:" in next(iter(found.values())).explanation


def test_a_stray_trigger_does_not_end_a_still_spell(baseline, past: list[Reading]) -> None:  # type: ignore[no-untyped-def]
    from tests.models.test_score import fallen_at_two

    readings = fallen_at_two()
    stray = Reading(at(readings[0].ts.date(), "15:10"), "pir-kitchen", "motion", 1, "kitchen")
    day = readings[0].ts.date()
    found = scored(baseline, past, sorted([*readings, stray], key=lambda r: r.ts), at(day, "13:00"),
                   at(day, "17:00"))
    assert kinds(found) == ["prolonged_inactivity"]


def test_scorer_days_match_batch_features(baseline, past: list[Reading]) -> None:  # type: ignore[no-untyped-def]
    scorer = HomeScorer(HOME, baseline, history_days=100)
    scorer.observe(past)
    assert [d.to_dict() for d in scorer.days] == [
        d.to_dict() for d in daily_features(past, baseline.tracker_params())]

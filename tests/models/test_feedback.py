"""Operators' verdicts make a detector more patient with one resident, within bounds."""

from __future__ import annotations

from models.baselines import Baseline
from models.feedback import MAX_FACTOR, apply_feedback, factor, replay
from models.readings import Reading
from tests.models.builder import at, normal_day
from tests.models.conftest import DAY, kinds, scored


def test_false_alarm_widens_and_is_bounded() -> None:
    adjustments: dict[str, float] = {}
    for _ in range(20):
        adjustments = apply_feedback(adjustments, "missed_meal", "false_alarm")
    assert factor(adjustments, "missed_meal") == MAX_FACTOR
    assert factor(adjustments, "night_wandering") == 1.0


def test_genuine_alerts_narrow_back_but_never_below_learned() -> None:
    widened = replay([("night_wandering", "false_alarm")] * 3)
    narrowed = apply_feedback(widened, "night_wandering", "responder_sent")
    assert 1.0 < factor(narrowed, "night_wandering") < factor(widened, "night_wandering")
    assert factor(replay([("night_wandering", "ambulance_called")] * 5), "night_wandering") == 1.0
    assert apply_feedback(widened, "night_wandering", "other") == widened


def test_safety_limits_and_supervision_are_not_adjustable() -> None:
    for kind in ("cold_home", "device_silent", "unit_offline"):
        assert factor(replay([(kind, "false_alarm")] * 5), kind) == 1.0


def test_a_false_alarm_stops_the_same_borderline_case(baseline: Baseline, past: list[Reading]) -> None:
    usual_deadline = baseline.wake.late + max(30.0, baseline.wake.spread)
    late = int(usual_deadline) + 8  # up a few minutes after the alert would go off
    clock = f"{late // 60:02d}:{late % 60:02d}"
    day = normal_day(DAY, wake=clock, exact=True)
    window = (at(DAY, "00:00"), at(DAY, "12:00"))
    assert kinds(scored(baseline, past, day, *window, step_min=1)) == ["no_activity_morning"]
    after = apply_feedback({}, "no_activity_morning", "false_alarm")
    assert scored(baseline, past, day, *window, adjustments=after, step_min=1) == {}

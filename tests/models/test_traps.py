"""Unusual but harmless days that a good carer would not ring about."""

from __future__ import annotations

import random
from datetime import timedelta

from models.baselines import Baseline
from models.readings import Absence, Reading
from tests.models.builder import Day, at, normal_day
from tests.models.conftest import DAY, day_after, scored


def cut(readings: list[Reading], start: str, end: str | None = None, offset: int = 0) -> list[Reading]:
    """Drop the resident's activity between two wall-clock times (temperatures keep coming)."""
    low = at(DAY + timedelta(days=offset), start)
    high = at(DAY + timedelta(days=offset), end) if end else None
    return [r for r in readings if r.type == "temperature" or r.ts < low or (high is not None and r.ts >= high)]


def leave(d: Day, clock: str) -> None:
    d.door(d.walk(at(d.day, clock)) + timedelta(seconds=5))


def come_home(d: Day, clock: str) -> None:
    t = d.door(at(d.day, clock))
    d.stay("lounge", d.walk(t + timedelta(seconds=5)), 30)


def test_away_for_the_weekend_is_away_not_inactive(baseline: Baseline, past: list[Reading]) -> None:
    d1, d3 = Day(DAY, random.Random(1)), Day(day_after(2), random.Random(2))
    leave(d1, "10:00")
    come_home(d3, "15:00")
    readings = cut(normal_day(DAY, seed=1), "10:00") + d1.readings + d3.readings
    readings += [r for r in normal_day(day_after(1), seed=2) if r.type == "temperature"]
    readings += cut(normal_day(day_after(2), seed=3), "00:00", "16:00", offset=2)
    assert scored(baseline, past, readings, at(DAY, "00:00"), at(day_after(3), "00:00"), step_min=10) == {}


def test_registered_hospital_stay_silences_behavioural_alerts(baseline: Baseline, past: list[Reading]) -> None:
    d = Day(DAY, random.Random(3))
    d.stay("hallway", at(DAY, "11:00"), 10)  # taken to hospital; the door sensor missed it
    readings = cut(normal_day(DAY, seed=4), "11:00") + d.readings
    window = (at(DAY, "00:00"), at(day_after(1), "14:00"))
    stay = (Absence(at(DAY, "11:05"), at(day_after(3), "12:00")),)
    assert scored(baseline, past, readings, *window, absences=stay, step_min=10) == {}
    unregistered = scored(baseline, past, readings, *window, step_min=10)
    assert "prolonged_inactivity" in {f.kind for f in unregistered.values()}


def test_visitors_are_not_wandering_or_a_door_at_night(baseline: Baseline, past: list[Reading]) -> None:
    d = Day(DAY, random.Random(4))
    d.door(at(DAY, "14:00"))
    t = at(DAY, "14:01")
    while t < at(DAY, "21:50"):  # guests about the house until late, while the resident sits with them
        d.motion(t, random.Random(t.minute).choice(["lounge", "kitchen", "hallway", "bathroom"]))
        t += timedelta(minutes=3)
    d.walk(at(DAY, "21:55"))
    d.door(at(DAY, "21:56"))
    readings = normal_day(DAY, seed=5) + d.readings + normal_day(day_after(1), seed=6)
    assert scored(baseline, past, readings, at(DAY, "00:00"), at(day_after(1), "10:00")) == {}


def test_a_late_night_out_is_a_door_at_night_coming_home(baseline: Baseline, past: list[Reading]) -> None:
    out, back = Day(DAY, random.Random(5)), Day(DAY, random.Random(6))
    leave(out, "19:30")
    t = back.door(at(DAY, "24:45"))
    t = back.bathroom(back.walk(t + timedelta(seconds=5)), 5)
    t = back.stay("bedroom", t, 4)
    back.bed(t, 1)
    readings = cut(normal_day(DAY, seed=7), "19:30") + out.readings + back.readings
    readings += normal_day(day_after(1), wake="08:10", seed=8)
    assert scored(baseline, past, readings, at(DAY, "18:00"), at(day_after(1), "13:00")) == {}

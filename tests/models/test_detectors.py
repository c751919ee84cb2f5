"""Each detector on a small hand-made scenario: it fires on the anomaly and stays quiet on an ordinary day."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from models.baselines import Baseline
from models.detectors import PRIORITY
from models.readings import Reading
from tests.models.builder import Day, at, heartbeats, normal_day
from tests.models.conftest import DAY, day_after, kinds, scored


def before(readings: list[Reading], clock: str) -> list[Reading]:
    """The ordinary day's readings up to `clock`, temperatures kept for the whole day."""
    cut = at(DAY, clock)
    return [r for r in readings if r.ts < cut or r.type == "temperature"]


def test_an_ordinary_day_raises_nothing(baseline: Baseline, past: list[Reading]) -> None:
    readings = normal_day(DAY, seed=101) + normal_day(day_after(1), seed=102)
    assert scored(baseline, past, readings, at(DAY, "00:00"), at(DAY, "47:00")) == {}


def test_no_activity_morning_fires_on_a_lie_in(baseline: Baseline, past: list[Reading]) -> None:
    found = scored(baseline, past, normal_day(DAY, wake="12:00", lunch="13:30", exact=True),
                   at(DAY, "00:00"), at(DAY, "13:00"))
    assert kinds(found) == ["no_activity_morning"]
    finding = next(iter(found.values()))
    assert at(DAY, "08:00") <= finding.detected_at <= at(DAY, "09:30")
    assert finding.cold_start is False and 0 < finding.confidence <= 1
    assert any(device == "bed-1" for device, _ in finding.evidence)


def test_a_morning_the_hub_did_not_watch_is_not_judged(baseline: Baseline) -> None:
    """A unit first heard at 11:00 (installed, or its hub newly started on it) with the resident in bed:
    nothing is known of that morning. The next morning, watched from the night before, is judged."""
    first_heard = heartbeats(at(DAY, "11:00"), at(day_after(1), "13:00"), every_min=15)
    in_bed = [Reading(at(DAY, "11:00"), "bed-1", "bed", 1, "bedroom")]
    quiet = scored(baseline, [], first_heard + in_bed, at(DAY, "11:00"), at(DAY, "14:00"))
    assert quiet == {}
    heard_overnight = heartbeats(at(DAY, "02:00"), at(DAY, "13:00"), every_min=15)  # heartbeats count as heard
    assert "no_activity_morning" in kinds(scored(baseline, [], heard_overnight, at(DAY, "02:00"), at(DAY, "13:00")))
    lie_in = normal_day(day_after(1), wake="12:00", lunch="13:30", exact=True)
    found = scored(baseline, [], first_heard + in_bed + lie_in, at(DAY, "11:00"), at(day_after(1), "13:00"))
    assert "no_activity_morning" in kinds(found)


def test_prolonged_inactivity_fires_when_movement_stops_in_the_lounge(baseline: Baseline,
                                                                       past: list[Reading]) -> None:
    d = Day(DAY, random.Random(1))
    d.stay("lounge", at(DAY, "14:00"), 3)  # then nothing: on the floor
    d.walk(at(DAY, "18:00"))
    readings = before(normal_day(DAY, seed=3), "14:00") + d.readings
    found = scored(baseline, past, readings, at(DAY, "13:00"), at(DAY, "18:30"))
    assert kinds(found) == ["prolonged_inactivity"]
    finding = next(iter(found.values()))
    still = finding.detected_at - finding.onset
    assert timedelta(minutes=45) <= still <= timedelta(minutes=75)
    assert "lounge" in finding.explanation


def test_prolonged_bathroom_fires_on_a_long_stay(baseline: Baseline, past: list[Reading]) -> None:
    d = Day(DAY, random.Random(2))
    t = d.walk(at(DAY, "15:00"))
    for minute in range(0, 90, 10):  # someone moving a little, on the bathroom floor
        d.motion(t + timedelta(minutes=minute), "bathroom")
    d.walk(t + timedelta(minutes=95))
    d.stay("lounge", t + timedelta(minutes=96), 20)
    readings = before(normal_day(DAY, seed=4), "15:00") + d.readings
    found = scored(baseline, past, readings, at(DAY, "14:00"), at(DAY, "17:00"))
    assert kinds(found) == ["prolonged_bathroom"]
    assert next(iter(found.values())).detected_at - t <= timedelta(minutes=50)


def test_night_wandering_fires_when_up_and_about_at_2am(baseline: Baseline, past: list[Reading]) -> None:
    d = Day(DAY, random.Random(3))
    d.bed(at(DAY, "02:00"), 0)
    t = d.stay("bedroom", at(DAY, "02:01"), 1)
    t = d.walk(t)
    for room, minutes in (("kitchen", 12), ("lounge", 15), ("kitchen", 8)):
        end = t + timedelta(minutes=minutes)
        while t < end:
            d.motion(t, room)
            t += timedelta(seconds=70)
        t = d.walk(t)
    d.stay("bedroom", t, 2)
    d.bed(t + timedelta(minutes=2), 1)
    found = scored(baseline, past, d.readings + normal_day(DAY, seed=5), at(DAY, "00:00"), at(DAY, "09:00"))
    assert kinds(found) == ["night_wandering"]
    finding = next(iter(found.values()))
    assert finding.detected_at <= at(DAY, "02:30")
    assert "kitchen" in finding.explanation


def test_door_open_night_fires_when_the_resident_opens_the_front_door(baseline: Baseline,
                                                                      past: list[Reading]) -> None:
    d = Day(DAY, random.Random(4))
    d.bed(at(DAY, "02:30"), 0)
    t = d.stay("bedroom", at(DAY, "02:31"), 1)
    t = d.stay("hallway", t, 1)
    t = d.door(t)  # a look outside, and back to bed
    t = d.stay("hallway", t + timedelta(seconds=5), 1)
    t = d.stay("bedroom", t, 2)
    d.bed(t, 1)
    found = scored(baseline, past, d.readings + normal_day(DAY, seed=6), at(DAY, "00:00"), at(DAY, "09:00"))
    assert kinds(found) == ["door_open_night"]
    assert next(iter(found.values())).detected_at <= at(DAY, "02:40")


def test_missed_meal_fires_when_lunch_is_skipped(baseline: Baseline, past: list[Reading]) -> None:
    found = scored(baseline, past, normal_day(DAY, skip=["lunch"], seed=7), at(DAY, "00:00"), at(DAY, "16:00"))
    assert kinds(found) == ["missed_meal"]
    finding = next(iter(found.values()))
    assert "lunch" in finding.explanation
    assert at(DAY, "13:00") <= finding.detected_at <= at(DAY, "14:30")


def test_cold_home_is_a_fixed_limit(baseline: Baseline, past: list[Reading]) -> None:
    d = Day(DAY, random.Random(5))
    t = at(DAY, "00:00")
    while t < at(DAY, "09:00"):
        cold = at(DAY, "01:00") <= t < at(DAY, "06:00")
        d.add(t, "temp-lounge", "temperature", 15.2 if cold else 18.0, "lounge")
        t += timedelta(minutes=30)
    readings = [r for r in normal_day(DAY, seed=8) if r.type != "temperature"] + d.readings
    found = scored(baseline, past, readings, at(DAY, "00:00"), at(DAY, "09:00"))
    assert kinds(found) == ["cold_home"]
    finding = next(iter(found.values()))
    assert finding.onset == at(DAY, "01:00")
    assert at(DAY, "02:00") <= finding.detected_at <= at(DAY, "02:10")
    assert "15.2 °C" in finding.explanation and "16 °C" in finding.explanation


def test_cool_but_not_cold_home_is_fine(baseline: Baseline, past: list[Reading]) -> None:
    readings = normal_day(DAY, seed=9, temperatures=False)
    d = Day(DAY, random.Random(6))
    d.temperatures(night_c=16.4, day_c=17.0)
    assert scored(baseline, past, readings + d.readings, at(DAY, "00:00"), at(DAY, "12:00")) == {}


@pytest.mark.parametrize("slowing", [True, False])
def test_activity_decline_is_found_within_a_week(baseline: Baseline, past: list[Reading], slowing: bool) -> None:
    readings: list[Reading] = []
    for offset in range(9):
        pace = 1.0 + 0.06 * (offset + 1) if slowing else 1.0
        readings += normal_day(day_after(offset), seed=200 + offset, pace=pace)
    found = scored(baseline, past, readings, at(DAY, "00:00"), at(day_after(9), "00:00"), step_min=30)
    if not slowing:
        assert found == {}
        return
    assert kinds(found) == ["activity_decline"]
    finding = next(iter(found.values()))
    assert finding.detected_at - at(DAY, "00:00") <= timedelta(days=7)
    assert "slower than usual" in finding.explanation and "moving every" in finding.explanation
    assert PRIORITY["activity_decline"] == 3


def test_device_silent_after_three_missed_heartbeats(baseline: Baseline, past: list[Reading]) -> None:
    start, end = at(DAY, "10:00"), at(DAY, "14:00")
    gap = (at(DAY, "11:00"), at(DAY, "13:00"))
    readings = [r for r in normal_day(DAY, seed=10) if not (r.device_id == "pir-kitchen" and gap[0] <= r.ts < gap[1])]
    readings += heartbeats(start, end, silent={"pir-kitchen": gap})
    found = scored(baseline, past, readings, start, end)
    assert kinds(found) == ["device_silent"]
    finding = next(iter(found.values()))
    assert finding.device_id == "pir-kitchen"
    assert timedelta(minutes=15) < finding.detected_at - gap[0] + timedelta(minutes=5) <= timedelta(minutes=25)
    assert "4 heartbeats missed" in finding.explanation and "every 5 min" in finding.explanation


def test_unit_offline_is_one_alert_not_one_per_sensor(baseline: Baseline, past: list[Reading]) -> None:
    start, end = at(DAY, "10:00"), at(DAY, "15:00")
    outage = (at(DAY, "11:00"), at(DAY, "13:30"))
    everything = [d for d in ("unit", "pir-kitchen", "pir-lounge", "bed-1", "door-front", "temp-lounge")]
    readings = [r for r in normal_day(DAY, seed=11) if not outage[0] <= r.ts < outage[1]]
    readings += heartbeats(start, end, devices=everything, silent=dict.fromkeys(everything, outage))
    found = scored(baseline, past, readings, start, end)
    assert kinds(found) == ["unit_offline"]  # and no prolonged_inactivity: silence proves nothing
    assert next(iter(found.values())).device_id is None

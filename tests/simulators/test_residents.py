import random
from datetime import date, timedelta
from itertools import pairwise

import pytest

from simulators.climate import indoor_temperatures, outdoor_mean_c
from simulators.homes import home_specs
from simulators.localtime import LOCAL_TZ, LocalDay
from simulators.residents import MEALS, plain_resident, resident_for
from simulators.routines import daily_events

HOMES = home_specs(200, seed=1)
RESIDENTS = [resident_for(home, 1) for home in HOMES]


def test_residents_are_deterministic_and_leave_the_homes_as_they_were() -> None:
    assert [resident_for(home, 1) for home in home_specs(200, seed=1)] == RESIDENTS
    assert [resident_for(home, 2) for home in HOMES] != RESIDENTS
    assert [r.persona for r in RESIDENTS] == [h.persona for h in HOMES]


def test_household_traits_have_sensible_shares() -> None:
    share = {trait: sum(trait in r.traits for r in RESIDENTS) / len(RESIDENTS)
             for trait in ("carer", "partner", "weekend_shift", "goes_out_daily")}
    assert 0.15 < share["carer"] < 0.35 and 0.1 < share["partner"] < 0.3 and 0.3 < share["weekend_shift"] < 0.5
    assert share["goes_out_daily"] == pytest.approx(sum(h.persona == "goes_out" for h in HOMES) / len(HOMES))
    assert all(0.01 <= r.drop_rate <= 0.02 for r in RESIDENTS)


def test_weekend_shift_and_meal_windows() -> None:
    saturday, monday = date(2026, 3, 7), date(2026, 3, 9)
    for resident in RESIDENTS:
        assert resident.usual_wake_h(saturday) == resident.usual_wake_h(monday) + resident.weekend_shift_h
        for day in (saturday, monday):
            windows = [resident.meal_window_h(meal, day) for meal in MEALS]
            assert all(start < end for start, end in windows)
            assert all(a[1] <= b[0] for a, b in pairwise(windows)), "windows overlap"
            assert windows[-1][1] < resident.usual_bed_h(day)


def test_carer_comes_in_the_morning_through_the_front_door() -> None:
    home, resident = next((h, r) for h, r in zip(HOMES, RESIDENTS, strict=True)
                          if r.carer_h is not None and not r.partner)
    day = date(2026, 3, 3)
    events = daily_events(home, day, random.Random(1), resident)
    doors = [e for e in events if e.type == "door" and e.value == 1]
    carer = LocalDay(day).at(resident.carer_h)
    assert any(abs(e.ts.timestamp() - carer) < 2 * 3600 for e in doors)


def test_partner_moves_about_while_the_resident_is_in_bed() -> None:
    home, resident = next((h, r) for h, r in zip(HOMES, RESIDENTS, strict=True) if r.partner)
    in_bed_motion = 0
    for offset in range(10):
        in_bed = True
        for event in daily_events(home, date(2026, 5, 4) + timedelta(days=offset), random.Random(offset), resident):
            if event.type == "bed":
                in_bed = event.value == 1
            elif event.type == "motion" and in_bed and event.room != "bedroom":
                in_bed_motion += 1
    assert in_bed_motion > 10


def test_seasons_and_heating() -> None:
    resident = RESIDENTS[0]
    january = indoor_temperatures(resident, date(2026, 1, 12), 7)
    july = indoor_temperatures(resident, date(2026, 7, 13), 7)
    assert outdoor_mean_c(date(2026, 1, 15), 1) < 9 < 15 < outdoor_mean_c(date(2026, 7, 15), 1)
    assert min(v for _, v in january) >= 16.3, "the thermostat's night setback keeps a working home warm"
    assert max(v for _, v in january) >= resident.setpoint_c - 1, "heating mornings and evenings"
    assert min(v for _, v in july) >= 16 and max(v for _, v in july) <= 27


def test_heating_failure_makes_a_winter_home_cold() -> None:
    resident = RESIDENTS[0]
    start = LocalDay(date(2026, 1, 13)).at(18)
    readings = indoor_temperatures(resident, date(2026, 1, 12), 7, [(start, start + 3 * 86400)])
    cold = [t for t, v in readings if v < 16]
    assert cold and cold[0] > start and len(cold) > 2 * 24  # more than a day's worth of half-hours
    assert min(v for _, v in readings) < 13


@pytest.mark.parametrize(("day", "readings"), [(date(2026, 3, 29), 46), (date(2026, 10, 25), 50),
                                               (date(2026, 6, 1), 48)])
def test_temperature_every_half_hour_on_23_24_and_25_hour_days(day: date, readings: int) -> None:
    series = indoor_temperatures(RESIDENTS[3], day, 1)
    assert len(series) == readings
    assert [round(b - a) for (a, _), (b, _) in pairwise(series)] == [1800] * (readings - 1)
    assert series[0][0] == LocalDay(day).start


def test_wall_clock_routine_across_the_clock_change() -> None:
    """Getting up at the usual local time on both sides of the change, although UTC moves by an hour."""
    home = HOMES[0]
    resident = plain_resident(home)
    for before, after in ((date(2026, 3, 28), date(2026, 3, 30)), (date(2026, 10, 24), date(2026, 10, 26))):
        hours = []
        for day in (before, after):
            events = daily_events(home, day, random.Random(4), resident)
            first_kitchen = next(e for e in events if e.room == "kitchen")
            local = first_kitchen.ts.astimezone(LOCAL_TZ)
            hours.append(local.hour + local.minute / 60)
        assert abs(hours[0] - hours[1]) < 1.5

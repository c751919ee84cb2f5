import random
from datetime import UTC, date, timedelta

import pytest

from simulators.homes import PERSONAS, HomeSpec, home_specs
from simulators.routines import LOCAL_TZ, daily_events
from simulators.schedule import local_day_bounds

DAY = date(2026, 11, 23)
HOMES = home_specs(40, seed=5)


def test_same_rng_seed_same_day() -> None:
    home = HOMES[0]
    assert daily_events(home, DAY, random.Random(3)) == daily_events(home, DAY, random.Random(3))
    assert daily_events(home, DAY, random.Random(3)) != daily_events(home, DAY, random.Random(4))


def test_all_personas_are_covered_by_the_sample() -> None:
    assert {h.persona for h in HOMES} == set(PERSONAS)


@pytest.mark.parametrize("home", HOMES, ids=lambda h: f"{h.home_id}-{h.persona}")
@pytest.mark.parametrize("day", [DAY, date(2026, 3, 29), date(2026, 10, 25)])  # incl. both clock changes
def test_day_is_plausible(home: HomeSpec, day: date) -> None:
    events = daily_events(home, day, random.Random(f"{home.home_id}{day}"))
    start, end = local_day_bounds(day)

    assert events == sorted(events, key=lambda e: e.ts)
    assert all(start <= e.ts < end and e.ts.tzinfo == UTC for e in events)
    known = {d.device_id: d for d in home.devices}
    assert all(e.device_id in known and known[e.device_id].room == e.room for e in events)

    bed = [e for e in events if e.type == "bed"]
    assert [e.value for e in bed] == [0, 1] * (len(bed) // 2), "bed alternates out/in, starting and ending in bed"

    # Waking is the bed-out that starts the day's kitchen visits: no kitchen before getting up.
    first_kitchen = next(e for e in events if e.type == "motion" and e.room == "kitchen")
    wake = max(e.ts for e in bed if e.value == 0 and e.ts < first_kitchen.ts)
    wake_local = wake.astimezone(LOCAL_TZ)
    assert 4 <= wake_local.hour <= 11
    morning = [e for e in events if wake <= e.ts < wake + timedelta(minutes=30) and e.type == "motion"]
    assert morning[0].room == "bedroom"
    assert {"bedroom", "hallway", "bathroom"} <= {e.room for e in morning}

    in_bed = True
    for event in events:
        if event.type == "bed":
            in_bed = event.value == 1
        else:
            assert not (event.type == "motion" and in_bed), f"{event} while in bed"

    fridge = [e.value for e in events if e.type == "fridge"]
    assert len(fridge) >= 6 and fridge.count(1) == fridge.count(0)

    temperatures = [e for e in events if e.type == "temperature"]
    assert len(temperatures) == round((end - start) / timedelta(minutes=30))
    assert all(14.0 <= e.value <= 27.0 for e in temperatures)
    assert len({e.ts for e in temperatures}) == len(temperatures)

    door = [e.value for e in events if e.type == "door"]
    assert door == [1, 0] * (len(door) // 2)


def test_night_toilet_persona_gets_up_at_night_more() -> None:
    def night_trips(persona: str) -> float:
        homes = [h for h in HOMES if h.persona == persona]
        trips = 0
        for i in range(20):
            for home in homes:
                events = daily_events(home, DAY + timedelta(days=i), random.Random(f"{home.home_id}{i}"))
                trips += sum(1 for e in events if e.type == "bed" and e.value == 0) - 1
        return trips / (20 * len(homes))

    assert night_trips("night_toilet") > night_trips("late_riser") + 0.8

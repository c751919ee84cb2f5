from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from simulators.homes import home_specs
from simulators.run import SimulationConfig, choose_sim_start, default_seq_start
from simulators.schedule import (
    INCIDENT_TYPES,
    ScheduledEvent,
    SimulationSchedule,
    day_schedule,
    incidents_for_day,
)

START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _collect(seed: int, hours: float, homes: int = 4) -> list[ScheduledEvent]:
    schedule = SimulationSchedule(home_specs(homes, seed), seed, START, alarms_per_home_per_day=2.0)
    return schedule.pop_due(START + timedelta(hours=hours))


def test_same_seed_same_schedule() -> None:
    assert _collect(1, 30) == _collect(1, 30)
    assert _collect(1, 30) != _collect(2, 30)


def test_popping_in_small_steps_gives_the_same_stream() -> None:
    schedule = SimulationSchedule(home_specs(4, 1), 1, START, alarms_per_home_per_day=2.0)
    stepped = []
    for minute in range(1, 30 * 60 + 1, 7):
        stepped += schedule.pop_due(START + timedelta(minutes=minute), limit=50)
    stepped += schedule.pop_due(START + timedelta(hours=30))
    assert stepped == _collect(1, 30)


def test_time_ordered_and_from_start() -> None:
    events = _collect(1, 30)
    assert [e.sim_ts for e in events] == sorted(e.sim_ts for e in events)
    assert events[0].sim_ts >= START


def test_a_day_does_not_depend_on_when_the_run_started() -> None:
    home = home_specs(2, 9)[1]
    late = SimulationSchedule([home], 9, START + timedelta(hours=20), 2.0)
    events = [e for e in late.pop_due(START + timedelta(hours=40)) if e.type != "heartbeat"]
    tomorrow = [e for e in day_schedule(home, date(2026, 11, 24), 9, 2.0)
                if e.sim_ts >= START + timedelta(hours=20)]
    assert events[: len(tomorrow)] == tomorrow


def test_heartbeats_every_interval_per_device_with_battery_now_and_then() -> None:
    homes = home_specs(2, 1, heartbeat_interval_s=300)
    events = SimulationSchedule(homes, 1, START, 0.0).pop_due(START + timedelta(hours=3))
    beats = [e for e in events if e.type == "heartbeat" and e.home_id == "home-0001" and e.device_id == "bed-1"]
    assert len(beats) in (35, 36)
    gaps = {round((b.sim_ts - a.sim_ts).total_seconds(), 3) for a, b in pairwise(beats)}
    assert gaps == {300.0}
    assert any(b.battery is not None for b in beats) and any(b.battery is None for b in beats)
    assert all(0 < b.battery <= 100 for b in beats if b.battery is not None)
    unit_beats = [e for e in events if e.type == "heartbeat" and e.device_id == "unit"]
    assert unit_beats and all(e.battery is None for e in unit_beats)


def test_incident_rate_matches_the_poisson_rate() -> None:
    homes = home_specs(20, 4)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(30)]
    incidents = [i for home in homes for day in days for i in incidents_for_day(home, day, 4, 2.0)]
    assert 1000 < len(incidents) < 1400           # expected 1200
    assert {i.type for i in incidents} == INCIDENT_TYPES
    by_type = {t: sum(1 for i in incidents if i.type == t) for t in INCIDENT_TYPES}
    assert by_type["pendant_press"] > by_type["fall"] > by_type["pull_cord"]
    assert all(i.is_incident and i.value == 1 for i in incidents)
    assert incidents_for_day(homes[0], days[0], 4, 0.0) == []


def test_fast_runs_start_in_the_past_and_end_about_now() -> None:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    cfg = SimulationConfig(mqtt_url="mqtt://x", speed=60, duration_s=600)
    start = choose_sim_start(cfg, now)
    assert start + timedelta(seconds=600 * 60) == now + timedelta(seconds=600)
    assert choose_sim_start(SimulationConfig(mqtt_url="mqtt://x"), now) == now
    assert choose_sim_start(SimulationConfig(mqtt_url="mqtt://x", speed=100), now) < now


def test_seq_start_grows_with_the_wall_clock_and_fits_32_bits() -> None:
    a = default_seq_start(datetime(2026, 11, 23, tzinfo=UTC))
    b = default_seq_start(datetime(2026, 11, 23, 0, 0, 1, tzinfo=UTC))
    assert b == a + 10
    assert default_seq_start(datetime(2029, 12, 31, tzinfo=UTC)) < 2**31

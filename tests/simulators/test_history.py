from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from simulators.history import DEFAULT_START, HomeHistory, generate_history, iter_rows
from simulators.localtime import LOCAL_TZ
from simulators.scenarios import ANOMALY_KINDS, TRAP_KINDS
from tests.simulators.history_checks import Index, check_history

WARMUP = 21


@pytest.fixture(scope="module")
def histories() -> list[HomeHistory]:
    return list(generate_history(40, 60, seed=3))


def _fingerprint(history: HomeHistory) -> tuple[object, ...]:
    return (history.home.home_id, len(history.readings), history.readings[::97], history.anomalies,
            history.traps, history.absences, history.heartbeat_gaps)


def test_same_arguments_same_history_and_a_home_does_not_depend_on_how_many() -> None:
    small = list(generate_history(3, 30, seed=5, warmup_days=7))
    assert [h.readings for h in small] == [h.readings for h in generate_history(3, 30, seed=5, warmup_days=7)]
    larger = list(generate_history(5, 30, seed=5, warmup_days=7))
    assert [_fingerprint(h) for h in larger[:3]] == [_fingerprint(h) for h in small]
    other_seed = list(generate_history(3, 30, seed=6, warmup_days=7))
    assert [h.readings for h in other_seed] != [h.readings for h in small]


def test_readings_are_ordered_utc_and_from_the_home_s_own_devices(histories: list[HomeHistory]) -> None:
    for history in histories:
        devices = {d.device_id: d.room for d in history.home.devices}
        times = [r.ts for r in history.readings]
        assert times == sorted(times)
        assert history.start <= times[0] and times[-1] < history.end
        assert all(t.tzinfo == UTC and t.microsecond % 1000 == 0 for t in times[::50])
        assert all(devices[r.device_id] == r.room for r in history.readings)
        assert "heartbeat" not in {r.type for r in history.readings}
        assert history.start == datetime.combine(DEFAULT_START, time(0), LOCAL_TZ)


def test_every_kind_appears_and_every_label_shows_in_the_readings(histories: list[HomeHistory]) -> None:
    assert {a.kind for h in histories for a in h.anomalies} == set(ANOMALY_KINDS)
    assert {t.kind for h in histories for t in h.traps} == set(TRAP_KINDS)
    for history in histories:
        check_history(history, WARMUP)  # see history_checks for what each kind must look like


def test_most_homes_get_several_anomalies(histories: list[HomeHistory]) -> None:
    per_home = [len(h.anomalies) for h in histories]
    assert sum(n >= 2 for n in per_home) >= 0.75 * len(per_home)


def test_warm_up_weeks_are_clean(histories: list[HomeHistory]) -> None:
    for history in histories:
        clean_until = datetime.combine(DEFAULT_START + timedelta(days=WARMUP), time(0), LOCAL_TZ)
        starts = [a.start for a in history.anomalies] + [t.start for t in history.traps]
        starts += [a.start for a in history.absences] + [start for _, start, _ in history.heartbeat_gaps]
        assert all(start >= clean_until for start in starts)


def test_hospital_stays_are_registered_absences(histories: list[HomeHistory]) -> None:
    for history in histories:
        stays = [(t.start, t.end) for t in history.traps if t.kind == "hospital_stay"]
        assert [(a.start, a.end) for a in history.absences] == stays


def test_ordinary_life_never_looks_like_an_anomaly(histories: list[HomeHistory]) -> None:
    """Outside labelled windows: no home below 16 °C, no front door opened in the small hours, and every
    meal the resident always has shows up in the kitchen during the warm-up weeks."""
    for history in histories:
        labels = [(a.start, a.end) for a in history.anomalies if a.kind in ("cold_home", "door_open_night")]
        labels += [(t.start, t.end) for t in history.traps if t.kind == "late_night_out"]
        for reading in history.readings:
            if any(start <= reading.ts <= end for start, end in labels):
                continue
            assert not (reading.type == "temperature" and reading.value < 16), reading
            night = reading.ts.astimezone(LOCAL_TZ).hour < 5
            assert not (reading.type == "door" and reading.value == 1 and night), reading
        index, resident = Index(history), history.resident
        assert resident is not None
        for offset in range(WARMUP):
            day = DEFAULT_START + timedelta(days=offset)
            midnight = datetime.combine(day, time(0), LOCAL_TZ)
            for meal in ("breakfast", "lunch", "dinner"):
                start_h, end_h = resident.meal_window_h(meal, day)
                window = index.between(midnight + timedelta(hours=start_h), midnight + timedelta(hours=end_h))
                assert any(r.room == "kitchen" for r in window), f"{history.home.home_id} {day} {meal}"


def test_residents_differ_by_persona_and_household(histories: list[HomeHistory]) -> None:
    traits = Counter(trait for h in histories for trait in h.resident.traits)  # type: ignore[union-attr]
    assert {"carer", "partner", "weekend_shift", "goes_out_daily"} <= set(traits)
    types = Counter(r.type for h in histories for r in h.readings)
    assert {"motion", "door", "bed", "chair", "fridge", "power", "temperature", "toilet", "pendant_press"} <= set(types)


@pytest.mark.parametrize("first_day", [date(2026, 3, 26), date(2026, 10, 22)], ids=["spring", "autumn"])
def test_histories_across_the_clock_changes(first_day: date) -> None:
    """Around the last Sundays of March and October: 23- and 25-hour days, labels included."""
    for history in generate_history(20, 7, seed=11, start=first_day, warmup_days=1, anomaly_rate=4.0):
        check_history(history, 1)
        times = [r.ts for r in history.readings]
        assert times == sorted(times)
        assert history.end - history.start == timedelta(days=7) + (
            timedelta(hours=-1) if first_day.month == 3 else timedelta(hours=1))
        by_day = Counter(r.ts.astimezone(LOCAL_TZ).date() for r in history.readings if r.type == "temperature")
        assert len(by_day) == 7 and max(by_day.values()) <= 50
        # Up and about in the kitchen every day the home was occupied and heard from.
        unheard = [(t.start, t.end) for t in history.traps]
        unheard += [(a.start, a.end) for a in history.anomalies if a.kind in ("device_silent", "unit_offline")]
        kitchen = {r.ts.astimezone(LOCAL_TZ).date() for r in history.readings if r.room == "kitchen"}
        for offset in range(7):
            day = first_day + timedelta(days=offset)
            start = datetime.combine(day, time(0), LOCAL_TZ)
            end = datetime.combine(day + timedelta(days=1), time(0), LOCAL_TZ)
            assert day in kitchen or any(a < end and b > start for a, b in unheard), f"{history.home.home_id} {day}"


def test_anomaly_rate_zero_is_ordinary_life() -> None:
    (history,) = generate_history(1, 30, seed=2, anomaly_rate=0.0, warmup_days=0)
    assert not history.anomalies and not history.traps and not history.heartbeat_gaps and not history.absences


def test_rows_number_each_device_in_time_order_with_heartbeats_outside_gaps(histories: list[HomeHistory]) -> None:
    history = next(h for h in histories if h.heartbeat_gaps)
    rows = list(iter_rows(history, seq_start=100))
    assert [r[3] for r in rows] == sorted(r[3] for r in rows)
    per_device: dict[str, list[tuple[int, datetime, str]]] = {}
    for home_id, device_id, seq, ts, type_, _value, _room in rows:
        assert home_id == history.home.home_id
        per_device.setdefault(device_id, []).append((seq, ts, type_))
    assert set(per_device) == {d.device_id for d in history.home.devices}
    for device_id, items in per_device.items():
        assert [seq for seq, _, _ in items] == list(range(100, 100 + len(items)))
        beats = [ts for _, ts, type_ in items if type_ == "heartbeat"]
        gaps = [(a, b) for dev, a, b in history.heartbeat_gaps if dev in ("", device_id)]
        assert not [t for t in beats if any(a <= t < b for a, b in gaps)], "heartbeat inside a gap"
        steps = Counter(round((b - a).total_seconds()) for a, b in pairwise(beats))
        assert steps.most_common(1)[0][0] == history.home.device(device_id).heartbeat_interval_s
        assert all(step % 300 == 0 for step in steps), "beats skip whole intervals only, in gaps"
    events = [r for r in rows if r[4] != "heartbeat"]
    assert len(events) == len(history.readings)
    assert not [r for r in iter_rows(history, with_heartbeats=False) if r[4] == "heartbeat"]

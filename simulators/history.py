"""Weeks of simulated home data with known ground truth, fast: what the behavioural models train and
are evaluated on (`hub evaluate`), and what `hub simulate --history` bulk-loads into the database.

Each home is generated on its own (its own random streams, from `home_specs`, which is prefix-stable),
so home i's history is the same whatever the number of homes. Heartbeats are not materialised in
`HomeHistory` (a 5-minute heartbeat on 16 devices is ~4,600 rows a day per home); consumers treat every
device as heard continuously except in `heartbeat_gaps`, and `iter_rows` produces them for loading.
"""

from __future__ import annotations

import bisect
import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from models.readings import Absence, Reading
from simulators.climate import indoor_temperatures
from simulators.homes import HomeSpec, home_specs
from simulators.household import Ev, radio_losses, sensor_noise
from simulators.living import live_day
from simulators.localtime import HOUR, MINUTE, LocalDay
from simulators.residents import Resident, resident_for
from simulators.scenarios import COLD_BELOW_C, Episode, LabelledAnomaly, Trap, plan_scenarios
from simulators.schedule import heartbeat_phase, incidents_for_day

DEFAULT_START = date(2026, 2, 9)  # 60 days from here span late winter and the March clock change
ALARMS_PER_DAY = 0.03             # pendant presses and the like: about one a month per home
QUIET_MARGIN_S = 30 * MINUTE      # no spurious motion this close to an episode, so its label stays exact
_ALARM_TYPES = frozenset({"pendant_press", "pull_cord", "fall"})
NOISY_KINDS = frozenset({"activity_decline", "cold_home", "device_silent", "unit_offline"})
# (epoch, stream index, device_id, type, value, room, ts if already a datetime)
_Item = tuple[float, int, str, str, float | int | None, str | None, datetime | None]
Row = tuple[str, str, int, datetime, str, float | int | None, str | None]


@dataclass
class HomeHistory:
    home: HomeSpec
    readings: list[Reading]        # time-ordered, UTC; activity and alarm events, no heartbeats
    heartbeat_gaps: list[tuple[str, datetime, datetime]]  # (device_id, or "" for the whole unit, start, end)
    anomalies: list[LabelledAnomaly]
    traps: list[Trap]
    absences: list[Absence]        # registered on the care record (hospital stays)
    start: datetime
    end: datetime
    seed: int = 1
    resident: Resident | None = field(default=None, repr=False)


def _utc(t: float) -> datetime:
    """Whole milliseconds, as on the wire (design.md §2), so a CSV or MQTT round trip is exact.
    (`round(t, 3)` would do the same at three times the cost, which shows over millions of readings.)"""
    return datetime.fromtimestamp(int(t * 1000 + 0.5) / 1000, UTC)


@dataclass(frozen=True)
class _Span:
    """An episode as it actually happened (epoch seconds)."""

    key: int
    kind: str
    trap: bool
    start: float
    end: float
    device_id: str = ""


def _settle(episodes: list[Episode], marks: dict[tuple[int, str], float]) -> list[_Span]:
    """Planned episodes with the times they actually happened; one whose day never reached it is dropped."""
    settled = []
    for ep in episodes:
        start = ep.start if ep.start is not None else marks.get((ep.key, "start"))
        end = ep.end if ep.end is not None else marks.get((ep.key, "end"))
        if start is not None and end is not None and end > start:
            settled.append(_Span(ep.key, ep.kind, ep.trap, start, end, ep.device_id))
    return settled


def _cold_spell(span: _Span, temperatures: list[tuple[float, float]]) -> _Span | None:
    """A heating failure as the thermometer saw it: first reading below 16 °C until it read 16 again."""
    below = [t for t, value in temperatures if span.start <= t < span.end + 12 * HOUR and value < COLD_BELOW_C]
    if len(below) < 4:  # under two hours below 16 °C is not a cold home
        return None
    recovered = next((t for t, value in temperatures if t > below[-1] and value >= COLD_BELOW_C), below[-1] + 1800)
    return _Span(span.key, span.kind, span.trap, below[0], recovered)


def _remove_silences(events: list[Ev], silences: list[tuple[str, float, float]]) -> list[Ev]:
    """Drop everything a silent device (or, for "", the whole unit) would have sent; `events` is sorted."""
    if not silences:
        return events
    times = [e[0] for e in events]
    gone: set[int] = set()
    for device, start, end in silences:
        for index in range(bisect.bisect_left(times, start), bisect.bisect_left(times, end)):
            if not device or events[index][1] == device:
                gone.add(index)
    return [e for index, e in enumerate(events) if index not in gone]


def _outside(events: list[Ev], windows: list[tuple[float, float]],
             only_types: frozenset[str] | None = None) -> list[Ev]:
    """`events` minus those (of `only_types`, if given) inside any of `windows`."""
    return [e for e in events
            if (only_types is not None and e[2] not in only_types) or not any(a <= e[0] < b for a, b in windows)]


def home_history(home: HomeSpec, first_day: date, days: int, seed: int, *, warmup_days: int = 21,
                 anomaly_rate: float = 1.0, trap_rate: float | None = None) -> HomeHistory:
    """One home's `days` local days from `first_day`, with its anomalies, traps and absences."""
    resident = resident_for(home, seed)
    plan = plan_scenarios(home, resident, first_day, days, warmup_days=warmup_days, anomaly_rate=anomaly_rate,
                          trap_rate=trap_rate)
    start, end = LocalDay(first_day).start, LocalDay(first_day + timedelta(days=days)).start
    events: list[Ev] = []
    kept: list[Ev] = []
    marks: dict[tuple[int, str], float] = {}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        # The live schedule's stream: an ordinary day here is the same routine as that day in `hub simulate`.
        log = live_day(home, resident, day, plan.plan_for(day),
                       random.Random(f"{seed}:{home.home_id}:{day.isoformat()}:routine"))
        events += log.events
        kept += log.kept
        marks.update(log.marks)
        kept += [(e.sim_ts.timestamp(), e.device_id, e.type, e.value, e.room)
                 for e in incidents_for_day(home, day, seed, ALARMS_PER_DAY)]
    spans = _settle(plan.episodes, marks)
    quiet = [(s.start - QUIET_MARGIN_S, s.end + QUIET_MARGIN_S) for s in spans if s.kind not in NOISY_KINDS]
    # An alarm inside an episode would muddle its label (a fall *with* a pendant press is not this kind).
    kept = _outside(kept, quiet, only_types=_ALARM_TYPES)

    sensor = next((d for d in home.devices if d.kind == "temperature"), None)
    if sensor is not None:
        events += [(t, sensor.device_id, "temperature", value, sensor.room)
                   for t, value in indoor_temperatures(resident, first_day, days, plan.heating_failures)]
    losses = random.Random(f"{seed}:{home.home_id}:losses")
    events += _outside(sensor_noise(home, resident, start, end, losses), quiet)
    events = radio_losses(events, resident.drop_rate, losses) + kept
    events = [e for e in events if start <= e[0] < end]
    events.sort(key=lambda e: e[0])
    events = _remove_silences(events, plan.silences)

    # A cold home is labelled from the readings themselves: what a model could have seen.
    measured = [(e[0], float(e[3] or 0)) for e in events if sensor is not None and e[1] == sensor.device_id]
    final = [s if s.kind != "cold_home" else _cold_spell(s, measured) for s in spans]
    labels = sorted((s for s in final if s is not None), key=lambda s: (s.start, s.key))
    return HomeHistory(
        home=home,
        readings=[Reading(_utc(t), device, type_, value, room) for t, device, type_, value, room in events],
        heartbeat_gaps=[(device, _utc(a), _utc(b)) for device, a, b in sorted(plan.silences, key=lambda s: s[1])],
        anomalies=[LabelledAnomaly(home.home_id, s.kind, _utc(s.start), _utc(s.end), s.device_id)
                   for s in labels if not s.trap],
        traps=[Trap(home.home_id, s.kind, _utc(s.start), _utc(s.end)) for s in labels if s.trap],
        absences=[Absence(_utc(s.start), _utc(s.end), "hospital") for s in labels if s.kind == "hospital_stay"],
        start=_utc(start), end=_utc(end), seed=seed, resident=resident,
    )


def generate_history(homes: int, days: int, seed: int, *, start: date | None = None, warmup_days: int = 21,
                     anomaly_rate: float = 1.0, trap_rate: float | None = None,
                     heartbeat_interval_s: int = 300) -> Iterator[HomeHistory]:
    """`homes` homes (`home_specs(homes, seed)`), each over `days` local days from `start`
    (default `DEFAULT_START`), one at a time. The first `warmup_days` are clean training history.
    `trap_rate` defaults to `anomaly_rate`; 0 for both gives ordinary life only."""
    first_day = start or DEFAULT_START
    for home in home_specs(homes, seed, heartbeat_interval_s):
        yield home_history(home, first_day, days, seed, warmup_days=warmup_days, anomaly_rate=anomaly_rate,
                           trap_rate=trap_rate)


def _heartbeats(history: HomeHistory, device_id: str, room: str | None, interval: int,
                gaps: list[tuple[float, float]], order: int) -> Iterator[_Item]:
    phase = heartbeat_phase(history.seed, history.home.home_id, device_id, interval)
    start, end = history.start.timestamp(), history.end.timestamp()
    index = max(0, math.ceil((start - phase) / interval))
    t = phase + index * interval
    gap = 0
    while t < end:
        while gap < len(gaps) and gaps[gap][1] <= t:
            gap += 1
        if gap >= len(gaps) or t < gaps[gap][0]:
            yield (t, order, device_id, "heartbeat", None, room, None)
        index += 1
        t = phase + index * interval


def iter_rows(history: HomeHistory, *, with_heartbeats: bool = True, heartbeat_interval_s: int | None = None,
              seq_start: int = 1) -> Iterator[Row]:
    """`(home_id, device_id, seq, ts, type, value, room)` in time order for bulk loading: the readings plus,
    if asked, a heartbeat every interval per device outside its heartbeat gaps. `seq` counts up per
    device from `seq_start` in time order, as the device itself would have numbered them."""
    home_id = history.home.home_id
    readings = ((r.ts.timestamp(), 0, r.device_id, r.type, r.value, r.room, r.ts) for r in history.readings)
    streams: list[Iterator[_Item]] = [readings]
    if with_heartbeats:
        for order, device in enumerate(history.home.devices, start=1):
            gaps = sorted((a.timestamp(), b.timestamp()) for dev, a, b in history.heartbeat_gaps
                          if dev in ("", device.device_id))
            streams.append(_heartbeats(history, device.device_id, device.room,
                                       heartbeat_interval_s or device.heartbeat_interval_s, gaps, order))
    seqs: dict[str, int] = {}
    # The stream index in each item's second place settles ties before any None could be compared.
    for t, _, device_id, type_, value, room, ts in heapq.merge(*streams):
        seq = seqs.get(device_id, seq_start)
        seqs[device_id] = seq + 1
        yield home_id, device_id, seq, ts or _utc(t), type_, value, room

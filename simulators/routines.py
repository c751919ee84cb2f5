"""One resident's day as the sensor events it would produce. Pure: no clock, no I/O.

The day is lived in London local time (waking at 07:30 means 07:30 on the wall clock, in summer
and winter alike) and every event carries an aware UTC timestamp, as the contract wants.
The resident is in bed at local midnight at both ends of the day, so consecutive days join up.

The household itself (partner, carer, scenarios) is simulated in `living`; this module turns one
ordinary day of it into `SensorEvent`s for the live simulator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from simulators.climate import indoor_temperatures
from simulators.homes import HomeSpec
from simulators.household import radio_losses, sensor_noise
from simulators.living import live_day
from simulators.localtime import LOCAL_TZ, LocalDay
from simulators.residents import LATEST_BEDTIME_H, PERSONAS, Persona, Resident, plain_resident

__all__ = ["LATEST_BEDTIME_H", "LOCAL_TZ", "PERSONAS", "TEMPERATURE_EVERY", "Persona", "SensorEvent",
           "daily_events"]

TEMPERATURE_EVERY = timedelta(minutes=30)


@dataclass(frozen=True)
class SensorEvent:
    ts: datetime                  # aware, UTC
    device_id: str
    type: str
    value: float | int | None
    room: str | None


def daily_events(home: HomeSpec, day: date, rng: random.Random, resident: Resident | None = None) -> list[SensorEvent]:
    """Everything the home's activity sensors report on local `day`, in time order.

    Without `resident` the home's persona lives alone with perfect sensors; with one (see
    `residents.resident_for`) the partner, carer, sensor noise and radio losses come too.
    """
    res = resident or plain_resident(home)
    local = LocalDay(day)
    log = live_day(home, res, day, None, rng)
    temperatures = indoor_temperatures(res, day, 1)
    sensor = next((d for d in home.devices if d.kind == "temperature"), None)
    events = log.events + sensor_noise(home, res, local.start, local.end, rng)
    if sensor is not None:
        events += [(t, sensor.device_id, "temperature", value, sensor.room) for t, value in temperatures]
    events = radio_losses(events, res.drop_rate, rng) + log.kept
    events = [e for e in events if local.start <= e[0] < local.end]
    events.sort(key=lambda e: e[0])  # stable: same-instant events keep the order they happened in
    return [SensorEvent(datetime.fromtimestamp(round(t, 3), UTC), device, type_, value, room)
            for t, device, type_, value, room in events]

"""Indoor temperature of a simulated home: London's seasons and weather outside, a thermostat inside.

Heating runs mornings and evenings in the heating season with a night-time setback, so a working
home stays above ~16.5 °C even in January; a heating failure lets it drift towards the outdoor
temperature, which is what the `cold_home` anomaly is made of.

Weather is a fixed smooth function of the date for a seed (every home in a run shares the same cold
snap), and each day's sensor noise has its own random stream, so a day's readings don't depend on
when a run started: the thermal state is warmed up over the two previous days first.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Sequence
from datetime import date, timedelta

from simulators.localtime import LocalDay, local_hour
from simulators.residents import Resident

DAY_S = 86400.0
STEP_S = 1800                    # one reading every 30 minutes
SEASON_MEAN_C = 11.3             # London daily mean over the year
SEASON_SWING_C = 7.0             # ± around it: ~4 °C mid-January, ~18 °C mid-July
COLDEST_DAY_OF_YEAR = 15
DIURNAL_SWING_C = 3.0            # coldest ~03:00, warmest ~15:00
HEATING_SEASON_BELOW_C = 15.0    # thermostats are switched on when days average colder than this
K_HEATING = 0.5                  # share of the gap to the setpoint closed per step while heating
K_DRIFT = 0.07                   # per step otherwise: a home cools by ~1 °C an hour on a cold night
WARM_UP_DAYS = 2
SENSOR_SD_C = 0.12
_WEATHER = ((4.3, 1.5), (7.9, 1.2), (13.7, 1.0), (29.3, 0.8))  # (period in days, amplitude °C)


@functools.lru_cache(maxsize=64)
def _weather_phases(seed: int) -> tuple[float, ...]:
    rng = random.Random(f"weather:{seed}")
    return tuple(rng.uniform(0, 2 * math.pi) for _ in _WEATHER)


def outdoor_mean_c(day: date, seed: int) -> float:
    """Daily mean outdoor temperature: the season plus a few days' worth of weather."""
    season = SEASON_MEAN_C - SEASON_SWING_C * math.cos(2 * math.pi * (day.timetuple().tm_yday - COLDEST_DAY_OF_YEAR)
                                                       / 365.25)
    ordinal = day.toordinal()
    weather = sum(amplitude * math.sin(2 * math.pi * ordinal / period + phase)
                  for (period, amplitude), phase in zip(_WEATHER, _weather_phases(seed), strict=True))
    return season + weather


def indoor_temperatures(resident: Resident, first_day: date, days: int,
                        failures: Sequence[tuple[float, float]] = ()) -> list[tuple[float, float]]:
    """(epoch seconds, °C) every 30 minutes from local midnight of `first_day` for `days` local days.

    `failures` are (start, end) epoch windows in which the heating does not run at all.
    """
    readings: list[tuple[float, float]] = []
    temperature = resident.setpoint_c - 1.5
    for offset in range(-WARM_UP_DAYS, days):
        day = first_day + timedelta(days=offset)
        local = LocalDay(day)
        rng = random.Random(f"{resident.seed}:{resident.home_id}:{day.isoformat()}:thermal")
        mean = outdoor_mean_c(day, resident.seed)
        season = mean < HEATING_SEASON_BELOW_C
        wake, bed = resident.usual_wake_h(day), resident.usual_bed_h(day)
        # Clock-change days need the zone for every step; others are a plain offset from midnight.
        steady = local.end - local.start == DAY_S
        todays_failures = [(start, end) for start, end in failures if start < local.end and end > local.start]
        gauss = rng.gauss
        t = local.start
        while t < local.end:
            hour = (t - local.start) / 3600 if steady else local_hour(t)
            outdoor = mean + DIURNAL_SWING_C * math.sin(2 * math.pi * (hour - 9) / 24)
            if todays_failures and any(start <= t < end for start, end in todays_failures):
                target, k = 0.6 * outdoor + 6.0, K_DRIFT
            elif season and (wake - 0.5 <= hour < wake + 2.0 or 16.0 <= hour < bed):
                target, k = resident.setpoint_c, K_HEATING
            else:
                passive = 0.5 * outdoor + 12.0
                target, k = (max(resident.setback_c, passive) if season else passive), K_DRIFT
            temperature += (target - temperature) * k
            if offset >= 0:
                readings.append((t, round(temperature + gauss(0, SENSOR_SD_C), 1)))
            t += STEP_S
    return readings

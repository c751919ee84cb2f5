"""Who lives in each simulated home and how their days usually go: the persona (early riser, night-time
toilet visits, …) plus household traits (a morning carer, a partner, later weekends) and the home's own
heating and sensor quality. Pure and deterministic: the same (seed, home) always gives the same resident.

The traits come from their own random stream, so adding them left `home_specs` (names, addresses,
personas) exactly as it was for every seed.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import date

from simulators.homes import HomeSpec


@dataclass(frozen=True)
class Persona:
    wake_h: float                 # mean local hour of getting up
    wake_sd_min: float
    bed_h: float                  # mean local hour of going to bed
    bed_sd_min: float
    night_toilet_visits: float    # mean visits per night
    outing_probability: float     # chance of leaving the home during the day
    lounge_stay_min: tuple[float, float]


PERSONAS: dict[str, Persona] = {
    "early_riser": Persona(6.25, 20, 21.5, 25, 0.6, 0.35, (40, 100)),
    "late_riser": Persona(8.75, 30, 23.25, 20, 0.4, 0.25, (50, 120)),
    "night_toilet": Persona(7.5, 25, 22.25, 25, 2.6, 0.25, (40, 100)),
    "goes_out": Persona(7.25, 20, 22.5, 25, 0.6, 0.8, (30, 80)),
    "homebody": Persona(7.75, 30, 22.75, 30, 0.8, 0.05, (60, 150)),
}
LATEST_BEDTIME_H = 23.7  # keeps bed-in before midnight, so the next day starts with the resident in bed
MEALS: tuple[str, ...] = ("breakfast", "lunch", "dinner")
CARER_SHARE = 0.25
PARTNER_SHARE = 0.2
WEEKEND_SHIFT_SHARE = 0.4
DAILY_OUTING = 0.95           # the goes_out persona leaves the home nearly every day
WAKE_CLAMP_SD = 2.0           # draws beyond 2 sd would be labelled as anomalies by any sane model


@dataclass(frozen=True)
class Resident:
    home_id: str
    seed: int
    persona: str
    wake_h: float                 # usual local hour of getting up on a weekday
    wake_sd_min: float
    bed_h: float                  # usual local hour of going to bed on a weekday
    bed_sd_min: float
    night_toilet_visits: float    # mean visits per night
    outing_probability: float
    lounge_stay_min: tuple[float, float]
    lunch_h: float = 12.5
    dinner_h: float = 18.0
    weekend_shift_h: float = 0.0  # later up on Saturday and Sunday (and half that later to bed Fri/Sat)
    carer_h: float | None = None  # usual arrival of the morning carer; None: no carer
    partner: bool = False
    partner_offset_h: float = 0.0  # the partner's day runs this much later than the resident's
    noise_per_day: float = 0.0    # spurious PIR triggers (curtains, sunlight, heating vents)
    drop_rate: float = 0.0        # share of readings lost on the radio link
    setpoint_c: float = 20.0      # thermostat while the heating runs
    setback_c: float = 17.0       # thermostat floor outside heating periods

    def usual_wake_h(self, day: date) -> float:
        return self.wake_h + (self.weekend_shift_h if day.weekday() >= 5 else 0.0)

    def usual_bed_h(self, day: date) -> float:
        later = self.weekend_shift_h / 2 if day.weekday() in (4, 5) else 0.0
        return min(self.bed_h + later, LATEST_BEDTIME_H)

    def usual_meal_h(self, meal: str, day: date) -> float:
        """Meals keep their distance from a late breakfast, so the three windows never overlap."""
        wake = self.usual_wake_h(day)
        lunch = max(self.lunch_h, wake + 3.75)
        if meal == "breakfast":
            return wake + 0.5
        if meal == "lunch":
            return lunch
        return max(self.dinner_h, lunch + 4.5)

    def meal_window_h(self, meal: str, day: date) -> tuple[float, float]:
        """Local hours within which this resident always has some kitchen activity for `meal`."""
        if meal == "breakfast":
            wake = self.usual_wake_h(day)
            return wake - 1.0, min(wake + 2.5, self.usual_meal_h("lunch", day) - 1.0)
        usual = self.usual_meal_h(meal, day)
        return usual - 1.0, usual + 1.5

    @property
    def traits(self) -> tuple[str, ...]:
        """Plain-word summary for reports: persona first, then household traits."""
        extra = [name for name, present in (
            ("carer", self.carer_h is not None), ("partner", self.partner),
            ("weekend_shift", self.weekend_shift_h > 0), ("goes_out_daily", self.outing_probability >= DAILY_OUTING),
        ) if present]
        return (self.persona, *extra)


def plain_resident(home: HomeSpec, seed: int = 0) -> Resident:
    """The persona alone, living alone, with perfect sensors: the routine `daily_events` always produced."""
    persona = PERSONAS[home.persona]
    thermal = random.Random(f"thermal:{home.home_id}")  # each home keeps its own thermostat habits
    return Resident(
        home_id=home.home_id, seed=seed, persona=home.persona,
        wake_h=persona.wake_h, wake_sd_min=persona.wake_sd_min, bed_h=persona.bed_h, bed_sd_min=persona.bed_sd_min,
        night_toilet_visits=persona.night_toilet_visits, outing_probability=persona.outing_probability,
        lounge_stay_min=persona.lounge_stay_min, setpoint_c=thermal.uniform(19.5, 21.5),
        setback_c=thermal.uniform(16.8, 17.8),
    )


@functools.lru_cache(maxsize=4096)
def resident_for(home: HomeSpec, seed: int) -> Resident:
    """The full resident of a simulated home: persona with personal variation plus household traits."""
    base = PERSONAS[home.persona]
    rng = random.Random(f"resident:{seed}:{home.home_id}")
    wake_h = base.wake_h + rng.uniform(-0.3, 0.3)
    carer_h = wake_h + rng.uniform(0.6, 1.3) if rng.random() < CARER_SHARE else None
    partner = rng.random() < PARTNER_SHARE
    shift = rng.uniform(0.5, 1.5) if rng.random() < WEEKEND_SHIFT_SHARE else 0.0
    outing = DAILY_OUTING if home.persona == "goes_out" else base.outing_probability * rng.uniform(0.6, 1.4)
    return Resident(
        home_id=home.home_id, seed=seed, persona=home.persona,
        wake_h=wake_h, wake_sd_min=base.wake_sd_min * rng.uniform(0.7, 1.2),
        bed_h=min(base.bed_h + rng.uniform(-0.3, 0.3), LATEST_BEDTIME_H), bed_sd_min=base.bed_sd_min,
        night_toilet_visits=base.night_toilet_visits * rng.uniform(0.7, 1.3),
        outing_probability=min(outing, DAILY_OUTING), lounge_stay_min=base.lounge_stay_min,
        lunch_h=12.5 + rng.uniform(-0.5, 0.5), dinner_h=18.0 + rng.uniform(-0.75, 0.5),
        weekend_shift_h=shift, carer_h=carer_h, partner=partner,
        partner_offset_h=rng.uniform(-0.75, 0.75) if partner else 0.0,
        noise_per_day=rng.uniform(0.2, 2.0), drop_rate=rng.uniform(0.01, 0.02),
        setpoint_c=rng.uniform(19.5, 22.0), setback_c=rng.uniform(16.8, 17.8),
    )

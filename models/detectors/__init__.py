"""One module per finding kind. Each exposes KIND, PRIORITY (design.md §3: 2 urgent behavioural risk,
3 wellbeing trend, 4 technical) and

    detect(baseline, state, absences, now, adjustments) -> list[Finding]

a pure function of the resident's baseline, the home's tracked state (recent readings condensed by
models.tracker), registered absences, the event time `now` and per-resident sensitivity adjustments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import ModuleType
from typing import Protocol

from models.baselines import Baseline
from models.detectors import (
    activity_decline,
    cold_home,
    device_silent,
    door_open_night,
    missed_meal,
    night_wandering,
    no_activity_morning,
    prolonged_bathroom,
    prolonged_inactivity,
    unit_offline,
)
from models.feedback import Adjustments
from models.readings import Absence, Finding
from models.tracker import Tracker


class Detector(Protocol):
    KIND: str
    PRIORITY: int

    def detect(self, baseline: Baseline, state: Tracker, absences: Sequence[Absence], now: datetime,
               adjustments: Adjustments | None) -> list[Finding]: ...


_MODULES: tuple[ModuleType, ...] = (
    no_activity_morning, prolonged_inactivity, prolonged_bathroom, night_wandering, door_open_night,
    missed_meal, cold_home, activity_decline, device_silent, unit_offline,
)
DETECTORS: dict[str, Detector] = {module.KIND: module for module in _MODULES}  # type: ignore[misc]
PRIORITY: dict[str, int] = {module.KIND: module.PRIORITY for module in _MODULES}
BEHAVIOURAL_KINDS = frozenset(kind for kind, priority in PRIORITY.items() if priority in (2, 3))
TECHNICAL_KINDS = frozenset(kind for kind, priority in PRIORITY.items() if priority == 4)

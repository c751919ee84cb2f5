"""What the behavioural models read and what they report, in event time (the devices' clocks).

Models never look at the wall clock: the "now" they score at is the latest event time seen for the
home (heartbeats keep it moving through quiet periods), so a replay at any speed gives the same alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Reading:
    """One activity or technical event as the models see it."""

    ts: datetime  # aware, UTC: the device's time
    device_id: str
    type: str  # design.md §2 event type: motion, door, bed, fridge, temperature, heartbeat, ...
    value: float | None = None
    room: str | None = None


@dataclass(frozen=True, slots=True)
class Absence:
    """A period the resident is known to be away, registered on the care record (e.g. a hospital stay)."""

    start: datetime
    end: datetime | None  # None: still away
    reason: str = "hospital"


@dataclass(frozen=True)
class Finding:
    """A behavioural condition a detector is sure of, ready to become an alert."""

    home_id: str
    kind: str  # alert kind (design.md §3): no_activity_morning, night_wandering, ...
    onset: datetime  # event time at which the condition arose
    detected_at: datetime  # event time at which the detector raised it
    confidence: float  # 0..1
    explanation: str  # plain words with the numbers behind them
    episode: str  # stable key: scoring the same episode again must not raise a second alert
    evidence: tuple[tuple[str, datetime], ...] = field(default=())  # (device_id, ts) of the events behind it
    cold_start: bool = False  # judged against population priors, not the resident's own history
    device_id: str | None = None  # the device concerned (technical kinds); part of the alert's dedup key

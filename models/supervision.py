"""Which devices a home is hearing from, in event time: heartbeats, readings, and the gaps between them.

Only devices that send heartbeats can be judged silent (a PIR in an empty room says nothing for hours),
and any reading relayed by the home unit proves the unit is alive. A device is silent after missing
MISSED_HEARTBEATS heartbeats in a row; a sensor is only silent on its own while its unit is not, so a
unit going down is one fault, not one per sensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

MISSED_HEARTBEATS = 3
# Declared as slots on models.tracker.Tracker: only one class in a multiple inheritance may hold any.
SUPERVISION_SLOTS = ("default_interval", "intervals", "last_seen", "outages", "supervised", "unit_back", "unit_device",
                     "watching_since")
# Silence limit per heartbeat interval, shared by every home: a home has one interval or two, not one a device.
_LIMITS: dict[float, timedelta] = {}


class Supervision:
    __slots__ = ()

    def __init__(self, unit_device: str = "unit", intervals: dict[str, float] | None = None,
                 default_interval: float = 300.0) -> None:
        self.last_seen: dict[str, datetime] = {}
        self.supervised: set[str] = set()
        self.unit_device = unit_device
        self.unit_back: datetime | None = None  # when the unit was last heard again after an outage
        self.intervals: dict[str, float] = dict(intervals or {})
        self.default_interval = default_interval
        self.outages: dict[str, tuple[datetime, datetime]] = {}  # device -> its latest silence, once over
        # When the home was first heard (a reading or a heartbeat): before it nothing is known of the home, so a
        # unit installed at noon says nothing of whether its resident got up that morning.
        self.watching_since: datetime | None = None

    def heartbeat(self, device_id: str, ts: datetime) -> None:
        """Proof of life ('' means the unit itself); cheap, as it comes from every device every few minutes."""
        device_id = device_id or self.unit_device
        self.supervised.add(device_id)
        self._seen(device_id, ts)
        if device_id != self.unit_device:
            self._seen(self.unit_device, ts)

    def supervise_afresh(self) -> None:
        """Heartbeats before this point were not seen (a warm-up replays only the last day's): forget when the
        devices not yet supervised were last heard, so that each one's first heartbeat starts its supervision
        rather than ending a silence as long as the replay without heartbeats."""
        self.last_seen = {device: ts for device, ts in self.last_seen.items() if device in self.supervised}

    def _seen(self, device_id: str, ts: datetime) -> None:
        if self.watching_since is None or ts < self.watching_since:
            self.watching_since = ts
        previous = self.last_seen.get(device_id)
        if previous is not None and ts <= previous:
            return
        self.last_seen[device_id] = ts
        if previous is not None and device_id in self.supervised and ts - previous > self.silence_limit(device_id):
            self.outages[device_id] = (previous, ts)
            if device_id == self.unit_device:
                self.unit_back = ts
            self._silence_ended(device_id, previous, ts)

    def _silence_ended(self, device_id: str, last: datetime, back: datetime) -> None:
        """Hook: a supervised device is heard again after a silence."""

    def silence_limit(self, device_id: str) -> timedelta:
        interval = self.intervals.get(device_id, self.default_interval)
        limit = _LIMITS.get(interval)
        if limit is None:
            limit = _LIMITS[interval] = timedelta(seconds=MISSED_HEARTBEATS * interval)
        return limit

    def shortest_limit(self) -> timedelta:
        return timedelta(seconds=MISSED_HEARTBEATS * min([self.default_interval, *self.intervals.values()]))

    def oldest_supervised(self) -> datetime | None:
        """When the longest-silent supervised device was last heard (a quick check before looking closer)."""
        seen = self.last_seen
        return min((seen[d] for d in self.supervised if d in seen), default=None)

    def is_silent(self, device_id: str, now: datetime) -> bool:
        """A supervised device not heard from for MISSED_HEARTBEATS heartbeat intervals."""
        if device_id not in self.supervised:
            return False
        last = self.last_seen.get(device_id)
        return last is not None and now - last > self.silence_limit(device_id)

    def sensor_silent(self, device_id: str, now: datetime) -> bool:
        """A sensor silent while its home unit is not: the unit kept reporting for a whole silence limit after
        the sensor's last word, and since its own last outage (sensors take a heartbeat interval to be heard
        again after the unit comes back)."""
        last = self.last_seen.get(device_id)
        if last is None or device_id not in self.supervised or device_id == self.unit_device:
            return False
        limit = self.silence_limit(device_id)
        since = max(last, self.unit_back) if self.unit_back is not None else last
        unit_last = self.last_seen.get(self.unit_device)
        return now - since > limit and unit_last is not None and unit_last - last > limit

    def was_blind(self, devices: Sequence[str], since: datetime, now: datetime) -> bool:
        """The unit or one of `devices` silent now, or silent for a while between `since` and now."""
        if self.is_silent(self.unit_device, now) or any(self.sensor_silent(d, now) for d in devices):
            return True
        for device in (self.unit_device, *devices):
            outage = self.outages.get(device)
            if outage is not None and outage[1] > since and outage[0] < now:
                return True
        return False

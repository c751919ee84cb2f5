"""The front door: who went out, who came in, and how long the resident was away.

A mixin of models.tracker.Tracker, kept apart because it is one idea: `left_at` is the first door event
after the last movement (the resident went out, or someone else did). A later opening is someone coming
in; a lone movement with no door first is more likely a stray trigger in an empty home than the resident,
so it takes a second one to believe someone is home after all (the door event was a carer leaving).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from models.clock import DAY_START_MIN, MINUTES_PER_DAY, at_care_minute, care_minute
from models.day import HALLWAY
from models.readings import Reading

if TYPE_CHECKING:
    from models.tracker import Tracker

OUTING_MIN = timedelta(minutes=3)  # shorter "outings" are someone at the door
STRAY_PAIR = timedelta(minutes=15)  # two movements this close after the door closed: someone is home
REENTRY = timedelta(seconds=60)  # a door opening this long after leaving is someone coming in
FROM_BEDROOM = timedelta(minutes=5)  # came to the door straight from the bedroom: the resident
LONG_STILL = timedelta(minutes=60)  # nothing moving this long, up and at home, is a still spell
EVIDENCE_CAP = 40
# Declared as slots on models.tracker.Tracker: only one class in a multiple inheritance may hold any.
PRESENCE_SLOTS = ("_out_counted_to", "_reentry", "_stray", "door_device", "door_open_since", "last_door", "left_at")


class Presence:
    __slots__ = ()

    def __init__(self) -> None:
        self.last_door: datetime | None = None
        self.door_device = ""
        self.door_open_since: datetime | None = None
        self.left_at: datetime | None = None
        self._reentry = False
        self._stray: datetime | None = None
        self._out_counted_to: datetime | None = None

    def away_since(self: Tracker, now: datetime, settle: timedelta = timedelta(minutes=2)) -> datetime | None:
        """When the resident went out, if the last door event was them leaving and no one has moved since."""
        if self.left_at is None or self.in_bed or now - self.left_at < settle:
            return None
        return self.left_at

    def _count_time_out(self: Tracker) -> None:
        """At the end of a care day spent (partly) out: its share of the outing goes on that day."""
        left, day = self.left_at, self.today
        if left is None or day is None or self.latest is None or self.latest - left < OUTING_MIN:
            return
        start = max(left, self._out_counted_to) if self._out_counted_to else left
        end = at_care_minute(day.day, DAY_START_MIN + MINUTES_PER_DAY)
        if end > start:
            day.outings.append((round(care_minute(start), 1), round((end - start).total_seconds() / 60, 1)))
            self._out_counted_to = end

    def _home_again(self: Tracker, ts: datetime, strong: bool) -> bool:
        """After the door: does this movement mean someone is home? Records the outing it ends."""
        left = self.left_at
        if left is None:
            return True
        if self._reentry and self.last_door is not None:
            if not self.woke_today(ts) and self._wake_window(ts):
                self._wake(ts)  # walked in through the front door: up, whatever the bed last said
            start = max(left, self._out_counted_to) if self._out_counted_to else left
            if self.last_door - left >= OUTING_MIN and self.today is not None and self.last_door > start:
                self.today.outings.append((round(care_minute(start), 1),
                                           round((self.last_door - start).total_seconds() / 60, 1)))
        elif not strong and (self._stray is None or ts - self._stray > STRAY_PAIR):
            self._stray = ts  # one trigger in an empty home: wait for a second before believing it
            return False
        self.left_at, self._stray, self._reentry, self._out_counted_to = None, None, False, None
        self._gap_valid = False
        self.last_confirmed = self._prev_activity = ts  # someone came in, or was home after all
        return True

    def _door(self: Tracker, r: Reading) -> None:
        ts = r.ts
        if (self._gap_valid and self.last_confirmed is not None and not self.in_bed and self.left_at is None
                and ts - self.last_confirmed >= LONG_STILL):
            self._record_still(self.last_confirmed, ts)  # someone let themselves in to a still home
        self.door_device = r.device_id
        was_out = self.away_since(ts, settle=OUTING_MIN) is not None
        if r.value:
            self.door_open_since = self.door_open_since or ts
            if self.left_at is not None and ts - self.left_at > REENTRY:
                self._reentry = True
            # The resident got up in the night and opened the door: not a return, and not someone else
            # (the bed would say they were in it, unless the radio lost the bed-out and they came
            # straight from the bedroom).
            up = not self.in_bed or (self._last_bedroom is not None and ts - self._last_bedroom <= FROM_BEDROOM
                                     and self.stay_room == HALLWAY)
            minute = care_minute(ts)
            night = (self.night_active and self.wake_candidate is None
                     and not self.params.night_end_min <= minute < self.params.evening_min)
            if night and up and not was_out and len(self.night_doors) < EVIDENCE_CAP:
                self.night_doors.append((r.device_id, ts))
        else:
            self.door_open_since = None
        if self.left_at is None and not self.in_bed:
            self.left_at, self._reentry, self._stray, self._out_counted_to = ts, False, None, None
        self.last_door = ts
        self._gap_valid = False
        self._enter(HALLWAY, ts, r.device_id)  # the front door is in the hallway
        self._prev_activity, self._prev_room = ts, HALLWAY  # a movement straight after is no stray trigger

"""The state machine that follows one home reading by reading.

It is the single source of both the live view detectors read (where the resident is, whether they are
up, in bed or out, how long nothing has moved) and the care-day summaries baselines learn from, so the
two never disagree about what happened. Memory is bounded: live state plus `history_days` of day
summaries (and of full DayFeatures, when kept for training), never the readings.

Real sensors are imperfect, and so are households: a PIR fires on its own now and then (curtains,
sunlight), the radio loses a reading or two a day, and a partner or carer moves about too. Hence:
a lone trigger with nothing else within half an hour is not taken as the resident moving, a
bed-in/out the radio lost is inferred from what follows, and movement while the bed says the resident
is in it is someone else's.
"""

from __future__ import annotations

from array import array
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from models.clock import care_day, care_minute, local_hour
from models.day import BATHROOM, BEDROOM, HALLWAY, KITCHEN, PRIVATE_ROOMS, DayFeatures
from models.presence import EVIDENCE_CAP, LONG_STILL, PRESENCE_SLOTS, Presence
from models.readings import Reading
from models.seating import SEATING_SLOTS, Seating
from models.spans import Spans
from models.summary import DayHistory, summarise
from models.supervision import SUPERVISION_SLOTS, Supervision
from models.warmth import WARMTH_SLOTS, Warmth

WAKE_CONFIRM = timedelta(minutes=30)  # out of bed this long (or in a living room) means up for the day
BACK_TO_BED = timedelta(minutes=20)  # quiet in the bedroom this long after getting up: back in bed
WAKE_LATEST_MIN = 18 * 60.0  # a first bed-out later than this is not getting up for the day
HALL_TRANSIT = timedelta(minutes=3)  # longer in the hallway at night is more than a trip to the toilet
NEIGHBOUR = timedelta(minutes=30)  # movement again in the same room this soon: the resident still there
WALK = timedelta(minutes=3)  # movements this close together are someone walking about
SOMEONE_CAME_IN = timedelta(minutes=30)
MISSED_BED_OUT = timedelta(minutes=10)
PACE_MIN_S, PACE_MAX_S = 5.0, 1800.0  # re-triggers of one PIR: closer is one movement, further is stillness
OUTAGE = timedelta(minutes=65)  # no reading at all for this long: the home unit was down
STRONG_TYPES = frozenset({"fridge", "power", "toilet", "chair"})  # a person did this; stray triggers do not


@dataclass(frozen=True)
class TrackerParams:
    """Per-resident edges of the day from the baseline (care minutes), and whether the resident lives alone."""

    wake_earliest_min: float = 270.0  # bed-outs from 04:30 can be getting up
    evening_min: float = 1140.0  # bed-ins from 19:00 start the night
    night_end_min: float = 360.0  # the resident's night is over by now at the latest (usual earliest wake)
    solo: bool = True  # no one else moves about the home at night


class Tracker(Supervision, Presence, Seating, Warmth):
    """Public attributes are the live view detectors read; treat them as read-only.

    `history` keeps what detectors read of the last `history_days` finished days (models.summary).
    With `keep_days` the full DayFeatures of those days are kept in `days` too, and each day records
    the detail only baselines learn from (hourly still spells, kitchen and bathroom stays, fridge
    openings, movement per room and hour); live scoring goes without, at a fraction of the memory.
    """

    # The live service holds one tracker per home: slots, not a __dict__ each. They are all declared here,
    # the mixins' with them, as only one class in a multiple inheritance may hold any.
    __slots__ = ("__weakref__", *SUPERVISION_SLOTS, *PRESENCE_SLOTS, *SEATING_SLOTS, *WARMTH_SLOTS, "_gap_valid",
                 "_last_bedroom", "_last_minute", "_last_reading", "_prev_activity", "_prev_room", "_room_confirmed",
                 "bed_device", "bed_since", "confirmed_device", "confirmed_room", "days", "days_closed",
                 "device_room", "device_type", "fridge_today", "history", "in_bed", "keep_days", "kitchen_today",
                 "last_activity", "last_confirmed", "last_elsewhere", "last_motion", "last_motion_device", "latest",
                 "night_doors", "night_start", "night_wander", "params", "stay_device", "stay_room", "stay_start",
                 "stay_walked_in", "still_today", "today", "wake_candidate", "woke_at")

    def __init__(self, params: TrackerParams | None = None, history_days: int = 35, unit_device: str = "unit",
                 intervals: dict[str, float] | None = None, default_interval: float = 300.0,
                 keep_days: bool = True) -> None:
        super().__init__(unit_device, intervals, default_interval)
        self.params = params or TrackerParams()
        self.keep_days = keep_days
        self.days: deque[DayFeatures] | tuple[()] = deque(maxlen=history_days) if keep_days else ()
        self.history = DayHistory(history_days)
        self.today: DayFeatures | None = None
        self.days_closed = 0  # counts care days closed, so derived results can be cached per day
        self.latest: datetime | None = None
        self.device_room: dict[str, str | None] = {}
        self.device_type: dict[str, str] = {}
        # Where the resident is: the last activity that was not a stray trigger, and its room.
        self.last_activity: datetime | None = None
        self.last_confirmed: datetime | None = None
        self.confirmed_room: str | None = None
        self.confirmed_device = ""
        self.last_motion: datetime | None = None
        self.last_motion_device = ""
        self.stay_room: str | None = None  # the room of the latest motion, and since when
        self.stay_start: datetime | None = None
        self.stay_device = ""
        self.stay_walked_in = False
        self.in_bed: bool | None = None
        self.bed_device = ""
        self.bed_since: datetime | None = None
        Presence.__init__(self)
        Seating.__init__(self)
        Warmth.__init__(self)
        # The day and the night.
        self.woke_at: datetime | None = None
        self.wake_candidate: datetime | None = None
        self.night_start: datetime | None = None
        self.night_wander: list[tuple[str, datetime]] = []
        self.night_doors: list[tuple[str, datetime]] = []
        self.kitchen_today = Spans()
        self.fridge_today: list[tuple[str, datetime]] = []
        self.still_today: list[tuple[datetime, datetime]] = []  # spells of an hour or more with nothing moving
        self._prev_activity: datetime | None = None
        self._room_confirmed: dict[str, datetime] = {}
        self._prev_room: str | None = None
        self._gap_valid = False
        self._last_minute = -1
        self.last_elsewhere: datetime | None = None  # latest movement outside the bedroom
        self._last_bedroom: datetime | None = None
        self._last_reading: datetime | None = None

    # -- inputs ---------------------------------------------------------------------------------------

    def observe(self, reading: Reading) -> None:
        ts = reading.ts
        previous = self._last_reading
        self.advance(ts)
        day = self.today
        assert day is not None
        if previous is not None and ts - previous > OUTAGE and not self.supervised:
            # Without heartbeats to go by: the thermometer alone reports every half hour, so this long
            # with nothing at all means the unit was down.
            day.offline_min += (ts - previous).total_seconds() / 60
            self._after_outage(ts)
        self._last_reading = ts
        if reading.device_id not in self.device_room:
            self.device_room[reading.device_id] = reading.room
            self.device_type[reading.device_id] = reading.type
        self._seen(reading.device_id, ts)
        self._seen(self.unit_device, ts)
        minute = care_minute(ts)
        if day.first_seen is None:
            day.first_seen = minute
        day.last_seen = minute
        kind = reading.type
        if kind == "motion":
            self._motion(reading)
        elif kind == "bed":
            self._bed(reading)
        elif kind == "door":
            self._door(reading)
        elif kind == "temperature":
            self._temperature(reading)
        elif kind in STRONG_TYPES:
            if kind == "chair":
                self._chair(reading)
            if reading.value:
                self._strong(reading)

    def _silence_ended(self, device_id: str, last: datetime, back: datetime) -> None:
        minutes = (back - last).total_seconds() / 60
        if self.today is not None:
            if device_id == self.unit_device:
                self.today.offline_min += minutes
            else:
                self.today.sensor_gap_min += minutes
        if device_id == self.unit_device:
            self._after_outage(back)
        elif device_id == self.bed_device:
            self.in_bed = None

    def _after_outage(self, back: datetime) -> None:
        """Events were lost while the unit was down: whether the resident is in bed, and how long nothing
        has moved, are no longer known; stillness is measured afresh from its return."""
        self.in_bed = None
        self.wake_candidate = None
        self._seat_unknown()
        self.last_confirmed = self.last_activity = self._prev_activity = back
        self.confirmed_room = None  # where they are is unknown until they next move
        self._gap_valid = False

    def advance(self, now: datetime) -> None:
        """Move event time on: close finished care days and confirm a pending wake."""
        if self.latest is None or now > self.latest:
            self.latest = now
        day = care_day(now)
        if self.today is None:
            self.today = self._new_day(day)
        while self.today.day < day:
            self._count_time_out()
            if isinstance(self.days, deque):
                self.days.append(self.today)
            # A day restored from storage after a restart stays as stored: its replay saw only part of it.
            if self.today.day.toordinal() > self.history.newest_ordinal():
                self.history.append(summarise(self.today))
                self.days_closed += 1
            self.today = self._new_day(self.today.day + timedelta(days=1))
            self.kitchen_today, self.fridge_today, self.still_today = Spans(), [], []
        if self.wake_candidate is not None:
            quiet = self.last_confirmed is not None and now - self.last_confirmed >= BACK_TO_BED
            if quiet and self.confirmed_room == BEDROOM and not self.in_bed:
                # Quiet in the bedroom since: back in bed, with the radio having lost the bed-in.
                self.wake_candidate = None
                self.in_bed = True
            elif now - self.wake_candidate >= WAKE_CONFIRM:
                self._wake(self.wake_candidate)

    def _new_day(self, day: date) -> DayFeatures:
        if self.keep_days:
            return DayFeatures(day)
        # Live: no hourly counts (training detail), and the day's re-trigger gaps in the chair packed, not
        # a float object each (a hundred a day in every home).
        return DayFeatures(day, motion_by_hour=[], seated_gaps=array("d"))

    # -- the live view --------------------------------------------------------------------------------

    @property
    def night_active(self) -> bool:
        return self.night_start is not None and self.woke_at is None

    def woke_today(self, now: datetime) -> bool:
        return self.woke_at is not None and care_day(self.woke_at) == care_day(now)

    def devices_in(self, room: str) -> list[str]:
        return [device for device, where in self.device_room.items() if where == room]

    def motion_sensors(self) -> list[str]:
        return [device for device, kind in self.device_type.items() if kind == "motion"]

    # -- readings -------------------------------------------------------------------------------------

    def _activity(self, ts: datetime, room: str, device: str, strong: bool = False) -> None:
        """Someone moved or touched something. Confirmed as the resident when it cannot be a stray trigger:
        a sensor only a person works (bed, chair, fridge, kettle, flush), a movement in a room someone was
        confirmed in within the half hour, or one straight after another (walking from room to room)."""
        prev = self._prev_activity
        recent = self._room_confirmed.get(room)
        if self._prev_room == room and prev is not None and (recent is None or prev > recent):
            recent = prev
        if strong or (recent is not None and ts - recent <= NEIGHBOUR) or (prev is not None and ts - prev <= WALK):
            if self._gap_valid and self.last_confirmed is not None and not self.in_bed and self.today is not None:
                if self.keep_days:
                    slots = self.today.gaps.setdefault(self.confirmed_room or room, [0.0] * 24)
                    hour = local_hour(self.last_confirmed)
                    slots[hour] = max(slots[hour], round((ts - self.last_confirmed).total_seconds() / 60, 2))
                if ts - self.last_confirmed >= LONG_STILL:
                    self._record_still(self.last_confirmed, ts)
            self.last_confirmed, self.confirmed_room, self.confirmed_device = ts, room, device
            self._room_confirmed[room] = ts
            self._gap_valid = True
        self._prev_activity, self._prev_room = ts, room
        self.last_activity = ts

    def _motion(self, r: Reading) -> None:
        ts, room = r.ts, r.room or "unknown"
        day = self.today
        assert day is not None
        if not self._home_again(ts, strong=False):
            return
        living = room not in PRIVATE_ROOMS and room != HALLWAY
        if self.in_bed and room != BEDROOM:
            # The bed says the resident is in it: this is someone else (or a stray trigger), unless the
            # radio lost the bed-out and the resident is clearly up and about.
            day.others_in_bed += 1
            missed = living and not self.woke_today(ts) and self._wake_window(ts) and self._missed_bed_out(ts)
            self.last_elsewhere = ts
            if not missed:
                return
            self.in_bed = False
        if self._prev_room == room and self._prev_activity is not None:
            interval = (ts - self._prev_activity).total_seconds()
            if PACE_MIN_S < interval <= PACE_MAX_S:
                day.pace_sum += interval
                day.pace_n += 1
                if self._seated_in(room):
                    day.seated_gaps.append(round(interval, 1))
        self._moved_elsewhere(room)
        # Someone walking into a room moved in the one before a moment ago; a stray trigger comes from nowhere.
        walked_in = self._prev_activity is not None and ts - self._prev_activity <= WALK
        self._activity(ts, room, r.device_id)
        self._enter(room, ts, r.device_id, walked_in)
        # Up for the day once out of bed for half an hour: back in bed sooner was a night-time wander
        # or a trip to the kitchen, however early in the morning.
        if (living and not self.in_bed and not self.woke_today(ts) and self._wake_window(ts)
                and self.wake_candidate is None):
            self.wake_candidate = ts
        if room != BEDROOM:
            self.last_elsewhere = ts
        else:
            self._last_bedroom = ts
        if self.night_active and not self.in_bed and self.wake_candidate is None and self._wandering(room, ts):
            if len(self.night_wander) < EVIDENCE_CAP:
                self.night_wander.append((r.device_id, ts))
            else:
                self.night_wander[-1] = (r.device_id, ts)
        self.last_motion, self.last_motion_device = ts, r.device_id
        day.motion_total += 1
        if self.keep_days:
            day.motion_by_room[room] = day.motion_by_room.get(room, 0) + 1
            day.motion_by_hour[local_hour(ts)] += 1
        minute = int(ts.timestamp()) // 60
        if minute != self._last_minute:
            self._last_minute = minute
            day.active_minutes += 1

    def _missed_bed_out(self, ts: datetime) -> bool:
        """Living alone, the bed says 'in' but the resident is clearly about (more than one room, no one let
        in at the door): the radio lost the bed-out."""
        if not self.params.solo:
            return False
        if self.last_door is not None and ts - self.last_door <= SOMEONE_CAME_IN:
            return False
        prior = self.last_elsewhere
        return prior is not None and timedelta(0) < ts - prior <= MISSED_BED_OUT

    def _wandering(self, room: str, ts: datetime) -> bool:
        if room in PRIVATE_ROOMS:
            return False
        if room == HALLWAY:
            return self.stay_start is not None and ts - self.stay_start > HALL_TRANSIT
        return True

    def _wake_window(self, ts: datetime) -> bool:
        return self.params.wake_earliest_min <= care_minute(ts) <= WAKE_LATEST_MIN

    def _enter(self, room: str, ts: datetime, device: str, walked_in: bool = True) -> None:
        if room != self.stay_room:
            self._close_stay(ts)
            self.stay_room, self.stay_start, self.stay_walked_in = room, ts, walked_in
        self.stay_device = device

    def _close_stay(self, end: datetime) -> None:
        if self.stay_room is None or self.stay_start is None or self.today is None:
            return
        self.today.transitions += 1
        if self.stay_room == KITCHEN:
            self.kitchen_today.append(self.stay_start, end)
        if not self.keep_days:
            return
        minutes = round((end - self.stay_start).total_seconds() / 60, 2)
        if self.stay_room == BATHROOM:
            self.today.bathroom_stays.append(minutes)
        elif self.stay_room == KITCHEN:
            self.today.kitchen_stays.append((round(care_minute(self.stay_start), 1), minutes))

    def _bed(self, r: Reading) -> None:
        ts = r.ts
        self._home_again(ts, strong=True)
        self._activity(ts, BEDROOM, r.device_id, strong=True)
        self._enter(BEDROOM, ts, r.device_id)  # whatever the PIRs missed, the bed is in the bedroom
        self.bed_device = r.device_id
        self.in_bed = bool(r.value)
        self._seat_unknown()
        self.bed_since = ts
        if self.in_bed:
            self._gap_valid = False
            self.wake_candidate = None  # back in bed within the half hour: a trip to the toilet
            if not self.night_active:
                evening = self._evening(ts)
                if evening or self.woke_at is None:  # a nap after getting up is not the night
                    self._start_night(ts, evening)
        elif not self.woke_today(ts) and self._wake_window(ts):
            self.wake_candidate = ts
        elif not self.night_active and self._evening(ts):
            self._start_night(ts, evening=True)  # out of a bed we never saw them get into

    def _evening(self, ts: datetime) -> bool:
        woke = self.woke_at
        return care_minute(ts) >= self.params.evening_min or (woke is not None and ts - woke >= timedelta(hours=10))

    def _start_night(self, ts: datetime, evening: bool) -> None:
        self.night_start = ts
        self.woke_at = None
        self.night_wander = []
        self.night_doors = []
        if evening and self.today is not None and self.today.bedtime_min is None:
            self.today.bedtime_min = round(care_minute(ts), 1)

    def _wake(self, ts: datetime) -> None:
        self.woke_at = ts
        self.wake_candidate = None
        if self.today is not None:
            if self.today.wake_min is None:
                self.today.wake_min = round(care_minute(ts), 1)
            self.today.night_events = len(self.night_wander)
            self.today.night_door = len(self.night_doors)

    def _record_still(self, start: datetime, end: datetime) -> None:
        if self.today is not None:
            self.today.still_min += (end - start).total_seconds() / 60
            if len(self.still_today) < EVIDENCE_CAP:
                self.still_today.append((start, end))

    def _strong(self, r: Reading) -> None:
        ts = r.ts
        self._home_again(ts, strong=True)
        room = r.room or (KITCHEN if r.type in ("fridge", "power") else "unknown")
        self._activity(ts, room, r.device_id, strong=True)
        if r.type == "fridge" and self.today is not None:
            if self.keep_days:
                self.today.fridge_opens.append(round(care_minute(ts), 1))
            self.fridge_today.append((r.device_id, ts))

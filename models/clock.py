"""Residents live by the London wall clock; every timestamp the models receive is UTC.

A "care day" runs from 04:00 to 04:00 local time, so the night that follows an evening belongs to
that evening's day and is never split at midnight. Minutes on a care day ("care minutes") run from
240 (04:00) to 1680 (04:00 next day), so 00:30 after a late night is 1470, not 30.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/London")
DAY_START_MIN = 240  # 04:00 local: nobody's usual night straddles it
MINUTES_PER_DAY = 1440

# UTC offset per UTC hour: converting every reading with astimezone() dominates feature extraction,
# and the offset only changes on the hour (the UK clocks change at 01:00 UTC). Offsets are whole seconds,
# so the local clock is the UTC clock's seconds of the day plus the offset: no datetime need be built.
_offset_cache: dict[int, int] = {}


def _utc(ts: datetime) -> datetime:
    return ts if ts.tzinfo is UTC else ts.astimezone(UTC)


def _offset_s(utc: datetime) -> int:
    hour = utc.toordinal() * 24 + utc.hour
    offset = _offset_cache.get(hour)
    if offset is None:
        offset = int((utc.astimezone(LOCAL_TZ).utcoffset() or timedelta(0)).total_seconds())
        if len(_offset_cache) > 200_000:
            _offset_cache.clear()
        _offset_cache[hour] = offset
    return offset


def local_seconds(ts: datetime) -> int:
    """Whole seconds since local midnight on the wall clock."""
    utc = _utc(ts)
    return (utc.hour * 3600 + utc.minute * 60 + utc.second + _offset_s(utc)) % 86400


def local_hour(ts: datetime) -> int:
    """The wall clock's hour, 0-23 (`wall(ts).hour`, without building the datetime)."""
    return local_seconds(ts) // 3600


def wall(ts: datetime) -> datetime:
    """The local wall-clock reading of `ts`, as a naive datetime (cheap; no tz arithmetic after this)."""
    utc = _utc(ts)
    return utc.replace(tzinfo=None) + timedelta(seconds=_offset_s(utc))


def minute_of_day(ts: datetime) -> float:
    """Local minutes since midnight, 0 ≤ m < 1440."""
    s = local_seconds(ts)
    # The same sum, in the same order, as hour * 60 + minute + second / 60 of the wall clock.
    return s // 3600 * 60 + s // 60 % 60 + s % 60 / 60


def care_minute(ts: datetime) -> float:
    """Local minutes since the start of the care day's calendar date: 240 ≤ m < 1680."""
    m = minute_of_day(ts)
    return m + MINUTES_PER_DAY if m < DAY_START_MIN else m


_care_day_cache: dict[int, date] = {}


def care_day(ts: datetime) -> date:
    """The care day `ts` belongs to: times before 04:00 local belong to the previous date."""
    # The day changes at 04:00 local, on the hour in UTC too, so one answer serves each UTC hour.
    utc = _utc(ts)
    hour = utc.toordinal() * 24 + utc.hour
    day = _care_day_cache.get(hour)
    if day is None:
        day = (wall(utc) - timedelta(minutes=DAY_START_MIN)).date()
        if len(_care_day_cache) > 200_000:
            _care_day_cache.clear()
        _care_day_cache[hour] = day
    return day


def at_care_minute(day: date, minute: float) -> datetime:
    """UTC instant of care minute `minute` on care day `day`: the wall clock, so 07:30 stays 07:30 across DST."""
    whole = int(minute // 1)
    local = datetime.combine(day + timedelta(days=whole // MINUTES_PER_DAY), time(0), LOCAL_TZ).replace(
        hour=(whole % MINUTES_PER_DAY) // 60, minute=whole % 60)
    return (local + timedelta(seconds=round((minute - whole) * 60))).astimezone(UTC)


def hhmm(minute: float) -> str:
    """Care or clock minutes as a wall-clock time, e.g. 1470 -> '00:30'."""
    m = round(minute) % MINUTES_PER_DAY
    return f"{m // 60:02d}:{m % 60:02d}"


def local_hhmm(ts: datetime) -> str:
    return wall(ts).strftime("%H:%M")

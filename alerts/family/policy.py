"""Who in the family is told about an alert, and when: pure decisions, no I/O and no clock.

- Only kinds a relative can do something about are offered to families at all: alarm-class emergencies and
  behavioural risks and trends. Technical alerts (battery low, a silent sensor, a unit offline) are the
  response centre's business and never leave for a relative.
- No consent recorded, or consent withdrawn since it was given: no message, and no notification row.
- A relative who chose some kinds (`alert_kinds`) hears of those only; an empty choice means every offered kind.
- Quiet hours are read in the relative's own time zone (so a clock change is handled by the zone, not by
  adding hours). An emergency (priority 1) bypasses them; anything else is held until they end.
- A relative who would be told but has no working channel left gets a 'skipped' row, so the console can say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.model import Priority

DEFAULT_TIMEZONE = "Europe/London"

EMERGENCY_KINDS = frozenset({
    "pendant_press", "pull_cord", "fall", "smoke", "co", "flood", "heat_high", "bogus_caller",
})
BEHAVIOURAL_KINDS = frozenset({
    "no_activity_morning", "prolonged_inactivity", "night_wandering", "door_open_night", "prolonged_bathroom",
    "missed_meal", "cold_home", "activity_decline",
})
# Every kind has a written message in each catalogue (alerts/family/messages.py); a new kind is offered to
# families only once it is added here and given one.
FAMILY_KINDS = EMERGENCY_KINDS | BEHAVIOURAL_KINDS

Status = Literal["pending", "held", "skipped"]


@dataclass(frozen=True)
class Channel:
    id: int
    channel: str  # email | sms | webpush
    position: int
    enabled: bool


@dataclass(frozen=True)
class Member:
    id: int
    consent_given_at: datetime | None
    consent_withdrawn_at: datetime | None
    alert_kinds: tuple[str, ...] = ()
    quiet_start: time | None = None
    quiet_end: time | None = None
    timezone: str = DEFAULT_TIMEZONE
    channels: tuple[Channel, ...] = ()


@dataclass(frozen=True)
class Decision:
    member_id: int
    status: Status
    hold_until: datetime | None = None
    reason: str = ""


def offered_to_families(kind: str) -> bool:
    return kind in FAMILY_KINDS


def has_consent(member: Member, at: datetime) -> bool:
    """Consent given (not in the future) and not withdrawn since: a later consent counts again."""
    given, withdrawn = member.consent_given_at, member.consent_withdrawn_at
    if given is None or given > at:
        return False
    return withdrawn is None or withdrawn < given


def wants(member: Member, kind: str) -> bool:
    return offered_to_families(kind) and (not member.alert_kinds or kind in member.alert_kinds)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def _local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """A wall time in a zone, as a UTC instant. A wall time the clocks skip (spring forward) becomes the same
    instant an hour later by the clock, the first moment that is truly outside the quiet hours."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def quiet_until(at: datetime, quiet_start: time | None, quiet_end: time | None, timezone: str) -> datetime | None:
    """When the quiet hours around `at` end (in UTC), or None when `at` is not in quiet hours."""
    if quiet_start is None or quiet_end is None or quiet_start == quiet_end:
        return None
    tz = zone(timezone)
    local = at.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    today = local.date()
    if quiet_start < quiet_end:  # e.g. 13:00-15:00, within one day
        inside = quiet_start <= clock < quiet_end
        end_day = today
    else:  # e.g. 22:00-07:00, across midnight
        inside = clock >= quiet_start or clock < quiet_end
        end_day = today if clock < quiet_end else today + timedelta(days=1)
    return _local(end_day, quiet_end, tz) if inside else None


def working_channels(member: Member) -> list[Channel]:
    return sorted((c for c in member.channels if c.enabled), key=lambda c: (c.position, c.id))


def decide(kind: str, priority: int, raised_at: datetime, members: Iterable[Member]) -> list[Decision]:
    """One decision per relative to be told of this alert; relatives not to be told are left out."""
    if not offered_to_families(kind):
        return []
    decisions: list[Decision] = []
    for member in members:
        if not has_consent(member, raised_at) or not wants(member, kind):
            continue
        if not working_channels(member):
            decisions.append(Decision(member.id, "skipped", reason="no working channel to reach them on"))
            continue
        hold = None
        if priority != Priority.EMERGENCY:
            hold = quiet_until(raised_at, member.quiet_start, member.quiet_end, member.timezone)
        if hold is not None:
            decisions.append(Decision(member.id, "held", hold_until=hold, reason="quiet hours"))
        else:
            decisions.append(Decision(member.id, "pending"))
    return decisions


def next_channel(channels: Sequence[Channel], tried: Iterable[int] = ()) -> Channel | None:
    """The first enabled channel by position that this attempt has not tried yet."""
    skip = set(tried)
    for channel in sorted(channels, key=lambda c: (c.position, c.id)):
        if channel.enabled and channel.id not in skip:
            return channel
    return None
